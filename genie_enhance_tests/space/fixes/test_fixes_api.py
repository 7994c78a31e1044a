"""Properties every fix type shares (purity, idempotence, sorting, ids, losslessness) and the package API:
the discriminated union, `parse_fix`, the JSON schema, `apply_fixes` and `dedupe_fixes`."""

from __future__ import annotations

import json
from typing import get_args

import pytest
from pydantic import ValidationError

from genie_enhance.errors import FixError
from genie_enhance.space.fixes import (
    FIX_TYPES,
    AddSynonym,
    AppendTextInstruction,
    Fix,
    FixAdapter,
    FixBase,
    apply_fixes,
    dedupe_fixes,
    fix_json_schema,
    parse_fix,
)
from genie_enhance.space.ids import is_valid_id
from genie_enhance.space.normalize import normalize
from genie_enhance_tests.support.fixes_helpers import (
    ORDERS,
    as_dict,
    as_json,
    fixture_space,
    fixture_space_samples,
    small_space,
    small_space_samples,
)

SMALL = small_space_samples()
REAL = fixture_space_samples()


def _type(fix: FixBase) -> str:
    return fix.type  # type: ignore[attr-defined]


def _instruction_ids(data: dict) -> list[str]:
    ins = data.get("instructions", {})
    snippets = ins.get("sql_snippets", {})
    items = [
        *ins.get("text_instructions", []), *ins.get("example_question_sqls", []), *ins.get("sql_functions", []),
        *ins.get("join_specs", []), *snippets.get("filters", []), *snippets.get("expressions", []),
        *snippets.get("measures", []),
    ]
    return [item["id"] for item in items]


def test_samples_cover_every_fix_type() -> None:
    all_types = {cls.model_fields["type"].default for cls in FIX_TYPES}
    union_members = {cls.model_fields["type"].default for cls in get_args(get_args(Fix)[0])}
    assert all_types == union_members
    assert {_type(f) for f in SMALL} == all_types
    assert {_type(f) for f in REAL} >= all_types - {"fix_join"}


@pytest.mark.parametrize("fix", SMALL, ids=_type)
def test_fix_on_small_space_is_pure_idempotent_sorted_and_lossless(fix: FixBase) -> None:
    space = small_space()
    before = as_json(space)
    once = fix.apply(space)
    assert as_json(space) == before, "apply must not mutate its argument"
    assert as_json(once) != before, "every sample changes the small space"
    assert as_json(fix.apply(once)) == as_json(once), "applying twice must equal applying once"
    # the input was normalized (sorted, ids everywhere); the output must still be
    assert as_json(normalize(once)) == as_json(once)
    data = as_dict(once)
    ids = _instruction_ids(data)
    assert all(is_valid_id(i) for i in ids) and len(ids) == len(set(ids))
    assert len(data["instructions"]["text_instructions"]) == 1
    # unknown keys at every level survive
    assert data["x_top_level"] == {"keep": True}
    tables = {t["identifier"]: t for t in data["data_sources"]["tables"]}
    assert tables[ORDERS]["x_table_note"] == 7
    assert tables["demo.commerce.customers"]["column_configs"][0]["x_col_note"] == "kept"
    assert data["instructions"]["join_specs"][0]["x_join_note"] == "kept"
    examples = {e["id"]: e for e in data["instructions"]["example_question_sqls"]}
    assert examples["40000000000000000000000000000001"]["x_example_note"] == "kept"


@pytest.mark.parametrize("fix", REAL, ids=_type)
def test_fix_on_real_export_is_pure_idempotent_and_valid(fix: FixBase) -> None:
    space = fixture_space()
    before = as_json(space)
    once = fix.apply(space)
    assert as_json(space) == before
    assert as_json(fix.apply(once)) == as_json(once)
    assert as_json(normalize(once)) == as_json(once)
    assert all(is_valid_id(i) for i in _instruction_ids(as_dict(once)))
    # benchmarks and sample questions are never touched by a fix
    assert as_dict(once)["benchmarks"] == as_dict(space)["benchmarks"]
    assert as_dict(once)["config"] == as_dict(space)["config"]


def test_all_real_samples_applied_in_order_are_idempotent_as_a_batch() -> None:
    space = fixture_space()
    once = apply_fixes(space, REAL)
    assert as_json(apply_fixes(once, REAL)) == as_json(once)
    col = once.table("main.default.countries").column("city")
    assert col.enable_entity_matching and col.enable_format_assistance
    assert once.table("main.default.countries").column("name").exclude is False


@pytest.mark.parametrize("fix", SMALL + REAL, ids=_type)
def test_json_round_trip(fix: FixBase) -> None:
    data = fix.model_dump(mode="json")
    assert next(iter(data)) == "type", "the discriminator comes first in JSON"
    assert parse_fix(data) == fix
    assert parse_fix(json.loads(json.dumps(data))).key == fix.key
    assert FixAdapter.validate_json(FixAdapter.dump_json(fix)) == fix
    assert type(FixAdapter.validate_python(data)) is type(fix)


@pytest.mark.parametrize("fix", SMALL + REAL, ids=_type)
def test_describe_is_one_line_and_key_is_stable(fix: FixBase) -> None:
    text = fix.describe()
    assert text and "\n" not in text
    assert fix.key == parse_fix(fix.model_dump(mode="json")).key
    assert fix.key.startswith(_type(fix) + "|")


def test_keys_distinguish_different_effects() -> None:
    keys = [f.key for f in SMALL]
    assert len(keys) == len(set(keys))


def test_parse_fix_natural_json() -> None:
    fix = parse_fix({"type": "add_synonym", "table": "cat.sch.t", "column": "amt_usd", "synonym": " revenue "})
    assert isinstance(fix, AddSynonym)
    assert fix.synonym == "revenue"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"type": "add_synonym", "table": "t", "column": "c"}, "synonym: Field required"),
        ({"type": "add_synonym", "table": "t", "column": "c", "synonym": "  "},
         "synonym: String should have at least 1"),
        ({"type": "add_synonym", "table": "t", "column": "c", "synonym": "s", "colour": 1}, "colour: Extra inputs"),
        ({"type": "teleport"}, "type: Input tag 'teleport'"),
        ({"table": "t"}, "type: Unable to extract tag"),
        ({"type": "add_join", "left_table": "a", "right_table": "b", "on": [["x", "y"]], "relationship": "SIDEWAYS"},
         "relationship: Input should be 'MANY_TO_ONE'"),
        ({"type": "add_join", "left_table": "a", "right_table": "b", "on": [["x"]], "relationship": "ONE_TO_ONE"},
         "on[0]:"),
        ({"type": "add_example_sql", "question": "q", "sql": "SELECT 1", "parameters": [{"name": "bad-name"}]},
         "parameters[0].name:"),
        ({"type": "add_sql_snippet", "kind": "measure", "sql": "SUM(o.x)"}, "needs an `alias`"),
    ],
)
def test_parse_fix_errors_name_the_field(data: dict, expected: str) -> None:
    with pytest.raises(FixError) as err:
        parse_fix(data)
    assert expected in str(err.value)


def test_parse_fix_rejects_non_objects() -> None:
    with pytest.raises(FixError, match="JSON object"):
        parse_fix(["add_synonym"])  # type: ignore[arg-type]


def test_json_schema_lists_every_type_with_type_required() -> None:
    schema = fix_json_schema()
    variants = schema["oneOf"]
    assert len(variants) == len(FIX_TYPES)
    assert set(schema["discriminator"]["mapping"]) == {cls.model_fields["type"].default for cls in FIX_TYPES}
    for name, definition in schema["$defs"].items():
        if name in {cls.__name__ for cls in FIX_TYPES}:
            assert definition["required"][0] == "type"
            assert definition["additionalProperties"] is False
    json.dumps(schema)  # serializable as is, for prompts


def test_apply_fixes_applies_in_order_and_aborts_on_error() -> None:
    space = small_space()
    before = as_json(space)
    out = apply_fixes(space, [AppendTextInstruction(text="First."), AppendTextInstruction(text="Second.")])
    content = "".join(out.instructions.text_instructions[0].content)
    assert content.index("First.") < content.index("Second.")
    with pytest.raises(FixError, match="not in the space"):
        apply_fixes(space, [AddSynonym(table=ORDERS, column="amt_usd", synonym="x"),
                            AddSynonym(table="nope.nope.nope", column="c", synonym="x")])
    assert as_json(space) == before


def test_dedupe_fixes_keeps_first_by_key() -> None:
    a = AddSynonym(table=ORDERS, column="amt_usd", synonym="Revenue")
    b = AddSynonym(table=ORDERS.upper(), column="AMT_USD", synonym="revenue")
    c = AddSynonym(table=ORDERS, column="amt_usd", synonym="sales")
    assert a.key == b.key
    assert dedupe_fixes([a, c, b, c]) == [a, c]
    assert dedupe_fixes([]) == []


def test_fixes_are_immutable() -> None:
    fix = AddSynonym(table=ORDERS, column="amt_usd", synonym="revenue")
    with pytest.raises(ValidationError):
        fix.synonym = "other"  # type: ignore[misc]
