"""`genie-enhance validate-space`: exit codes, one line per problem, --json, --warehouse/--catalog."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

import genie_enhance.cli  # noqa: F401 - registers the commands on `app`
from genie_enhance.cli.app import app
from genie_enhance.space.io import load_document
from genie_enhance.space.validation import validate_space
from genie_enhance_tests.support.paths import GENIE_SPACES
from genie_enhance_tests.support.shops import build_validation_shop
from genie_enhance_tests.support.validation_helpers import valid_space_dict

SPACES = GENIE_SPACES
REST = SPACES / "rest_docs_example.json"
LINE = re.compile(r"^\S+: \S.*$")


def invoke(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def write(tmp_path: Path, data: dict[str, Any] | str, name: str = "space.json") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def test_valid_space_prints_one_summary_line() -> None:
    result = invoke("validate-space", str(SPACES / "cli_sales_analytics.geniespace.json"))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    assert "valid" in lines[0] and "tables 1, instructions 2, snippets 0, benchmarks 1" in lines[0]


def test_v1_export_is_upgraded_with_a_note_on_stderr() -> None:
    result = invoke("validate-space", str(SPACES / "omop_semantic_v1_space_export.json"))
    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) == 1 and "tables 7, instructions 9" in result.stdout
    assert "version 1" in result.stderr and "upgraded" in result.stderr


def test_invalid_space_prints_one_line_per_problem() -> None:
    result = invoke("validate-space", str(REST))
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert all(LINE.match(line) for line in lines), lines
    assert lines == [str(p) for p in validate_space(load_document(REST).space)]
    assert any(line.startswith("benchmarks.questions[0].id: ") for line in lines)
    assert any(line.startswith("instructions.join_specs[0].sql: ") for line in lines)


def test_json_output(tmp_path: Path) -> None:
    result = invoke("validate-space", "--json", str(REST))
    assert result.exit_code == 1
    payload = json.loads(result.stdout)
    assert payload["file"] == str(REST) and payload["valid"] is False
    assert {"path": "benchmarks.questions[0].id", "code": "invalid_id"}.items() <= payload["problems"][0].items()
    assert all(set(p) == {"path", "code", "message", "severity"} for p in payload["problems"])

    ok = invoke("validate-space", "--json", str(write(tmp_path, valid_space_dict())))
    assert ok.exit_code == 0 and json.loads(ok.stdout)["valid"] is True and json.loads(ok.stdout)["problems"] == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"version": 2,\n "config": }', "line 2 column"),
        (json.dumps({"instructions": {"example_question_sqls": [{"sql": "SELECT 1"}]}}),
         "instructions.example_question_sqls[0].sql: "),
        (json.dumps({"serialized_space": json.dumps({"config": {"sample_questions": [{"question": 1}]}})}),
         "config.sample_questions[0].question: "),
    ],
)
def test_unparseable_file_exits_1_with_its_problems(tmp_path: Path, text: str, expected: str) -> None:
    result = invoke("validate-space", str(write(tmp_path, text)))
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines and lines[0].startswith(expected), lines
    as_json = json.loads(invoke("validate-space", "--json", str(write(tmp_path, text))).stdout)
    assert as_json["valid"] is False and as_json["problems"][0]["code"] == "format"


def test_warehouse_checks_catalog_and_execution(tmp_path: Path) -> None:
    db = build_validation_shop(tmp_path / "shop.duckdb")
    good = write(tmp_path, valid_space_dict(), "good.json")
    result = invoke("validate-space", str(good), "--warehouse", str(db))
    assert result.exit_code == 0, result.output

    data = valid_space_dict()
    data["data_sources"]["tables"][1]["column_configs"][0]["column_name"] = "amount_usd"
    data["benchmarks"]["questions"][0]["answer"][0]["content"] = ["SELECT no_such_fn(1)"]
    bad = write(tmp_path, data, "bad.json")
    result = invoke("validate-space", str(bad), "--warehouse", str(db))
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 2 and all(LINE.match(line) for line in lines), lines
    assert lines[0].startswith("data_sources.tables[1].column_configs[0].column_name: ")
    assert lines[1].startswith("benchmarks.questions[0].answer[0].content: ") and "no_such_fn" in lines[1]
    # without --warehouse neither problem is visible
    assert invoke("validate-space", str(bad)).exit_code == 0


def test_catalog_option_names_the_attached_catalog(tmp_path: Path) -> None:
    db = build_validation_shop(tmp_path / "warehouse_file.duckdb")
    space = write(tmp_path, valid_space_dict())
    assert invoke("validate-space", str(space), "--warehouse", str(db), "--catalog", "shop").exit_code == 0
    wrong = invoke("validate-space", str(space), "--warehouse", str(db))  # attached as `warehouse_file`
    assert wrong.exit_code == 1 and "data_sources.tables[0].identifier: " in wrong.stdout


def test_usage_errors(tmp_path: Path) -> None:
    assert invoke("validate-space", str(tmp_path / "missing.json")).exit_code == 2
    assert invoke("validate-space", str(REST), "--catalog", "shop").exit_code == 2
    not_a_db = write(tmp_path, "not a database", "bad.duckdb")
    result = invoke("validate-space", str(REST), "--warehouse", str(not_a_db))
    assert result.exit_code == 2 and "bad.duckdb" in result.output


def test_console_script() -> None:
    script = Path(sys.executable).with_name("genie-enhance")
    done = subprocess.run([str(script), "validate-space", str(REST)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stdout.splitlines()[0].startswith("benchmarks.questions[0].id: ")
