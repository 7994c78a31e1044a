"""Example SQL fixes: read-only and parameter checks, duplicate questions, parameters in the API's shape."""

from __future__ import annotations

import pytest

from genie_enhance.errors import FixError
from genie_enhance.space.fixes import AddExampleSql, ExampleParameter
from genie_enhance.space.ids import is_valid_id
from genie_enhance_tests.support.fixes_helpers import as_dict, as_json, fixture_space, small_space

EXISTING = "40000000000000000000000000000001"


def _examples(space) -> dict[str, dict]:
    return {e["id"]: e for e in as_dict(space)["instructions"]["example_question_sqls"]}


def test_add_example_with_parameters_in_api_shape() -> None:
    fix = AddExampleSql(
        question="Orders above :min_amount in :region?",
        sql="SELECT *\nFROM demo.commerce.orders\nWHERE amt_usd > :min_amount AND region = :region",
        usage_guidance="Use for threshold questions",
        parameters=[
            ExampleParameter(name="region", description="Sales region", default_values=["EMEA", "APAC"]),
            ExampleParameter(name="min_amount", type_hint="NUMERIC"),
        ],
    )
    out = fix.apply(small_space())
    (new_id,) = set(_examples(out)) - {EXISTING}
    example = _examples(out)[new_id]
    assert is_valid_id(new_id)
    assert example["question"] == ["Orders above :min_amount in :region?"]
    assert example["sql"] == [
        "SELECT *\n", "FROM demo.commerce.orders\n", "WHERE amt_usd > :min_amount AND region = :region",
    ]
    assert example["usage_guidance"] == ["Use for threshold questions"]
    assert example["parameters"] == [  # sorted by name
        {"name": "min_amount", "type_hint": "NUMERIC"},
        {"name": "region", "type_hint": "STRING", "description": ["Sales region"],
         "default_value": {"values": ["EMEA", "APAC"]}},
    ]
    ids = [e["id"] for e in as_dict(out)["instructions"]["example_question_sqls"]]
    assert ids == sorted(ids)


def test_same_question_and_equivalent_sql_is_a_no_op() -> None:
    space = fixture_space()
    fix = AddExampleSql(question="  list the NAMES and countries ",
                        sql="select name, country from main.default.countries order by name")
    assert as_json(fix.apply(space)) == as_json(space)


def test_same_question_with_different_sql_replaces_the_sql_in_place() -> None:
    space = fixture_space()
    fix = AddExampleSql(question="List the names and countries",
                        sql="SELECT name, country FROM main.default.countries ORDER BY country, name",
                        usage_guidance="Sort by country first")
    out = fix.apply(space)
    examples = _examples(out)
    assert list(examples) == ["44444444444444444444444444444444"]
    example = examples["44444444444444444444444444444444"]
    assert example["sql"] == ["SELECT name, country FROM main.default.countries ORDER BY country, name"]
    assert example["question"] == ["List the names and countries"]  # kept as stored
    assert example["usage_guidance"] == ["Sort by country first"]
    assert as_json(fix.apply(out)) == as_json(out)


def test_replacing_sql_also_replaces_parameters() -> None:
    with_param = AddExampleSql(question="Orders in :region",
                               sql="SELECT * FROM demo.commerce.orders WHERE region = :region",
                               parameters=[ExampleParameter(name="region")])
    space = with_param.apply(small_space())
    without = AddExampleSql(question="orders in :REGION", sql="SELECT * FROM demo.commerce.orders")
    out = without.apply(space)
    changed = [e for e in _examples(out).values() if e["question"] == ["Orders in :region"]]
    assert changed[0]["parameters"] == [] and changed[0]["sql"] == ["SELECT * FROM demo.commerce.orders"]


@pytest.mark.parametrize(
    ("fix", "message"),
    [
        (AddExampleSql(question="q", sql="DELETE FROM demo.commerce.orders"), "not a read-only query"),
        (AddExampleSql(question="q", sql="SELECT 1; DROP TABLE demo.commerce.orders"), "exactly one SQL statement"),
        (AddExampleSql(question="q", sql="SELEC amount FRM orders"), "example SQL rejected"),
        (AddExampleSql(question="q", sql="SELECT * FROM t WHERE a = :region"), "undeclared parameters: :region"),
        (AddExampleSql(question="q", sql="SELECT * FROM t", parameters=[ExampleParameter(name="region")]),
         "never uses: region"),
        (AddExampleSql(question="q", sql="SELECT * FROM t WHERE a = :r",
                       parameters=[ExampleParameter(name="r"), ExampleParameter(name="R")]), "declared twice: r"),
    ],
)
def test_invalid_example_sql_is_a_fix_error(fix: AddExampleSql, message: str) -> None:
    space = small_space()
    with pytest.raises(FixError, match=message):
        fix.apply(space)


def test_casts_and_string_literals_are_not_parameters() -> None:
    fix = AddExampleSql(question="Recent?", sql="SELECT amt_usd::int FROM t WHERE note = ':not_a_param' AND d > :since",
                        parameters=[ExampleParameter(name="since", type_hint="DATE")])
    out = fix.apply(small_space())
    assert len(_examples(out)) == 2


def test_example_keys_and_describe() -> None:
    a = AddExampleSql(question="How many orders?", sql="SELECT COUNT(*) FROM t")
    b = AddExampleSql(question="how  many ORDERS?", sql="select count(*)\nfrom t")
    c = AddExampleSql(question="How many orders?", sql="SELECT COUNT(1) FROM t")
    assert a.key == b.key != c.key
    assert a.describe() == 'add example SQL for "How many orders?"'
    d = AddExampleSql(question="q :x", sql="SELECT :x", parameters=[ExampleParameter(name="x")])
    assert d.describe().endswith("with parameters :x")
