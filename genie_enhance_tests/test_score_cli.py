"""`genie-enhance score` and `ask` through the real Typer app on a DuckDB file, a space file and markdown benchmarks."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

import genie_enhance.cli  # noqa: F401  (registers every command on the app)
from genie_enhance.backends.local.factory import open_local_backend
from genie_enhance.benchmarks import load_benchmarks, split_benchmarks
from genie_enhance.cli.app import app
from genie_enhance_tests.test_scoring_runner import MIXED, SHOP_SPACE, build_shop

runner = CliRunner()


def _markdown(benchmarks) -> str:
    sections = [f"## {b.question}\n**Question:** {b.question}\n\n```sql\n{b.expected_sql}\n```\n" for b in benchmarks]
    return "# Shop benchmarks\n\n" + "\n".join(sections)


@pytest.fixture
def shop_files(tmp_path: Path) -> dict[str, Path]:
    warehouse, space = build_shop(tmp_path)
    benchmarks = tmp_path / "shop.md"
    benchmarks.write_text(_markdown(MIXED), encoding="utf-8")
    return {"warehouse": warehouse, "space": space, "benchmarks": benchmarks}


def _score(files: dict[str, Path], *extra: str):
    args = ["score", "--backend", "local", "--warehouse", str(files["warehouse"]), "--space", str(files["space"]),
            "--benchmarks", str(files["benchmarks"]), *extra]
    return runner.invoke(app, args)


def test_score_json_without_holdout(shop_files) -> None:
    result = _score(shop_files, "--holdout", "0", "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)  # exactly one JSON object and nothing else on stdout
    assert data["counts"] == {"pass": 2, "fail": 2, "error": 1, "needs_review": 0, "api_errors": 0, "total": 5}
    assert data["score"] == {"train": 0.5, "holdout": None, "all": 0.5}
    assert {q["role"] for q in data["questions"]} == {"train"}
    mars = next(q for q in data["questions"] if q["question"] == "What is the weather on Mars?")
    assert (mars["verdict"], mars["reason"], mars["category"]) == ("fail", "no_sql", "no_sql_generated")
    broken = next(q for q in data["questions"] if q["verdict"] == "error")
    assert broken["reason"] == "expected_sql_error"


def test_score_json_with_holdout_uses_the_stable_split(shop_files) -> None:
    result = _score(shop_files, "--holdout", "0.4", "--seed", "3", "--json", "--concurrency", "2")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    split = split_benchmarks(load_benchmarks(shop_files["benchmarks"]), 0.4, 3)
    assert sorted(q["id"] for q in data["questions"] if q["role"] == "holdout") == sorted(split.holdout_ids)
    for role in ("train", "holdout"):
        verdicts = [q["verdict"] for q in data["questions"] if q["role"] == role]
        scored = [v for v in verdicts if v in ("pass", "fail")]
        assert data["score"][role] == (scored.count("pass") / len(scored) if scored else None)


def test_score_table_lists_failures_and_scores(shop_files) -> None:
    result = _score(shop_files, "--holdout", "0")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "weather on Mars" in out and "no_sql" in out
    assert "expected_sql_error" in out
    assert "How many orders are there?" not in out  # passing questions are not listed
    assert "all 50.0%" in out and "holdout n/a" in out


def test_score_shows_a_progress_bar_on_stderr_only(shop_files) -> None:
    """The core emits progress events; the CLI draws them with rich on stderr (a terminal: `TTY_COMPATIBLE=1`),
    and `--json` draws nothing."""
    terminal = CliRunner(env={"TTY_COMPATIBLE": "1", "COLUMNS": "120"})
    args = ["score", "--warehouse", str(shop_files["warehouse"]), "--space", str(shop_files["space"]),
            "--benchmarks", str(shop_files["benchmarks"]), "--holdout", "0"]
    shown = terminal.invoke(app, args)
    assert shown.exit_code == 0, shown.stderr
    bar = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", shown.stderr)
    assert re.search(r"scoring .*━+ 5/5 2 pass", bar), bar
    assert "scoring" not in shown.stdout
    quiet = terminal.invoke(app, [*args, "--json"])
    assert quiet.exit_code == 0 and "scoring" not in quiet.stderr


def test_extra_columns_option_reaches_the_comparison(tmp_path: Path) -> None:
    warehouse, space = build_shop(tmp_path)
    benchmarks = tmp_path / "top.md"
    # Genie answers with the region and its total; the benchmark only asks for the regions
    benchmarks.write_text(
        "## Top regions\n**Question:** Top 3 regions by total amount\n\n```sql\n"
        "SELECT region FROM shop.sales.orders GROUP BY region ORDER BY SUM(amount) DESC LIMIT 3\n```\n",
        encoding="utf-8",
    )
    files = {"warehouse": warehouse, "space": space, "benchmarks": benchmarks}
    strict = json.loads(_score(files, "--holdout", "0", "--json").stdout)
    lenient = json.loads(_score(files, "--holdout", "0", "--json", "--extra-columns", "allow").stdout)
    assert (strict["questions"][0]["verdict"], strict["questions"][0]["reason"]) == ("fail", "extra_columns")
    assert lenient["questions"][0]["verdict"] == "pass"


def test_ask_prints_sql_and_result_table(shop_files) -> None:
    args = ["ask", "What is the total amount by region?", "--warehouse", str(shop_files["warehouse"]),
            "--space", str(shop_files["space"])]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.stderr
    assert "SUM" in result.stdout and "GROUP BY" in result.stdout
    for region in ("North", "South", "East", "West"):
        assert region in result.stdout
    assert "4 row(s)" in result.stdout


def test_ask_without_sql_prints_the_text_answer(shop_files) -> None:
    result = runner.invoke(app, ["ask", "What is the weather on Mars?", "--warehouse", str(shop_files["warehouse"]),
                                 "--space", str(shop_files["space"])])
    assert result.exit_code == 0, result.stderr
    assert "could not find" in result.stdout
    assert "SELECT" not in result.stdout


def test_bad_benchmark_file_exits_2_with_file_and_line(shop_files, tmp_path: Path) -> None:
    bad = tmp_path / "bad.md"
    bad.write_text("## One\n**Question:** How many orders?\n\n```sql\nDELETE FROM shop.sales.orders\n```\n",
                   encoding="utf-8")
    result = _score({**shop_files, "benchmarks": bad}, "--json")
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and f"{bad}:" in lines[0] and "read-only" in lines[0]
    line_no = int(lines[0].split(f"{bad}:")[1].split(":")[0])
    assert bad.read_text().splitlines()[line_no - 1].startswith(("```", "DELETE", "## One"))


def test_missing_files_and_invalid_space_exit_2(shop_files, tmp_path: Path) -> None:
    missing = _score({**shop_files, "warehouse": tmp_path / "nope.duckdb"})
    assert missing.exit_code == 2 and "nope.duckdb" in missing.stderr
    no_bench = _score({**shop_files, "benchmarks": tmp_path / "none.md"})
    assert no_bench.exit_code == 2 and "none.md" in no_bench.stderr
    invalid = tmp_path / "invalid.json"
    invalid.write_text(json.dumps({"data_sources": {"tables": [{"description": ["no identifier"]}]}}), encoding="utf-8")
    bad_space = _score({**shop_files, "space": invalid})
    assert bad_space.exit_code == 2
    assert "invalid.json" in bad_space.stderr and "data_sources.tables[0].identifier" in bad_space.stderr
    assert len(bad_space.stderr.strip().splitlines()) == 1


def test_catalog_disagreement_names_the_field_and_catalog_flag_resolves_it(shop_files, tmp_path: Path) -> None:
    mixed = json.loads(json.dumps(SHOP_SPACE))
    mixed["data_sources"]["tables"][1]["identifier"] = "other.sales.orders"
    space = tmp_path / "mixed.json"
    space.write_text(json.dumps(mixed), encoding="utf-8")
    result = _score({**shop_files, "space": space}, "--json")
    assert result.exit_code == 2
    assert "data_sources.tables[1].identifier" in result.stderr and "--catalog" in result.stderr
    asked = runner.invoke(app, ["ask", "How many customers are there?", "--warehouse", str(shop_files["warehouse"]),
                                "--space", str(space), "--catalog", "shop"])
    assert asked.exit_code == 0, asked.stderr
    assert "20" in asked.stdout


def test_databricks_backend_needs_the_space_and_warehouse_ids(shop_files) -> None:
    result = runner.invoke(app, ["score", "--backend", "databricks", "--benchmarks", str(shop_files["benchmarks"])])
    assert result.exit_code == 2
    assert "--backend databricks needs --space-id and --warehouse-id" in result.stderr


def test_local_backend_sees_store_updates_on_the_next_question(shop_files) -> None:
    with open_local_backend(shop_files["warehouse"], shop_files["space"]) as backend:
        question = "What is the total turnover by region?"
        before = backend.genie.ask(question).sql
        assert before is None or "amount" not in before.lower()  # "turnover" means nothing to this space yet
        space, etag = backend.store.export()
        changed = space.model_copy(deep=True)
        orders = changed.table("shop.sales.orders")
        orders.column("amount").synonyms = ["revenue", "sales", "turnover"]
        backend.store.update(changed, etag)
        answer = backend.genie.ask(question)
        assert answer.sql and "sum(orders.amount)" in answer.sql.lower()
