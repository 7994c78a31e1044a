"""SQL snippet and text instruction fixes."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from genie_enhance.errors import FixError
from genie_enhance.space.fixes import AddSqlSnippet, AppendTextInstruction, SetTextInstruction
from genie_enhance.space.ids import is_valid_id
from genie_enhance.space.io import parse_space
from genie_enhance.space.model import SerializedSpace
from genie_enhance_tests.support.fixes_helpers import as_dict, as_json, fixture_space, small_space

TOTAL_SALES = "50000000000000000000000000000001"


def _snippets(space, kind: str) -> list[dict]:
    return as_dict(space)["instructions"].get("sql_snippets", {}).get(kind, [])


def test_add_measure_expression_and_filter() -> None:
    space = small_space()
    out = AddSqlSnippet(kind="measure", alias="avg_order", sql="AVG(orders.amt_usd)", display_name="average order",
                        synonyms=["aov", "AOV", "basket size"], instruction="Use for average order value").apply(space)
    new = [m for m in _snippets(out, "measures") if m["id"] != TOTAL_SALES]
    assert new == [{"id": new[0]["id"], "sql": ["AVG(orders.amt_usd)"], "alias": "avg_order",
                    "display_name": "average order", "synonyms": ["aov", "basket size"],
                    "instruction": ["Use for average order value"]}]
    ids = [m["id"] for m in _snippets(out, "measures")]
    assert ids == sorted(ids) and all(is_valid_id(i) for i in ids)

    out = AddSqlSnippet(kind="expression", alias="order_month", sql="DATE_TRUNC('MONTH', orders.order_ts)").apply(space)
    assert [e["alias"] for e in _snippets(out, "expressions")] == ["order_month"]
    assert _snippets(out, "measures") == _snippets(space, "measures")

    out = AddSqlSnippet(kind="filter", sql="  orders.amt_usd > 1000 ", display_name="big orders").apply(space)
    (flt,) = _snippets(out, "filters")
    assert flt["sql"] == ["orders.amt_usd > 1000"] and "alias" not in flt


def test_snippet_on_real_export_creates_sql_snippets_section() -> None:
    space = fixture_space()
    assert "sql_snippets" not in as_dict(space)["instructions"]
    out = AddSqlSnippet(kind="measure", alias="people", sql="COUNT(countries.name)").apply(space)
    assert set(as_dict(out)["instructions"]["sql_snippets"]) == {"measures"}


def test_same_alias_merges_synonyms_and_updates_sql() -> None:
    space = small_space()
    same = AddSqlSnippet(kind="measure", alias="TOTAL_SALES", sql="sum(orders.amt_usd)", synonyms=["Revenue"])
    assert as_json(same.apply(space)) == as_json(space)
    merged = AddSqlSnippet(kind="measure", alias="total_sales", sql="SUM(orders.amt_usd)",
                           synonyms=["turnover", "revenue"], display_name="total sales").apply(space)
    (m,) = _snippets(merged, "measures")
    assert m["id"] == TOTAL_SALES
    assert m["synonyms"] == ["revenue", "turnover"]
    assert m["display_name"] == "total sales"
    redefined = AddSqlSnippet(kind="measure", alias="total_sales", sql="SUM(orders.amt_usd - orders.discount)")
    redefined = redefined.apply(space)
    (m,) = _snippets(redefined, "measures")
    assert m["sql"] == ["SUM(orders.amt_usd - orders.discount)"] and m["synonyms"] == ["revenue"]


def test_filters_match_by_normalized_sql() -> None:
    first = AddSqlSnippet(kind="filter", sql="orders.status = 'shipped'", synonyms=["sent"]).apply(small_space())
    again = AddSqlSnippet(kind="filter", sql="ORDERS.STATUS   =  'shipped'", synonyms=["dispatched"]).apply(first)
    (flt,) = _snippets(again, "filters")
    assert flt["synonyms"] == ["sent", "dispatched"]


@pytest.mark.parametrize(
    ("kind", "alias", "sql", "message"),
    [
        ("filter", None, "WHERE orders.amt_usd > 10", "starts with WHERE"),
        ("filter", None, "  where orders.amt_usd > 10", "starts with WHERE"),
        ("measure", "m", "SUM(amt_usd)", "qualify columns with their table \\(amt_usd\\)"),
        ("measure", "m", "orders.amt_usd", "must aggregate"),
        ("expression", "e", "SUM(orders.amt_usd)", "add it as a measure"),
        ("measure", "m", "SUM(orders.amt_usd) AS total", "put the name in `alias`"),
        ("measure", "m", "SUM(orders.amt_usd) FROM demo.commerce.orders", "one expression, not a query"),
        ("expression", "e", "orders.a, orders.b", "one expression"),
        ("filter", None, "orders.a = 1; DROP TABLE x", "not a single SQL expression"),
        ("measure", "m", "SUM(orders.amt_usd", "not a single SQL expression"),
    ],
)
def test_invalid_snippets_are_fix_errors(kind: str, alias: str | None, sql: str, message: str) -> None:
    with pytest.raises(FixError, match=message):
        AddSqlSnippet(kind=kind, alias=alias, sql=sql).apply(small_space())


def test_snippet_shape_rules() -> None:
    with pytest.raises(ValidationError, match="needs an `alias`"):
        AddSqlSnippet(kind="expression", sql="YEAR(orders.d)")
    with pytest.raises(ValidationError, match="filter snippets have no `alias`"):
        AddSqlSnippet(kind="filter", alias="f", sql="orders.a = 1")
    with pytest.raises(ValidationError):
        AddSqlSnippet(kind="measure", alias="total sales", sql="SUM(orders.a)")


def test_snippet_key_and_describe() -> None:
    a = AddSqlSnippet(kind="measure", alias="Total", sql="SUM(o.a)", synonyms=["Rev", "x"])
    b = AddSqlSnippet(kind="measure", alias="total", sql="sum(o.a)", synonyms=["x", "rev"])
    assert a.key == b.key
    assert a.key != AddSqlSnippet(kind="expression", alias="total", sql="sum(o.a)").key
    assert a.describe() == 'add measure snippet "Total": SUM(o.a)'
    assert AddSqlSnippet(kind="filter", sql="o.a = 1").describe() == "add filter snippet: o.a = 1"


# ---------------------------------------------------------------------------------------------- text instruction
def _text(space) -> list[dict]:
    return as_dict(space)["instructions"].get("text_instructions", [])


def test_set_text_instruction_replaces_content_keeping_the_id() -> None:
    out = SetTextInstruction(text="Line one.\nLine two.").apply(fixture_space())
    assert _text(out) == [{"content": ["Line one.\n", "Line two."], "id": "33333333333333333333333333333333"}]


def test_set_text_instruction_creates_the_single_entry() -> None:
    space = parse_space({"version": 2, "data_sources": {"tables": [{"identifier": "a.b.c"}]}})
    out = SetTextInstruction(text="Hello.").apply(space)
    (entry,) = _text(out)
    assert entry["content"] == ["Hello."] and is_valid_id(entry["id"])


def test_append_text_instruction_adds_a_paragraph_unless_contained() -> None:
    space = fixture_space()
    out = AppendTextInstruction(text="Country names are in English.").apply(space)
    (entry,) = _text(out)
    assert entry["content"][-3:] == ["Prefer returning the name and country columns directly.\n", "\n",
                                     "Country names are in English."]
    contained = AppendTextInstruction(text="use ONLY the main.default.countries   table.")
    assert as_json(contained.apply(space)) == as_json(space)
    assert as_json(AppendTextInstruction(text="Country names are in English.").apply(out)) == as_json(out)


def test_append_to_space_without_text_instruction() -> None:
    space = parse_space({"version": 2, "data_sources": {"tables": [{"identifier": "a.b.c"}]}})
    (entry,) = _text(AppendTextInstruction(text="First paragraph.").apply(space))
    assert entry["content"] == ["First paragraph."]


def test_several_text_entries_are_folded_into_one() -> None:
    space: SerializedSpace = parse_space({
        "version": 2,
        "data_sources": {"tables": [{"identifier": "a.b.c"}]},
        "instructions": {"text_instructions": [
            {"id": "b" * 32, "content": ["Second."]},
            {"id": "a" * 32, "content": ["First.\n"]},
        ]},
    })
    appended = _text(AppendTextInstruction(text="Third.").apply(space))
    assert appended == [{"id": "a" * 32, "content": ["First.\n", "\n", "Second.\n", "\n", "Third."]}]
    replaced = _text(SetTextInstruction(text="Only.").apply(space))
    assert replaced == [{"id": "a" * 32, "content": ["Only."]}]


def test_text_instruction_keys_and_describe() -> None:
    assert AppendTextInstruction(text="Use  USD").key == AppendTextInstruction(text="use usd").key
    assert SetTextInstruction(text="Use USD").key != SetTextInstruction(text="use usd").key
    assert SetTextInstruction(text="Use USD").key != AppendTextInstruction(text="Use USD").key
    assert AppendTextInstruction(text="Use USD.").describe() == 'append to text instruction: "Use USD."'
