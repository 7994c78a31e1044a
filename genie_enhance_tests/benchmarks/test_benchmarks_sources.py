"""JSON benchmark files, a space's own benchmarks, and loading a directory of mixed sources."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from genie_enhance.benchmarks import (
    benchmarks_from_space,
    is_space_document,
    load_benchmark_set,
    load_benchmarks,
    question_id,
    space_benchmarks,
)
from genie_enhance.errors import BenchmarkError
from genie_enhance.space.io import load_space, parse_space
from genie_enhance_tests.support.paths import GENIE_SPACES

SPACES = GENIE_SPACES
CLI_SPACE = SPACES / "cli_sales_analytics.geniespace.json"
ID_A = "0123456789abcdef0123456789abcdef"

GOOD_JSON = """\
{
  "description": "demo questions",
  "benchmarks": [
    {
      "id": "0123456789abcdef0123456789abcdef",
      "question": "How many orders were placed?",
      "question_ko": "주문이 몇 건입니까?",
      "expected_sql": "SELECT COUNT(*) FROM shop.sales.orders",
      "tags": ["count"]
    },
    {
      "question": "Revenue by region",
      "expected_sql": ["SELECT region, SUM(amount)\\n", "FROM shop.sales.orders\\n", "GROUP BY region"]
    }
  ]
}
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def bad_json(item: str) -> str:
    """A benchmark file whose second item (line 5) is `item`."""
    good = '{"question": "Fine?", "expected_sql": "SELECT 1"}'
    return '{\n  "benchmarks": [\n    ' + good + ",\n\n" + "    " + item + "\n  ]\n}\n"


# ---------------------------------------------------------------------------------------------- JSON
def test_json_file_parses_with_sources_pointing_at_items(tmp_path: Path) -> None:
    path = write(tmp_path, "demo.json", GOOD_JSON)
    first, second = load_benchmarks(path)
    assert first.id == ID_A
    assert first.question_ko == "주문이 몇 건입니까?" and first.translations == {"ko": "주문이 몇 건입니까?"}
    assert first.tags == ["count"]
    assert first.source == f"{path}:4"
    assert second.id == question_id("Revenue by region")
    assert second.expected_sql == "SELECT region, SUM(amount)\nFROM shop.sales.orders\nGROUP BY region"
    assert second.source == f"{path}:11"
    lines = GOOD_JSON.splitlines()
    assert lines[4 - 1].strip() == "{" and lines[11 - 1].strip() == "{"


NOT_READ_ONLY = "benchmarks[1].expected_sql: expected SQL is not read-only"
JSON_ERRORS = {
    "id of another type": ('{"id": 1.5, "question": "Q?", "expected_sql": "SELECT 1"}', 5, "benchmarks[1].id: must be a"),
    "missing sql": ('{"question": "Q?"}', 5, "benchmarks[1].expected_sql: required"),
    "missing question": ('{"expected_sql": "SELECT 1"}', 5, "benchmarks[1].question:"),
    "delete": ('{"question": "Q?", "expected_sql": "DELETE FROM t"}', 5, NOT_READ_ONLY),
    "two statements": ('{"question": "Q?",\n     "expected_sql": "SELECT 1; DROP TABLE t"}', 6, NOT_READ_ONLY),
    "alias disagrees": ('{"question": "Q?", "expected_sql": "SELECT 1",\n     "sql": "SELECT 2"}', 6,
                        'benchmarks[1].sql: expected_sql is also given as "expected_sql", with a different value'),
    "tags not a list": ('{"question": "Q?", "expected_sql": "SELECT 1", "tags": "x"}', 5, "benchmarks[1].tags: must"),
    "item not an object": ('"SELECT 1"', 5, "benchmarks[1]: expected an object"),
    "duplicate id": ('{"question": "fine?", "expected_sql": "SELECT 2"}', 5, "duplicate benchmark id"),
}


@pytest.mark.parametrize("case", list(JSON_ERRORS), ids=list(JSON_ERRORS))
def test_json_errors_name_file_line_and_json_path(tmp_path: Path, case: str) -> None:
    item, line, message = JSON_ERRORS[case]
    path = write(tmp_path, "bad.json", bad_json(item))
    with pytest.raises(BenchmarkError) as info:
        load_benchmarks(path)
    assert info.value.path == str(path)
    assert info.value.line == line, info.value.message
    assert message in info.value.message


def test_invalid_json_and_wrong_shape(tmp_path: Path) -> None:
    with pytest.raises(BenchmarkError) as info:
        load_benchmarks(write(tmp_path, "broken.json", '{\n  "benchmarks": [\n    {"question": "Q?",}\n  ]\n}\n'))
    assert info.value.line == 3 and "invalid JSON" in info.value.message
    with pytest.raises(BenchmarkError, match=r'\$: expected a list of benchmark questions, or an object with a "benchm'):
        load_benchmarks(write(tmp_path, "object.json", '{"questions": [{"question": "Q?", "expected_sql": "SELECT 1"}]}'))


# ---------------------------------------------------------------------------------------------- space
def test_space_fixture_benchmark_keeps_its_id() -> None:
    (bench,) = load_benchmarks(CLI_SPACE)
    assert bench.id == "8" * 32
    assert bench.question == "Show all names and countries"
    assert bench.expected_sql == "SELECT\n  name,\n  country\nFROM main.default.countries\nORDER BY name"
    assert bench.source == f"space:{CLI_SPACE}#benchmarks.questions[0]"
    assert benchmarks_from_space(load_space(CLI_SPACE), str(CLI_SPACE)) == [bench]


def test_export_wrapper_is_detected_as_a_space(tmp_path: Path) -> None:
    inner = CLI_SPACE.read_text(encoding="utf-8")
    wrapper = {"space_id": "abc", "title": "Sales", "serialized_space": inner}
    path = write(tmp_path, "export.json", json.dumps(wrapper))
    assert is_space_document(wrapper) and not is_space_document(json.loads(GOOD_JSON))
    assert [b.id for b in load_benchmarks(path)] == ["8" * 32]


def test_space_questions_without_usable_sql_are_skipped_and_reported() -> None:
    def q(qid: str, text: list[str], fmt: str | None = None, content: list[str] | None = None) -> dict:
        answer = [] if fmt is None else [{"format": fmt, "content": content}]
        return {"id": qid, "question": text, **({"answer": answer} if answer else {})}

    questions = [
        q(ID_A, ["How many ", "orders?"], "SQL", ["SELECT COUNT(*)\n", "FROM o"]),
        q("1" * 32, ["Graded by hand"]),
        q("2" * 32, ["Text answer"], "TEXT", ["42"]),
        q("3" * 32, ["Drop it"], "SQL", ["DROP TABLE o"]),
        q("not-hex", ["Revenue?"], "SQL", ["SELECT SUM(x) FROM o"]),
    ]
    space = parse_space({"benchmarks": {"questions": questions}})
    found = space_benchmarks(space, "live-space")
    assert [(b.id, b.question, b.expected_sql) for b in found.benchmarks] == [
        (ID_A, "How many orders?", "SELECT COUNT(*)\nFROM o"),
        (question_id("Revenue?"), "Revenue?", "SELECT SUM(x) FROM o"),
    ]
    assert [s.id for s in found.skipped] == ["1" * 32, "2" * 32, "3" * 32]
    reasons = [s.reason for s in found.skipped]
    assert reasons[0] == "no answer" and "not SQL" in reasons[1] and "not read-only" in reasons[2]
    assert found.skipped[2].source == "space:live-space#benchmarks.questions[3]"


def test_space_with_duplicate_ids_is_an_error() -> None:
    question = {"id": ID_A, "question": ["Q?"], "answer": [{"format": "SQL", "content": ["SELECT 1"]}]}
    space = parse_space({"benchmarks": {"questions": [question, {**question, "question": ["Other?"]}]}})
    expected = rf"duplicate benchmark id {ID_A}; first defined at space:s#benchmarks.questions\[0\]"
    with pytest.raises(BenchmarkError, match=expected):
        benchmarks_from_space(space, "s")


def test_unparseable_space_sql_is_skipped_not_fatal() -> None:
    loaded = load_benchmark_set(SPACES / "rest_docs_example.json")  # its SQL is the docs' "SELECT AVG(amount)..."
    assert loaded.benchmarks == []
    assert len(loaded.skipped) == 1 and "does not parse" in loaded.skipped[0].reason


# ---------------------------------------------------------------------------------------------- directories
def md_section(title: str, question: str, sql: str, bench_id: str | None = None) -> str:
    id_line = f"<!-- id: {bench_id} -->\n" if bench_id else ""
    return f"## {title}\n{id_line}**Question:** {question}\n\n```sql\n{sql}\n```\n\n"


def test_directory_loads_every_md_and_json_in_name_order(tmp_path: Path) -> None:
    write(tmp_path, "b_more.md", "# More\n\n" + md_section("Max", "Largest order?", "SELECT MAX(amount) FROM o"))
    write(tmp_path, "a_basic.json", GOOD_JSON)
    write(tmp_path, "c_space.json", CLI_SPACE.read_text(encoding="utf-8"))
    write(tmp_path, "notes.txt", "not a benchmark file")
    loaded = load_benchmark_set(tmp_path)
    assert [Path(f).name for f in loaded.files] == ["a_basic.json", "b_more.md", "c_space.json"]
    assert [b.question for b in loaded.benchmarks] == [
        "How many orders were placed?",
        "Revenue by region",
        "Largest order?",
        "Show all names and countries",
    ]
    assert load_benchmarks(tmp_path) == loaded.benchmarks


def test_duplicate_id_across_files_names_both_places(tmp_path: Path) -> None:
    first = write(tmp_path, "a.json", GOOD_JSON)
    second = write(
        tmp_path,
        "b.md",
        "# B\n\n" + md_section("Other", "Largest order?", "SELECT MAX(amount) FROM o")
        + md_section("Clash", "Count orders", "SELECT COUNT(*) FROM o", ID_A),
    )
    with pytest.raises(BenchmarkError) as info:
        load_benchmarks(tmp_path)
    assert (info.value.path, info.value.line) == (str(second), 10)
    assert f"first defined at {first}:4" in info.value.message
    assert (tmp_path / "b.md").read_text().splitlines()[10 - 1] == "## Clash"


def test_same_question_text_in_two_files_is_a_duplicate(tmp_path: Path) -> None:
    write(tmp_path, "a.md", md_section("One", "Largest order?", "SELECT MAX(amount) FROM o"))
    second = write(tmp_path, "b.md", md_section("Two", "largest   ORDER?", "SELECT MAX(amount) FROM o"))
    with pytest.raises(BenchmarkError, match="the same question text") as info:
        load_benchmarks(tmp_path)
    assert (info.value.path, info.value.line) == (str(second), 1)


def test_missing_empty_and_unsupported_paths(tmp_path: Path) -> None:
    with pytest.raises(BenchmarkError, match="no such benchmark file or directory"):
        load_benchmarks(tmp_path / "absent.md")
    with pytest.raises(BenchmarkError, match=r"no \*.md or \*.json benchmark files"):
        load_benchmarks(tmp_path)
    with pytest.raises(BenchmarkError, match="unsupported benchmark file type '.yaml'"):
        load_benchmarks(write(tmp_path, "b.yaml", "benchmarks: []"))
