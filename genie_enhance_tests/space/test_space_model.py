"""The lossless space model: round trips on the real exports, unknown fields, lines, v1 upgrade, normalize."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from genie_enhance.errors import SpaceFormatError
from genie_enhance.space.ids import is_valid_id
from genie_enhance.space.io import load_document, parse_document, parse_space, space_to_json
from genie_enhance.space.lines import join_lines, split_lines
from genie_enhance.space.model import SampleQuestion, SerializedSpace
from genie_enhance.space.normalize import normalize, upgrade_to_v2
from genie_enhance_tests.support.paths import GENIE_SPACES

SPACES = GENIE_SPACES
FIXTURES = sorted(SPACES.glob("*.json"))
OMOP = SPACES / "omop_semantic_v1_space_export.json"
UNKNOWN = "zz_unknown_field"


def _split(raw: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """(inner serialized_space, wrapper without it) — wrapper is None for a bare document."""
    if "serialized_space" in raw:
        wrapper = {k: v for k, v in raw.items() if k != "serialized_space"}
        return json.loads(raw["serialized_space"]), wrapper
    return raw, None


def _walk_dicts(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, dict):
        return [value, *(d for v in value.values() for d in _walk_dicts(v))]
    if isinstance(value, list):
        return [d for v in value for d in _walk_dicts(v)]
    return []


def _count_key(value: Any, key: str) -> int:
    return sum(1 for d in _walk_dicts(value) if key in d)


def test_fixture_set_is_complete() -> None:
    names = {p.name for p in FIXTURES}
    assert {"cli_sales_analytics.geniespace.json", "rest_docs_example.json", OMOP.name} <= names


# ---------------------------------------------------------------------------------------------- round trips
@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name)
def test_round_trip_gives_equal_json(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    original_inner, original_wrapper = _split(json.loads(text))
    doc = parse_document(text, source=str(path))
    out_inner, out_wrapper = _split(json.loads(doc.to_json()))
    assert out_inner == original_inner
    assert out_wrapper == original_wrapper
    assert (doc.export is None) == (original_wrapper is None)
    assert json.loads(space_to_json(load_document(path).space)) == original_inner


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name)
def test_unknown_fields_survive_at_every_depth(path: Path) -> None:
    raw = json.loads(path.read_text(encoding="utf-8"))
    inner, wrapper = _split(raw)
    dicts = _walk_dicts(inner)
    for depth, d in enumerate(dicts):
        d[UNKNOWN] = {"depth": depth, "values": [1, 2.5, None, "text", {"nested": True}]}
    if wrapper is not None:
        raw = {**raw, UNKNOWN: ["wrapper", 1], "serialized_space": json.dumps(inner)}
    else:
        raw = inner
    doc = parse_document(json.dumps(raw))
    out_inner, out_wrapper = _split(json.loads(doc.to_json()))
    assert out_inner == inner
    assert _count_key(out_inner, UNKNOWN) == len(dicts) > 5
    if wrapper is not None:
        assert out_wrapper is not None and out_wrapper[UNKNOWN] == ["wrapper", 1]
    # readable through the model, and kept when normalize rebuilds and reorders collections
    assert doc.space.__pydantic_extra__[UNKNOWN]["depth"] == 0
    assert _count_key(normalize(doc.space).model_dump(mode="json"), UNKNOWN) == len(dicts)


def test_unknown_keys_in_specific_places() -> None:
    space = parse_space(
        {
            "version": 2,
            "future_section": {"a": 1},
            "data_sources": {
                "tables": [
                    {
                        "identifier": "c.s.t",
                        "row_filter": "x > 1",
                        "column_configs": [{"column_name": "a", "display_name": "A", "new_flag": False}],
                    }
                ]
            },
            "instructions": {
                "join_specs": [
                    {"left": {"identifier": "c.s.t", "alias": "t", "extra": 1}, "right": {"identifier": "c.s.u"}}
                ],
                "sql_snippets": {"windows": [{"id": "1" * 32}]},
            },
            "benchmarks": {
                "questions": [{"question": ["q"], "answer": [{"format": "SQL", "content": ["x"], "note": "n"}]}]
            },
        }
    )
    dumped = space.to_dict()
    assert dumped["future_section"] == {"a": 1}
    table = dumped["data_sources"]["tables"][0]
    assert table["row_filter"] == "x > 1"
    assert table["column_configs"][0] == {"column_name": "a", "display_name": "A", "new_flag": False}
    assert dumped["instructions"]["join_specs"][0]["left"]["extra"] == 1
    assert dumped["instructions"]["sql_snippets"]["windows"] == [{"id": "1" * 32}]
    assert dumped["benchmarks"]["questions"][0]["answer"][0]["note"] == "n"
    assert space.data_sources.tables[0].column_configs[0].__pydantic_extra__["display_name"] == "A"


def test_absent_sections_stay_absent_and_edits_appear() -> None:
    space = parse_space({"version": 2, "data_sources": {"tables": [{"identifier": "c.s.t"}]}})
    assert space.to_dict() == {"version": 2, "data_sources": {"tables": [{"identifier": "c.s.t"}]}}
    edited = space.model_copy(deep=True)
    edited.config.sample_questions.append(SampleQuestion(id="a" * 32, question=["How many?"]))
    assert edited.to_dict()["config"] == {"sample_questions": [{"id": "a" * 32, "question": ["How many?"]}]}
    assert "config" not in space.to_dict()


# ---------------------------------------------------------------------------------------------- lines
@pytest.mark.parametrize(
    "text",
    ["", "a", "a\n", "a\nb", "a\nb\n", "\n", "\n\n", "SELECT\n  x\nFROM t\n\n", "a\r\nb\r\n", "  indented\n\tz"],
)
def test_split_then_join_is_identity(text: str) -> None:
    lines = split_lines(text)
    assert join_lines(lines) == text
    assert all(line.endswith("\n") for line in lines[:-1])


def test_lines_shapes() -> None:
    assert split_lines("SELECT\n  name\nFROM t") == ["SELECT\n", "  name\n", "FROM t"]
    assert split_lines("a\nb\n") == ["a\n", "b\n"]
    assert split_lines("") == [] and split_lines(None) == []
    assert join_lines(None) == "" and join_lines([]) == ""
    for lines in (["x\n", "y"], ["x\n", "y\n"], ["only"], ["\n", "\n"]):
        assert split_lines(join_lines(lines)) == lines


# ---------------------------------------------------------------------------------------------- v1 → v2
def test_upgrade_renames_v1_flags_on_the_omop_export() -> None:
    raw_inner, _ = _split(json.loads(OMOP.read_text(encoding="utf-8")))
    v1_cols = [c for d in _walk_dicts(raw_inner) for c in [d] if "column_name" in d]
    example = sum(1 for c in v1_cols if c.get("get_example_values"))
    dictionary = sum(1 for c in v1_cols if c.get("build_value_dictionary"))
    assert raw_inner["version"] == 1 and example > 0 and dictionary > 0

    space = load_document(OMOP).space
    upgraded = upgrade_to_v2(space)
    dumped = upgraded.to_dict()
    assert dumped["version"] == 2
    assert _count_key(dumped, "get_example_values") == 0 and _count_key(dumped, "build_value_dictionary") == 0
    cols = [c for t in upgraded.all_tables() for c in t.column_configs]
    assert sum(1 for c in cols if c.enable_format_assistance) == example
    assert sum(1 for c in cols if c.enable_entity_matching) == dictionary
    assert [c.column_name for c in cols] == [c["column_name"] for c in v1_cols]
    # pure: the parsed v1 space is untouched
    assert space.version == 1 and space.to_dict() == raw_inner


def test_upgrade_keeps_an_explicit_v2_value() -> None:
    space = parse_space(
        {
            "version": 1,
            "data_sources": {
                "tables": [
                    {
                        "identifier": "c.s.t",
                        "column_configs": [
                            {"column_name": "a", "get_example_values": True, "enable_format_assistance": False}
                        ],
                    }
                ]
            },
        }
    )
    col = upgrade_to_v2(space).to_dict()["data_sources"]["tables"][0]["column_configs"][0]
    assert col == {"column_name": "a", "enable_format_assistance": False}


# ---------------------------------------------------------------------------------------------- normalize
def _shuffled(space: SerializedSpace) -> SerializedSpace:
    """Every collection reversed, and every other item's id removed."""
    data = copy.deepcopy(space.to_dict())
    for d in _walk_dicts(data):
        for value in d.values():
            if isinstance(value, list) and value and isinstance(value[0], dict):
                value.reverse()
                for i, item in enumerate(value):
                    if "id" in item and i % 2 == 0:
                        del item["id"]
    return parse_space(data)


def _collections(space: SerializedSpace) -> dict[str, tuple[list[Any], Any]]:
    """Collection name → (items, sort key) per genie_api §1.11."""
    ins = space.instructions
    by_id = lambda item: item.id  # noqa: E731
    out: dict[str, tuple[list[Any], Any]] = {
        "tables": (space.data_sources.tables, lambda t: t.identifier),
        "metric_views": (space.data_sources.metric_views, lambda t: t.identifier),
        "sample_questions": (space.config.sample_questions, by_id),
        "text_instructions": (ins.text_instructions, by_id),
        "example_question_sqls": (ins.example_question_sqls, by_id),
        "join_specs": (ins.join_specs, by_id),
        "sql_functions": (ins.sql_functions, lambda f: (f.id, f.identifier)),
        "filters": (ins.sql_snippets.filters, by_id),
        "expressions": (ins.sql_snippets.expressions, by_id),
        "measures": (ins.sql_snippets.measures, by_id),
        "benchmarks": (space.benchmarks.questions, by_id),
    }
    for t in space.all_tables():
        out[f"columns of {t.identifier}"] = (t.column_configs, lambda c: c.column_name)
    for e in ins.example_question_sqls:
        out[f"parameters of {e.id}"] = (e.parameters, lambda p: p.name)
    return out


def _all_ids(space: SerializedSpace) -> tuple[list[str | None], list[str | None]]:
    ins = space.instructions
    questions = [q.id for q in [*space.config.sample_questions, *space.benchmarks.questions]]
    items = [
        *ins.text_instructions, *ins.example_question_sqls, *ins.sql_functions, *ins.join_specs,
        *ins.sql_snippets.filters, *ins.sql_snippets.expressions, *ins.sql_snippets.measures,
    ]
    return questions, [i.id for i in items]


def _with_params(space: SerializedSpace) -> SerializedSpace:
    data = space.to_dict()
    for e in data.get("instructions", {}).get("example_question_sqls", [])[:1]:
        e["parameters"] = [{"name": "zeta"}, {"name": "alpha"}, {"name": "mid"}]
    return parse_space(data)


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name)
def test_normalize_sorts_fills_ids_and_is_idempotent(path: Path) -> None:
    messy = _shuffled(_with_params(load_document(path).space))
    before = messy.to_dict()
    assert None in _all_ids(messy)[0] + _all_ids(messy)[1]
    collections = _collections(messy).items()
    unsorted = [n for n, (items, key) in collections if items != sorted(items, key=lambda i: str(key(i)))]
    assert unsorted, "the shuffle must leave something to sort"
    clean = normalize(messy)

    assert messy.to_dict() == before  # pure
    assert clean.version == 2
    for name, (items, key) in _collections(clean).items():
        keys = [key(i) for i in items]
        assert keys == sorted(keys), name
    questions, instructions = _all_ids(clean)
    for pool in (questions, instructions):
        assert all(is_valid_id(i) for i in pool if i != "01f0d0b4e815100000000000000000g1")  # REST doc's bad id kept
        assert len(set(pool)) == len(pool)
    assert json.dumps(normalize(clean).to_dict()) == json.dumps(clean.to_dict())
    assert normalize(messy).to_dict() == clean.to_dict()  # deterministic ids


def test_normalize_fills_colliding_content_with_distinct_ids() -> None:
    space = parse_space(
        {
            "config": {"sample_questions": [{"question": ["same"]}, {"question": ["same"]}]},
            "benchmarks": {"questions": [{"question": ["same"]}]},
            "instructions": {"sql_snippets": {"filters": [{"sql": ["t.a > 1"]}, {"sql": ["t.a > 1"]}]}},
        }
    )
    clean = normalize(space)
    questions, instructions = _all_ids(clean)
    assert len(set(questions)) == 3 and len(set(instructions)) == 2
    assert all(is_valid_id(i) for i in questions + instructions)


# ---------------------------------------------------------------------------------------------- format errors
def _problems(data: Any) -> list[str]:
    with pytest.raises(SpaceFormatError) as info:
        parse_space(data, source="space.json")
    assert info.value.source == "space.json"
    return info.value.problems


def test_string_where_lines_required_names_the_path() -> None:
    problems = _problems({"instructions": {"example_question_sqls": [{"id": "a" * 32, "sql": "SELECT 1"}]}})
    assert any(p.startswith("instructions.example_question_sqls[0].sql: ") for p in problems), problems


def test_format_errors_name_every_path() -> None:
    problems = _problems(
        {
            "data_sources": {"tables": [{"identifier": "c.s.t"}, {"description": ["no identifier"]}]},
            "instructions": {"join_specs": [{"right": {"identifier": "c.s.t"}}]},
            "benchmarks": {"questions": [{"answer": [{"content": "SELECT 1"}]}]},
        }
    )
    paths = {p.split(": ", 1)[0] for p in problems}
    assert {
        "data_sources.tables[1].identifier",
        "instructions.join_specs[0].left",
        "benchmarks.questions[0].answer[0].content",
    } <= paths


def test_format_errors_for_bad_json_and_wrapper() -> None:
    with pytest.raises(SpaceFormatError) as info:
        parse_document('{"version": 2,\n  "config": }', source="bad.json")
    assert info.value.problems[0].startswith("line 2 column") and "bad.json" in str(info.value)
    with pytest.raises(SpaceFormatError) as info:
        parse_document("[1, 2]", source="list.json")
    assert info.value.problems == ["$: expected a JSON object"]
    inner = json.dumps({"config": {"sample_questions": [{"question": "not lines"}]}})
    with pytest.raises(SpaceFormatError) as info:
        parse_document(json.dumps({"space_id": "x", "serialized_space": inner}), source="export.json")
    assert info.value.source == "export.json#serialized_space"
    assert info.value.problems[0].startswith("config.sample_questions[0].question: ")
