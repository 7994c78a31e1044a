"""Column and table fixes: synonyms, descriptions, format assistance / entity matching, exclusion."""

from __future__ import annotations

import pytest

from genie_enhance.errors import FixError
from genie_enhance.space.fixes import (
    AddSynonym,
    EnableEntityMatching,
    EnableFormatAssistance,
    ExcludeColumn,
    IncludeColumn,
    RemoveSynonym,
    SetColumnDescription,
    SetTableDescription,
)
from genie_enhance.space.io import load_space
from genie_enhance_tests.support.fixes_helpers import CUSTOMERS, ORDERS, as_dict, as_json, fixture_space, small_space
from genie_enhance_tests.support.paths import GENIE_SPACES

OMOP_V1 = GENIE_SPACES / "omop_semantic_v1_space_export.json"


def _columns(space, table: str) -> dict[str, dict]:
    data = as_dict(space)
    tables = [*data["data_sources"].get("tables", []), *data["data_sources"].get("metric_views", [])]
    found = next(t for t in tables if t["identifier"] == table)
    return {c["column_name"]: c for c in found.get("column_configs", [])}


def test_add_synonym_appends_to_existing_column() -> None:
    out = AddSynonym(table=ORDERS, column="amt_usd", synonym="revenue").apply(small_space())
    assert _columns(out, ORDERS)["amt_usd"]["synonyms"] == ["amount", "revenue"]


def test_add_synonym_creates_missing_column_config_in_sorted_place() -> None:
    out = AddSynonym(table=ORDERS, column="discount", synonym="rebate").apply(small_space())
    names = list(_columns(out, ORDERS))
    assert names == ["amt_usd", "discount", "legacy_amt", "status"]
    assert _columns(out, ORDERS)["discount"] == {"column_name": "discount", "synonyms": ["rebate"]}


def test_add_synonym_is_case_insensitive_for_table_column_and_synonym() -> None:
    space = small_space()
    out = AddSynonym(table=ORDERS.upper(), column="AMT_USD", synonym="  Amount ").apply(space)
    assert as_json(out) == as_json(space)


def test_add_synonym_on_real_export_and_metric_view() -> None:
    out = AddSynonym(table="main.default.countries", column="country", synonym="nation").apply(fixture_space())
    col = _columns(out, "main.default.countries")["country"]
    assert col == {"column_name": "country", "synonyms": ["nation"], "enable_format_assistance": True,
                   "enable_entity_matching": True}
    mv = AddSynonym(table="demo.commerce.sales_metrics", column="gross", synonym="gmv").apply(small_space())
    assert _columns(mv, "demo.commerce.sales_metrics")["gross"]["synonyms"] == ["gmv"]


def test_unknown_table_is_a_fix_error_listing_the_tables() -> None:
    with pytest.raises(FixError) as err:
        AddSynonym(table="demo.commerce.refunds", column="amt", synonym="x").apply(small_space())
    assert "'demo.commerce.refunds' is not in the space" in str(err.value)
    assert ORDERS in str(err.value)
    for fix in (RemoveSynonym(table="x.y.z", column="c", synonym="s"), IncludeColumn(table="x.y.z", column="c"),
                SetTableDescription(table="x.y.z", description="d"), EnableEntityMatching(table="x.y.z", column="c")):
        with pytest.raises(FixError, match="not in the space"):
            fix.apply(small_space())


def test_remove_synonym_ignores_case_and_absent_things() -> None:
    space = small_space()
    out = RemoveSynonym(table=ORDERS, column="amt_usd", synonym="AMOUNT").apply(space)
    assert _columns(out, ORDERS)["amt_usd"]["synonyms"] == []
    for absent in (RemoveSynonym(table=ORDERS, column="amt_usd", synonym="turnover"),
                   RemoveSynonym(table=ORDERS, column="no_such_column", synonym="amount")):
        assert as_json(absent.apply(space)) == as_json(space)


def test_set_column_description_stores_lines() -> None:
    out = SetColumnDescription(table=ORDERS, column="amt_usd", description="Gross amount.\nIncludes tax.").apply(
        small_space())
    assert _columns(out, ORDERS)["amt_usd"]["description"] == ["Gross amount.\n", "Includes tax."]
    assert _columns(out, ORDERS)["amt_usd"]["synonyms"] == ["amount"]


def test_set_table_description_replaces_lines() -> None:
    out = SetTableDescription(table=ORDERS, description="Orders.\nOne per checkout.\n").apply(small_space())
    table = next(t for t in as_dict(out)["data_sources"]["tables"] if t["identifier"] == ORDERS)
    assert table["description"] == ["Orders.\n", "One per checkout."]
    same = SetTableDescription(table=ORDERS, description="One row per order.\nAmounts in USD.")
    assert as_json(same.apply(small_space())) == as_json(small_space())


def test_enable_format_assistance_creates_config_with_only_that_flag() -> None:
    out = EnableFormatAssistance(table=CUSTOMERS, column="segment").apply(small_space())
    assert _columns(out, CUSTOMERS)["segment"] == {"column_name": "segment", "enable_format_assistance": True}


def test_entity_matching_turns_on_format_assistance() -> None:
    out = EnableEntityMatching(table=CUSTOMERS, column="region").apply(small_space())
    assert _columns(out, CUSTOMERS)["region"] == {
        "column_name": "region", "x_col_note": "kept", "enable_format_assistance": True, "enable_entity_matching": True,
    }
    status = _columns(EnableEntityMatching(table=ORDERS, column="status").apply(small_space()), ORDERS)["status"]
    assert status["enable_format_assistance"] is True and status["enable_entity_matching"] is True


def test_column_flags_on_a_v1_space_use_v1_names() -> None:
    space = load_space(OMOP_V1)
    assert space.version == 1
    view = "serverless_rde85f_catalog.semantic_omop.clinical_encounter_metrics"
    out = EnableEntityMatching(table=view, column="Average Length of Stay Days").apply(space)
    col = _columns(out, view)["Average Length of Stay Days"]
    assert col == {"column_name": "Average Length of Stay Days", "get_example_values": True,
                   "build_value_dictionary": True}
    already = EnableEntityMatching(table=view, column="Care Site")
    assert as_json(already.apply(space)) == as_json(space)
    partly = _columns(EnableEntityMatching(table=view, column="Day of Week").apply(space), view)["Day of Week"]
    assert partly == {"column_name": "Day of Week", "get_example_values": True, "build_value_dictionary": True}


def test_exclude_and_include_column() -> None:
    space = small_space()
    excluded = ExcludeColumn(table=ORDERS, column="amt_usd").apply(space)
    assert _columns(excluded, ORDERS)["amt_usd"]["exclude"] is True
    included = IncludeColumn(table=ORDERS, column="LEGACY_AMT").apply(space)
    assert _columns(included, ORDERS)["legacy_amt"]["exclude"] is False
    assert as_json(IncludeColumn(table=ORDERS, column="amt_usd").apply(space)) == as_json(space)
    assert as_json(IncludeColumn(table=ORDERS, column="unconfigured").apply(space)) == as_json(space)
    roundtrip = IncludeColumn(table=ORDERS, column="amt_usd").apply(excluded)
    assert _columns(roundtrip, ORDERS)["amt_usd"]["exclude"] is False


def test_describe_lines() -> None:
    assert AddSynonym(table="demo.commerce.orders", column="amt_usd", synonym="revenue").describe() == (
        'add synonym "revenue" to demo.commerce.orders.amt_usd')
    assert RemoveSynonym(table="a.b.c", column="x", synonym="y").describe() == 'remove synonym "y" from a.b.c.x'
    assert EnableEntityMatching(table="a.b.c", column="x").describe().startswith("enable entity matching")
    assert ExcludeColumn(table="a.b.c", column="x").describe() == "exclude column a.b.c.x"
    long = SetColumnDescription(table="a.b.c", column="x", description="word " * 40).describe()
    assert long.startswith("set description of a.b.c.x: ") and len(long) < 100


def test_keys_fold_case_where_genie_does() -> None:
    lower = AddSynonym(table="a.b.c", column="x", synonym="rev")
    assert AddSynonym(table="A.B.C", column="X", synonym="Rev").key == lower.key
    assert lower.key != RemoveSynonym(table="a.b.c", column="x", synonym="rev").key
    assert (SetColumnDescription(table="a.b.c", column="x", description="A").key
            != SetColumnDescription(table="a.b.c", column="x", description="B").key)
    assert ExcludeColumn(table="a.b.c", column="x").key != IncludeColumn(table="a.b.c", column="x").key
