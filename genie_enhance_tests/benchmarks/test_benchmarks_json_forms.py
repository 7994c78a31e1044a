"""JSON benchmark files as users already keep them: a top-level list, non-hex ids kept as labels with stable derived
ids, other spellings of our fields, unknown fields kept as tags and metadata with one warning per file and field."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from genie_enhance.benchmarks import (
    ALIASES,
    ITEM_FIELDS,
    json_benchmarks,
    label_id,
    load_benchmark_paths,
    load_benchmark_set,
    question_id,
)
from genie_enhance.errors import BenchmarkError
from genie_enhance.space.ids import is_valid_id
from genie_enhance_tests.support.paths import KPI_PROJECT

PROJECT = KPI_PROJECT
REVENUE = PROJECT / "kpi_revenue.json"


def write(tmp_path: Path, name: str, data: object) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def test_project_list_file_loads_with_labels_korean_and_tags() -> None:
    loaded = load_benchmark_set(REVENUE)
    first = loaded.benchmarks[0]
    assert [b.label for b in loaded.benchmarks] == ["kpi_001", "kpi_002", "kpi_003", "kpi_004"]
    assert first.id == label_id("kpi_001") and is_valid_id(first.id)
    assert first.question == "What is the total revenue?"
    assert first.question_ko == "총매출은 얼마입니까?" and first.languages == ["en", "ko"]
    assert first.tags == ["category:revenue", "difficulty:easy"]
    assert first.metadata == {"category": "revenue", "difficulty": "easy"}
    assert first.source == f"{REVENUE}:2"
    assert loaded.benchmarks[1].expected_sql.splitlines()[-1] == "WHERE YEAR(ord_ts) = 2024"
    assert [str(w) for w in loaded.warnings] == [
        f'{REVENUE}:7: unknown field "category" (4 questions, first at [0].category) kept as tags '
        '"category:<value>" and metadata',
        f'{REVENUE}:8: unknown field "difficulty" (4 questions, first at [0].difficulty) kept as tags '
        '"difficulty:<value>" and metadata',
    ]
    lines = REVENUE.read_text(encoding="utf-8").splitlines()
    assert lines[7 - 1].strip().startswith('"category"') and lines[8 - 1].strip().startswith('"difficulty"')


def test_label_ids_are_stable_across_processes_and_distinct_from_text_ids() -> None:
    code = "from genie_enhance.benchmarks import label_id; print(label_id('kpi_001'))"
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert other.stdout.strip() == label_id("kpi_001") == label_id(" kpi_001 ")
    assert label_id("kpi_001") != question_id("kpi_001") and label_id("kpi_001") != label_id("KPI_001")


def test_rewording_a_labelled_question_keeps_its_id(tmp_path: Path) -> None:
    before = write(tmp_path, "a.json", [{"id": "kpi_7", "question": "Total revenue?", "expected_sql": "SELECT 1"}])
    after = write(tmp_path, "b.json", [{"id": "kpi_7", "question": "What is revenue?", "expected_sql": "SELECT 1"}])
    assert load_benchmark_set(before).benchmarks[0].id == load_benchmark_set(after).benchmarks[0].id


ID_FORMS = {
    "hex id is the id": ("0123456789abcdef0123456789abcdef", None, "0123456789abcdef0123456789abcdef"),
    "name is a label": ("kpi_001", "kpi_001", label_id("kpi_001")),
    "upper-case hex is a label": ("0123456789ABCDEF0123456789ABCDEF", "0123456789ABCDEF0123456789ABCDEF",
                                  label_id("0123456789ABCDEF0123456789ABCDEF")),
    "Korean name is a label": ("매출-001", "매출-001", label_id("매출-001")),
    "integer is a label": (17, "17", label_id("17")),
    "empty id is no id": ("  ", None, question_id("Q?")),
}


@pytest.mark.parametrize("case", list(ID_FORMS), ids=list(ID_FORMS))
def test_id_forms(case: str) -> None:
    given, label, expected_id = ID_FORMS[case]
    (bench,) = json_benchmarks([{"id": given, "question": "Q?", "expected_sql": "SELECT 1"}], "f.json").benchmarks
    assert (bench.label, bench.id) == (label, expected_id)


def test_every_alias_maps_to_one_of_our_fields() -> None:
    assert set(ALIASES.values()) <= set(ITEM_FIELDS) and not set(ALIASES) & set(ITEM_FIELDS)
    base = {"question": "How many?", "question_ko": "몇 개?", "expected_sql": "SELECT 1", "id": "kpi_9"}
    canonical = json_benchmarks([base], "f.json").benchmarks[0]
    for alias, field in ALIASES.items():
        item = {(alias if key == field else key): value for key, value in base.items()}
        (bench,) = json_benchmarks([item], "f.json").benchmarks
        assert bench == canonical, alias


def test_aliases_match_any_case_and_agreeing_duplicates_are_fine() -> None:
    item = {"ID": "kpi_1", "Question": "How many?", "Korean_Question": "몇 개?", "SQL": "SELECT 1",
            "gold_sql": "SELECT 1"}
    loaded = json_benchmarks([item], "f.json")
    (bench,) = loaded.benchmarks
    assert (bench.label, bench.question_ko, bench.expected_sql) == ("kpi_1", "몇 개?", "SELECT 1")
    assert loaded.warnings == []


def test_unknown_fields_one_warning_per_file_and_field(tmp_path: Path) -> None:
    items = [
        {"id": "a1", "question": "One?", "expected_sql": "SELECT 1", "category": "x", "owners": ["kim", "lee"]},
        {"id": "a2", "question": "Two?", "expected_sql": "SELECT 2", "category": "y", "verified": True,
         "notes": "line one\nline two", "extra": {"nested": 1}},
        {"id": "a3", "question": "Three?", "expected_sql": "SELECT 3", "category": "y", "score": 0.5},
    ]
    path = write(tmp_path, "mixed.json", items)
    loaded = load_benchmark_set(path)
    one, two, three = loaded.benchmarks
    assert one.tags == ["category:x", "owners:kim", "owners:lee"]
    assert two.tags == ["category:y", "verified:true"]
    assert two.metadata == {"category": "y", "verified": True, "notes": "line one\nline two", "extra": {"nested": 1}}
    assert three.tags == ["category:y", "score:0.5"]
    messages = {w.message.split('"')[1]: (w.line, w.message) for w in loaded.warnings}
    assert list(messages) == ["category", "owners", "verified", "notes", "extra", "score"]
    assert all(w.path == str(path) for w in loaded.warnings)
    assert "(3 questions, first at [0].category)" in messages["category"][1]
    assert messages["notes"][1].endswith("kept as metadata")
    text = path.read_text(encoding="utf-8").splitlines()
    for name, (line, _) in messages.items():
        assert text[line - 1].strip().startswith(f'"{name}"'), name


def test_wrapped_object_keeps_json_paths_under_benchmarks(tmp_path: Path) -> None:
    path = write(tmp_path, "wrapped.json", {"benchmarks": [{"id": "k", "question": "Q?", "sql": "SELECT 1",
                                                            "level": 2}]})
    loaded = load_benchmark_set(path)
    assert loaded.benchmarks[0].tags == ["level:2"]
    assert "first at benchmarks[0].level" in loaded.warnings[0].message


def test_top_level_list_errors_use_list_paths(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('[\n  {"question": "Q?", "expected_sql": "SELECT 1"},\n  {"question": "R?",\n'
                    '   "gold_sql": "DELETE FROM t"}\n]\n', encoding="utf-8")
    with pytest.raises(BenchmarkError) as info:
        load_benchmark_set(path)
    assert (info.value.path, info.value.line) == (str(path), 4)
    assert info.value.message.startswith("[1].gold_sql: expected SQL is not read-only")


def test_duplicate_label_across_two_files_names_both_places(tmp_path: Path) -> None:
    first = write(tmp_path, "a.json", [{"id": "kpi_001", "question": "One?", "expected_sql": "SELECT 1"}])
    second = write(tmp_path, "b.json", [{"id": "kpi_002", "question": "Two?", "expected_sql": "SELECT 2"},
                                        {"id": "kpi_001", "question": "Three?", "expected_sql": "SELECT 3"}])
    for load in (lambda: load_benchmark_set(tmp_path), lambda: load_benchmark_paths([first, second])):
        with pytest.raises(BenchmarkError) as info:
            load()
        assert (info.value.path, info.value.line) == (str(second), 7)
        assert info.value.message == (f"duplicate benchmark label 'kpi_001' (id {label_id('kpi_001')}); first "
                                      f"defined at {first}:2")


def test_project_folder_loads_json_and_markdown_and_skips_the_index() -> None:
    loaded = load_benchmark_set(PROJECT)
    assert [Path(f).name for f in loaded.files] == ["kpi_customers.json", "kpi_revenue.json", "sales_examples.md"]
    assert len(loaded.benchmarks) == 11 and sum(b.label is not None for b in loaded.benchmarks) == 7
    index = [w for w in loaded.warnings if w.path.endswith("INDEX.md")]
    assert len(index) == 1 and index[0].line is None and index[0].message.startswith("skipped, no benchmark questions")
