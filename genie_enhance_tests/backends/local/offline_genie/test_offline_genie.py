"""Offline Genie: every space config feature turns a failing question into a passing one, as it does for Genie.

Each test asks the same question twice, once without and once with the feature, on a tiny shop warehouse built
here (not the demo), and compares the answer's result with a hand-written expected query via `compare_sql`.
The shop is `build_genie_shop`; the space builders (`make_space`, …) are in `space_builders.py`.
"""

from __future__ import annotations

from typing import Any

from genie_enhance.backends.local.offline_genie import OfflineGenie
from genie_enhance.backends.local.warehouse import DuckDBWarehouse
from genie_enhance.space.ids import stable_id
from genie_enhance.space.model import SerializedSpace
from genie_enhance_tests.backends.local.offline_genie.space_builders import (
    ORDERS_CUSTOMERS,
    col,
    make_space,
    passes,
    snippet,
    table,
    with_orders,
)
from genie_enhance_tests.support.shops import CUSTOMERS, ORDERS

ORDERS_JOINED = f"{ORDERS} o JOIN {CUSTOMERS} c ON o.cust_id = c.cust_id"


def example(question: str, sql: str, **params: tuple[str, str]) -> dict[str, Any]:
    """An example question/SQL; `params` maps a name to (type_hint, default value)."""
    out: dict[str, Any] = {"id": stable_id("example", question), "question": [question]}
    out["sql"] = sql.splitlines(keepends=True)
    if params:
        out["parameters"] = [
            {"name": n, "type_hint": t, "default_value": {"values": [d]}} for n, (t, d) in sorted(params.items())
        ]
    return out


def assert_feature(
    warehouse: DuckDBWarehouse, without: SerializedSpace, with_: SerializedSpace, question: str, expected: str
) -> None:
    assert not passes(warehouse, without, question, expected), "the question must fail without the feature"
    assert passes(warehouse, with_, question, expected), "the question must pass with the feature"


# ---------------------------------------------------------------------------------------------- features
def test_synonym_maps_business_word_to_column(genie_shop: DuckDBWarehouse) -> None:
    assert_feature(
        genie_shop, make_space(), with_orders(col("amount_net", synonyms=["revenue"])),
        "What is the total revenue?", f"SELECT SUM(amount_net) FROM {ORDERS}",
    )


def test_column_description_words_pick_the_column(genie_shop: DuckDBWarehouse) -> None:
    assert_feature(
        genie_shop, make_space(), with_orders(col("amount_net", description="Net revenue of the order in USD.")),
        "What is the total revenue?", f"SELECT SUM(amount_net) FROM {ORDERS}",
    )


def test_table_description_words_pick_the_table(genie_shop: DuckDBWarehouse) -> None:
    assert_feature(
        genie_shop, make_space(), with_orders(description="Purchases in the web shop, one row per purchase."),
        "How many purchases are there?", f"SELECT COUNT(*) FROM {ORDERS}",
    )


def test_join_spec_relates_tables(genie_shop: DuckDBWarehouse) -> None:
    revenue = col("amount_net", synonyms=["revenue"])
    expected = f"SELECT c.city, SUM(o.amount_net) FROM {ORDERS_JOINED} GROUP BY c.city"
    question = "What is the total revenue by city?"
    answer = OfflineGenie(with_orders(revenue), genie_shop).ask(question)
    assert answer.sql is None and "could not relate" in answer.text
    assert_feature(genie_shop, with_orders(revenue), with_orders(revenue, joins=[ORDERS_CUSTOMERS]), question, expected)


REPEAT_BUYERS = (
    "SELECT COUNT(*) AS repeat_buyers FROM (SELECT cust_id FROM shop.sales.orders\n"
    "WHERE YEAR(ord_dt) = {year} GROUP BY cust_id HAVING COUNT(*) > 1) AS t"
)


def test_example_sql_binds_parameter_from_the_question(genie_shop: DuckDBWarehouse) -> None:
    ex = example("How many repeat buyers were there in 2023?", REPEAT_BUYERS.format(year=":yr"), yr=("NUMERIC", "2023"))
    question = "How many repeat buyers were there in 2024?"
    assert_feature(genie_shop, make_space(), make_space(examples=[ex]), question, REPEAT_BUYERS.format(year=2024))
    answer = OfflineGenie(make_space(examples=[ex]), genie_shop).ask(question)
    assert answer.meta["source"] == "example" and "2024" in answer.sql and ":yr" not in answer.sql


def test_example_sql_parameter_default_and_type_binding(genie_shop: DuckDBWarehouse) -> None:
    question = "How many repeat buyers were there in the chosen year?"
    space = make_space(examples=[example(question, REPEAT_BUYERS.format(year=":yr"), yr=("NUMERIC", "2023"))])
    assert passes(genie_shop, space, question, REPEAT_BUYERS.format(year=2023))  # the default value
    assert passes(genie_shop, space, question.replace("year?", "year 2024?"),
                  REPEAT_BUYERS.format(year=2024))  # by type
    assert not passes(genie_shop, make_space(), question, REPEAT_BUYERS.format(year=2023))


def test_example_sql_swaps_a_differing_literal(genie_shop: DuckDBWarehouse) -> None:
    sql = (
        "SELECT c.cust_nm FROM shop.sales.customers c JOIN shop.sales.orders o ON o.cust_id = c.cust_id "
        "GROUP BY c.cust_nm HAVING COUNT(*) > {n}"
    )
    ex = example("Which customers placed more than 3 orders?", sql.format(n=3))
    question = "Which customers placed more than 7 orders?"
    assert_feature(genie_shop, make_space(), make_space(examples=[ex]), question, sql.format(n=7))


def test_example_is_not_reused_for_a_different_question(genie_shop: DuckDBWarehouse) -> None:
    ex = example("How many repeat buyers were there in 2023?", REPEAT_BUYERS.format(year=":yr"), yr=("NUMERIC", "2023"))
    answer = OfflineGenie(make_space(table(ORDERS), examples=[ex]), genie_shop).ask(
        "How many orders were there in 2023?")
    assert answer.meta.get("source") == "generated"


def test_measure_snippet(genie_shop: DuckDBWarehouse) -> None:
    measure = snippet("SUM(orders.amount_net - orders.disc)", "Net revenue", "net sales", alias="net_revenue")
    expected = f"SELECT SUM(amount_net - disc) FROM {ORDERS}"
    assert_feature(genie_shop, make_space(), make_space(measures=[measure]), "What is the net revenue?", expected)


def test_filter_snippet(genie_shop: DuckDBWarehouse) -> None:
    cancelled = snippet("orders.stat = 'CNL'", "Cancelled orders", "cancelled")
    assert_feature(
        genie_shop, make_space(), make_space(filters=[cancelled]),
        "How many cancelled orders are there?", f"SELECT COUNT(*) FROM {ORDERS} WHERE stat = 'CNL'",
    )


def test_expression_snippet(genie_shop: DuckDBWarehouse) -> None:
    size = snippet("CASE WHEN orders.amount_net >= 200 THEN 'large' ELSE 'small' END", "Order size", alias="order_size")
    expected = (
        f"SELECT CASE WHEN amount_net >= 200 THEN 'large' ELSE 'small' END AS s, COUNT(*) FROM {ORDERS} "
        "GROUP BY CASE WHEN amount_net >= 200 THEN 'large' ELSE 'small' END"
    )
    question = "How many orders are there by order size?"
    assert_feature(genie_shop, make_space(), make_space(expressions=[size]), question, expected)


def test_text_instruction_filter_definition(genie_shop: DuckDBWarehouse) -> None:
    text = "This space answers questions about the web shop.\n- A big order means orders.amount_net > 300\n"
    assert_feature(
        genie_shop, make_space(), make_space(text=text),
        "How many big orders are there?", f"SELECT COUNT(*) FROM {ORDERS} WHERE amount_net > 300",
    )


def test_text_instruction_measure_definition(genie_shop: DuckDBWarehouse) -> None:
    text = "Use the orders table for money questions.\nnet revenue = SUM(orders.amount_net - orders.disc)\n"
    expected = f"SELECT SUM(amount_net - disc) FROM {ORDERS}"
    assert_feature(genie_shop, make_space(), make_space(text=text), "What is the net revenue?", expected)


def test_entity_matching_places_a_stored_value(genie_shop: DuckDBWarehouse) -> None:
    expected = f"SELECT COUNT(*) FROM {CUSTOMERS} WHERE city = 'SEOUL'"
    with_entity = make_space(table(CUSTOMERS, col("city", entity=True)), table(ORDERS))
    assert_feature(genie_shop, make_space(), with_entity, "How many customers live in Seoul?", expected)
    # format assistance alone shows Genie a few sample values, not a dictionary it can look values up in
    format_only = make_space(table(CUSTOMERS, col("city", enable_format_assistance=True)), table(ORDERS))
    assert not passes(genie_shop, format_only, "How many customers live in Seoul?", expected)
    answer = OfflineGenie(with_entity, genie_shop).ask("How many customers live in Seoul?")
    assert "'SEOUL'" in answer.sql


def test_exclude_removes_a_decoy_column(genie_shop: DuckDBWarehouse) -> None:
    assert_feature(
        genie_shop, make_space(), with_orders(col("amount_legacy", exclude=True)),
        "What is the total amount?", f"SELECT SUM(amount_net) FROM {ORDERS}",
    )


def test_synonym_beats_description_word(genie_shop: DuckDBWarehouse) -> None:
    legacy = col("amount_legacy", description="Old revenue figure, kept for audits.")
    space = with_orders(legacy, col("amount_net", synonyms=["revenue"]))
    assert passes(genie_shop, space, "What is the total revenue?", f"SELECT SUM(amount_net) FROM {ORDERS}")


def test_table_named_in_question_breaks_column_ties(genie_shop: DuckDBWarehouse) -> None:
    # cust_id is in both tables; the question names customers, so the customers column is counted
    client = col("cust_id", synonyms=["client"])
    space = make_space(table(CUSTOMERS, client), table(ORDERS, client))
    answer = OfflineGenie(space, genie_shop).ask("How many distinct client values do customers have?")
    assert answer.sql is not None and "customers.cust_id" in answer.sql and "orders" not in answer.sql


def test_excluded_column_is_invisible_to_questions_but_not_to_configured_sql(genie_shop: DuckDBWarehouse) -> None:
    hidden = col("amount_net", exclude=True)
    net = snippet("SUM(orders.amount_net - orders.disc)", "Net revenue", alias="net_revenue")
    key = col("cust_id", exclude=True)
    space = make_space(table(CUSTOMERS, key), table(ORDERS, hidden, key), joins=[ORDERS_CUSTOMERS], measures=[net])
    answer = OfflineGenie(space, genie_shop).ask("What is the total amount net?")
    assert answer.sql is None or "amount_net" not in answer.sql
    expected = f"SELECT c.city, SUM(o.amount_net - o.disc) FROM {ORDERS_JOINED} GROUP BY c.city"
    assert passes(genie_shop, space, "What is the net revenue by city?", expected)


def test_table_name_and_column_synonym_resolve_by_role(genie_shop: DuckDBWarehouse) -> None:
    # "customer" names the customers table and is a synonym of cust_nm: counting means the table, grouping the name
    space = make_space(
        table(CUSTOMERS, col("cust_nm", synonyms=["customer"])), table(ORDERS, col("amount_net", synonyms=["revenue"])),
        joins=[ORDERS_CUSTOMERS],
    )
    genie = OfflineGenie(space, genie_shop)
    assert "COUNT(*)" in genie.ask("How many customers are there?").sql
    grouped = genie.ask("What is the revenue by customer?").sql
    assert "GROUP BY customers.cust_nm" in grouped
    assert passes(genie_shop, space, "What is the revenue by customer?",
                  f"SELECT c.cust_nm, SUM(o.amount_net) FROM {ORDERS_JOINED} GROUP BY c.cust_nm")


def test_count_question_does_not_reuse_a_listing_example(genie_shop: DuckDBWarehouse) -> None:
    ex = example("Which customers are enterprise?", f"SELECT cust_nm FROM {CUSTOMERS} WHERE seg = 'ENT'")
    genie = OfflineGenie(make_space(examples=[ex]), genie_shop)
    assert genie.ask("Which customers are enterprise?").meta["source"] == "example"
    assert genie.ask("How many customers are enterprise?").meta["source"] != "example"
