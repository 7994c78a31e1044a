"""Shared builders for the fix tests: a small hand-made space and one applicable sample of every fix type."""

from __future__ import annotations

import json

from genie_enhance.space.fixes import (
    AddExampleSql,
    AddJoin,
    AddSqlSnippet,
    AddSynonym,
    AppendTextInstruction,
    EnableEntityMatching,
    EnableFormatAssistance,
    ExampleParameter,
    ExcludeColumn,
    FixBase,
    FixJoin,
    IncludeColumn,
    RemoveSynonym,
    SetColumnDescription,
    SetTableDescription,
    SetTextInstruction,
)
from genie_enhance.space.io import load_space, parse_space, space_to_json
from genie_enhance.space.model import SerializedSpace
from genie_enhance_tests.support.paths import GENIE_SPACES

FIXTURE_SPACE = GENIE_SPACES / "cli_sales_analytics.geniespace.json"

ORDERS = "demo.commerce.orders"
CUSTOMERS = "demo.commerce.customers"
PRODUCTS = "demo.commerce.products"
JOIN_ID = "20000000000000000000000000000001"


def small_space_dict() -> dict:
    """A sorted, normalized v2 space with unknown keys at several levels (they must survive every fix)."""
    return {
        "version": 2,
        "x_top_level": {"keep": True},
        "config": {"sample_questions": [{"id": "00000000000000000000000000000001", "question": ["Total sales?"]}]},
        "data_sources": {
            "tables": [
                {"identifier": CUSTOMERS, "column_configs": [{"column_name": "region", "x_col_note": "kept"}]},
                {
                    "identifier": ORDERS,
                    "description": ["One row per order.\n", "Amounts in USD."],
                    "x_table_note": 7,
                    "column_configs": [
                        {"column_name": "amt_usd", "synonyms": ["amount"], "description": ["Order amount"]},
                        {"column_name": "legacy_amt", "exclude": True},
                        {"column_name": "status", "enable_format_assistance": True},
                    ],
                },
                {"identifier": PRODUCTS},
            ],
            "metric_views": [{"identifier": "demo.commerce.sales_metrics"}],
        },
        "instructions": {
            "text_instructions": [{"id": "30000000000000000000000000000001", "content": ["Use USD.\n", "Be brief."]}],
            "example_question_sqls": [
                {
                    "id": "40000000000000000000000000000001",
                    "question": ["How many orders are there?"],
                    "sql": ["SELECT COUNT(*) FROM demo.commerce.orders"],
                    "x_example_note": "kept",
                }
            ],
            "join_specs": [
                {
                    "id": JOIN_ID,
                    "left": {"identifier": ORDERS, "alias": "orders"},
                    "right": {"identifier": CUSTOMERS, "alias": "customers"},
                    "sql": [
                        "`orders`.`customer_id` = `customers`.`customer_id`",
                        "--rt=FROM_RELATIONSHIP_TYPE_MANY_TO_ONE--",
                    ],
                    "x_join_note": "kept",
                }
            ],
            "sql_snippets": {
                "measures": [
                    {"id": "50000000000000000000000000000001", "alias": "total_sales", "sql": ["SUM(orders.amt_usd)"],
                     "synonyms": ["revenue"]}
                ]
            },
        },
        "benchmarks": {"questions": []},
    }


def small_space() -> SerializedSpace:
    return parse_space(small_space_dict())


def fixture_space() -> SerializedSpace:
    return load_space(FIXTURE_SPACE)


def as_json(space: SerializedSpace) -> str:
    return space_to_json(space)


def as_dict(space: SerializedSpace) -> dict:
    return json.loads(space_to_json(space))


def small_space_samples() -> list[FixBase]:
    """One fix of every type, each changing `small_space()`."""
    return [
        AddSynonym(table=ORDERS, column="amt_usd", synonym="revenue"),
        RemoveSynonym(table=ORDERS, column="amt_usd", synonym="AMOUNT"),
        SetColumnDescription(table=ORDERS, column="order_ts", description="When the order was placed (UTC)."),
        SetTableDescription(table=PRODUCTS, description="Product catalog.\nOne row per SKU."),
        AddJoin(left_table=ORDERS, right_table=PRODUCTS, on=[("product_id", "product_id")], relationship="MANY_TO_ONE"),
        FixJoin(left_table=ORDERS, right_table=CUSTOMERS, on=[("cust_id", "id")]),
        AddExampleSql(
            question="Revenue by region in :year?",
            sql="SELECT c.region, SUM(o.amt_usd) FROM demo.commerce.orders o JOIN demo.commerce.customers c "
                "ON o.customer_id = c.customer_id WHERE YEAR(o.order_ts) = :year GROUP BY c.region",
            parameters=[ExampleParameter(name="year", type_hint="NUMERIC", default_values=["2024"])],
        ),
        EnableFormatAssistance(table=CUSTOMERS, column="region"),
        EnableEntityMatching(table=ORDERS, column="status"),
        AddSqlSnippet(kind="filter", sql="orders.status = 'shipped'", display_name="shipped orders"),
        SetTextInstruction(text="Amounts are in USD.\nRound to 2 decimals."),
        AppendTextInstruction(text="Fiscal year starts in February."),
        ExcludeColumn(table=ORDERS, column="internal_id"),
        IncludeColumn(table=ORDERS, column="legacy_amt"),
    ]


def fixture_space_samples() -> list[FixBase]:
    """One fix of every type, each changing the real `cli_sales_analytics` export (one table, no joins)."""
    countries = "main.default.countries"
    return [
        AddSynonym(table=countries, column="country", synonym="nation"),
        RemoveSynonym(table=countries, column="country", synonym="nation"),  # absent: no-op
        SetColumnDescription(table=countries, column="name", description="Person's full name"),
        SetTableDescription(table=countries, description="People and the country they live in."),
        AddJoin(left_table=countries, right_table=countries, left_alias="p", right_alias="q",
                on=[("country", "country")], relationship="MANY_TO_MANY"),
        EnableFormatAssistance(table=countries, column="population"),
        EnableEntityMatching(table=countries, column="city"),
        AddExampleSql(question="Which names are in Canada?",
                      sql="SELECT name FROM main.default.countries WHERE country = 'Canada'"),
        AddSqlSnippet(kind="measure", alias="people", sql="COUNT(DISTINCT countries.name)", synonyms=["headcount"]),
        AppendTextInstruction(text="Country names are in English."),
        SetTextInstruction(text="Answer questions about people and their countries."),
        ExcludeColumn(table=countries, column="name"),
        IncludeColumn(table=countries, column="name"),
    ]
