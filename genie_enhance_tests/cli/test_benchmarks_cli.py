"""`genie-enhance benchmarks` (no warehouse) and the benchmark warnings and labels of `score`, through the real
Typer app, plus one subprocess run of the installed entry point."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import genie_enhance.cli  # noqa: F401  (registers every command on the app)
from genie_enhance.benchmarks import label_id, load_benchmark_set
from genie_enhance.cli.app import app
from genie_enhance.demo.space_configs import BARE_SPACE
from genie_enhance_tests.support.dagster_world import demo_dir
from genie_enhance_tests.support.paths import KPI_PROJECT

PROJECT = KPI_PROJECT
runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, [*args])


def test_listing_has_one_line_per_question_then_the_warnings() -> None:
    result = invoke("benchmarks", str(PROJECT))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    loaded = load_benchmark_set(PROJECT)
    questions, warnings, summary = lines[:11], lines[11:-1], lines[-1]
    assert len(questions) == len(loaded.benchmarks) == 11
    first = questions[0].split("  ")
    assert first[:5] == [label_id("kpi_101"), "kpi_101", f"{PROJECT / 'kpi_customers.json'}:2", "en+ko",
                         "category:customers,difficulty:easy"]
    assert first[5] == "How many customers do we have in each segment?"
    korean = next(q for q in questions if "2024년 지역별 매출은?" in q).split("  ")
    assert korean[1:4] == ["-", f"{PROJECT / 'sales_examples.md'}:8", "ko"]
    assert warnings == [f"warning: {w}" for w in loaded.warnings] and len(warnings) == 7
    assert summary == "11 questions from 3 files, 7 warnings"


def test_json_listing_is_one_object_per_question_and_a_summary() -> None:
    result = invoke("benchmarks", str(PROJECT / "kpi_revenue.json"), str(PROJECT / "sales_examples.md"), "--json")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    *questions, summary = rows
    assert len(questions) == 8 and summary["questions"] == 8 and summary["labelled"] == 4
    kpi = questions[0]
    assert (kpi["id"], kpi["label"], kpi["line"], kpi["languages"]) == (label_id("kpi_001"), "kpi_001", 2, ["en", "ko"])
    assert kpi["file"] == str(PROJECT / "kpi_revenue.json") and kpi["translations"] == {"ko": "총매출은 얼마입니까?"}
    assert kpi["metadata"] == {"category": "revenue", "difficulty": "easy"}
    assert summary["files"] == [str(PROJECT / "kpi_revenue.json"), str(PROJECT / "sales_examples.md")]
    assert [w["line"] for w in summary["warnings"]] == [7, 8, 56, 73]
    assert {w["file"] for w in summary["warnings"]} == {str(PROJECT / "kpi_revenue.json"),
                                                         str(PROJECT / "sales_examples.md")}


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_errors_are_one_line_with_file_and_line_and_exit_2(tmp_path: Path) -> None:
    bad = write(tmp_path, "bad.md", "### 1. 정리?\n**예시 쿼리:**\n```sql\nDROP TABLE t\n```\n")
    result = invoke("benchmarks", str(bad))
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith(f"error: {bad}:3: section '1. 정리?': expected SQL is not read-only")
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_notes_file_alone_is_an_error(tmp_path: Path) -> None:
    result = invoke("benchmarks", str(PROJECT / "INDEX.md"))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {PROJECT / 'INDEX.md'}: no benchmark questions")


def test_duplicate_across_two_files_names_both_places(tmp_path: Path) -> None:
    a = write(tmp_path, "a.json", '[\n  {"id": "kpi_001", "question": "One?", "sql": "SELECT 1"}\n]\n')
    b = write(tmp_path, "b.json", '[\n  {"id": "kpi_001", "question": "Other?", "sql": "SELECT 2"}\n]\n')
    result = invoke("benchmarks", str(a), str(b))
    assert result.exit_code == 2
    assert result.stderr.strip() == (f"error: {b}:2: duplicate benchmark label 'kpi_001' (id {label_id('kpi_001')}); "
                                     f"first defined at {a}:2")


def test_installed_entry_point_lists_korean_text() -> None:
    exe = Path(sys.executable).with_name("genie-enhance")
    done = subprocess.run([str(exe), "benchmarks", str(PROJECT / "sales_examples.md"), "--json"],
                          capture_output=True, text=True, encoding="utf-8", check=False)
    assert done.returncode == 0, done.stderr
    questions = [json.loads(line)["question"] for line in done.stdout.splitlines()[:-1]]
    assert questions[0] == "2024년 지역별 매출은?" and len(questions) == 4


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return demo_dir(tmp_path_factory)


def score(demo: Path, *extra: str):
    return invoke("score", "--warehouse", str(demo / "demo.duckdb"), "--space", str(demo / BARE_SPACE),
                  "--benchmarks", str(PROJECT), "--concurrency", "2", *extra)


def test_score_prints_the_warnings_once_on_stderr_and_labels_in_json(demo: Path) -> None:
    result = score(demo, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    labels = {q["label"] for q in data["questions"]}
    assert {"kpi_001", "kpi_101", None} <= labels and len(data["questions"]) == 11
    warned = [line for line in result.stderr.splitlines() if line.startswith("warning: ")]
    assert warned == [f"warning: {w}" for w in load_benchmark_set(PROJECT).warnings]


def test_score_table_shows_the_label_next_to_the_question(demo: Path) -> None:
    result = score(demo)
    assert result.exit_code == 0, result.output
    header = next(line for line in result.stdout.splitlines() if "question" in line and "verdict" in line)
    assert header.index("id") < header.index("label") < header.index("question")
    failing = json.loads(score(demo, "--json").stdout)["questions"]
    labelled = [q for q in failing if q["verdict"] != "pass" and q["label"]]
    assert labelled, "the bare space must fail some labelled question"
    assert all(any(q["label"] in line and q["id"][:8] in line for line in result.stdout.splitlines())
               for q in labelled)


def test_run_on_a_malformed_benchmark_file_writes_nothing(demo: Path, tmp_path: Path) -> None:
    bad = write(tmp_path, "bad.json", '[\n  {"question": "Q?", "sql": "SELECT 1"},\n'
                                      '  {"id": "kpi_2", "question": "R?", "gold_sql": "DELETE FROM t"}\n]\n')
    space = tmp_path / "space.json"
    space.write_bytes((demo / BARE_SPACE).read_bytes())
    out = tmp_path / "out"
    result = invoke("run", "--warehouse", str(demo / "demo.duckdb"), "--space", str(space), "--benchmarks", str(bad),
                    "--out", str(out), "--llm", "off")
    assert result.exit_code == 2
    assert result.stderr == (f"error: {bad}:3: [1].gold_sql: expected SQL is not read-only: not a read-only query "
                             "(DELETE statement): DELETE FROM t\n")
    assert not out.exists() and space.read_bytes() == (demo / BARE_SPACE).read_bytes()
