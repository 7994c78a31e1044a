"""A valid space using every section (valid against the shop of `build_validation_shop`): the base the validation
tests mutate one rule at a time."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from genie_enhance.space.io import parse_space
from genie_enhance.space.validation import Problem, validate_space


def H(n: int) -> str:
    """A valid id; ids built from increasing n sort in that order."""
    return f"{n:032x}"


def valid_space_dict() -> dict[str, Any]:
    """A v2 space using every section, valid against `build_validation_shop` (catalog `shop`, schema `sales`)."""
    join = "JOIN shop.sales.customers c ON o.customer_id = c.customer_id\n"
    return {
        "version": 2,
        "config": {"sample_questions": [{"id": H(1), "question": ["Revenue by region?"]}]},
        "data_sources": {
            "tables": [
                {
                    "identifier": "shop.sales.customers",
                    "description": ["One row per customer"],
                    "column_configs": [
                        {"column_name": "customer_id"},
                        {"column_name": "name", "enable_format_assistance": True, "enable_entity_matching": True},
                        {"column_name": "region", "synonyms": ["area"]},
                    ],
                },
                {
                    "identifier": "shop.sales.orders",
                    "description": ["One row per order"],
                    "column_configs": [{"column_name": "amount"}, {"column_name": "order_date"}],
                },
            ]
        },
        "instructions": {
            "text_instructions": [{"id": H(10), "content": ["Revenue means SUM(orders.amount).\n"]}],
            "example_question_sqls": [
                {
                    "id": H(11),
                    "question": ["Revenue by region"],
                    "sql": ["SELECT c.region, SUM(o.amount) AS revenue\n", "FROM shop.sales.orders o\n", join,
                            "GROUP BY c.region"],
                },
                {
                    "id": H(12),
                    "question": ["Orders of a region since a date"],
                    "sql": ["SELECT o.order_id\n", "FROM shop.sales.orders o\n", join,
                            "WHERE c.region = :region AND o.order_date >= :since"],
                    "parameters": [
                        {"name": "region", "type_hint": "STRING", "default_value": {"values": ["EU"]}},
                        {"name": "since", "type_hint": "DATE"},
                    ],
                },
            ],
            "sql_functions": [{"id": H(13), "identifier": "shop.sales.fiscal_quarter"}],
            "join_specs": [
                {
                    "id": H(14),
                    "left": {"identifier": "shop.sales.orders", "alias": "orders"},
                    "right": {"identifier": "shop.sales.customers", "alias": "customers"},
                    "sql": ["`orders`.`customer_id` = `customers`.`customer_id`",
                            "--rt=FROM_RELATIONSHIP_TYPE_MANY_TO_ONE--"],
                }
            ],
            "sql_snippets": {
                "filters": [{"id": H(15), "sql": ["orders.amount > 100"], "display_name": "large order"}],
                "expressions": [{"id": H(16), "alias": "order_year", "sql": ["YEAR(orders.order_date)"]}],
                "measures": [{"id": H(17), "alias": "revenue", "sql": ["SUM(orders.amount)"]}],
            },
        },
        "benchmarks": {
            "questions": [
                {
                    "id": H(2),
                    "question": ["Revenue in the EU?"],
                    "answer": [{"format": "SQL", "content": ["SELECT SUM(o.amount)\n", "FROM shop.sales.orders o\n",
                                                             join, "WHERE c.region = 'EU'"]}],
                }
            ]
        },
    }


def run(data: dict[str, Any], **kwargs: Any) -> list[Problem]:
    return validate_space(parse_space(data), **kwargs)


def located(problems: list[Problem]) -> set[tuple[str, str]]:
    return {(p.path, p.code) for p in problems}


def set_path(path: list[Any], value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(d: dict[str, Any]) -> None:
        target = d
        for key in path[:-1]:
            target = target[key]
        if value is DELETE:
            del target[path[-1]]
        else:
            target[path[-1]] = value

    return mutate



DELETE = object()  # `set_path(path, DELETE)` removes the key

# paths into `valid_space_dict()` the rule cases mutate
BENCH = ["benchmarks", "questions", 0]
EX1 = ["instructions", "example_question_sqls", 1]
JOIN = ["instructions", "join_specs", 0]
SNIP = ["instructions", "sql_snippets"]
CUSTOMERS = ["data_sources", "tables", 0]
