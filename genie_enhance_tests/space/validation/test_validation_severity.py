"""Severities and the inputs `validate-space` must name precisely: the one rules table (complete, and listed in the
README), warnings that do not fail, strict types, the wrapper holding an object, joined lines, template
placeholders, and pathological files (deep nesting, lone surrogates, non-UTF-8 bytes) — all through the CLI."""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from genie_enhance.cli import app
from genie_enhance.space.validation.problems import RULES, Severity
from genie_enhance_tests.support.paths import REPO
from genie_enhance_tests.support.validation_helpers import valid_space_dict

VALIDATION = REPO / "genie_enhance" / "space" / "validation"


def validate(tmp_path: Path, content: dict[str, Any] | str | bytes, *flags: str) -> Result:
    path = tmp_path / "space.json"
    if isinstance(content, dict):
        content = json.dumps(content)
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return CliRunner().invoke(app, ["validate-space", *flags, str(path)])


def codes_used() -> set[str]:
    """Every literal code passed to `Problem(...)` anywhere in the validation package."""
    found = set()
    for module in VALIDATION.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Problem" and len(node.args) >= 2:
                code = node.args[1]
                if isinstance(code, ast.Constant) and isinstance(code.value, str):
                    found.add(code.value)
    found |= {m for m in re.findall(r'"(unsorted(?:_unverified)?)"', (VALIDATION / "structure.py").read_text())}
    return found


def test_every_rule_has_one_severity_and_a_reason() -> None:
    used = codes_used()
    assert len(used) > 30
    assert used <= set(RULES), sorted(used - set(RULES))
    assert all(isinstance(sev, Severity) and why for sev, why in RULES.values())


def test_readme_lists_every_rule_with_its_severity() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    listed = dict(re.findall(r"^\| `([a-z0-9_]+)` \| (error|warning) \|", readme, re.M))
    assert listed == {code: sev.value for code, (sev, _) in RULES.items()}


def _mutated(mutate: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    data = valid_space_dict()
    mutate(data)
    return data


def _measure_sql(sql: list[str]) -> Callable[[dict[str, Any]], None]:
    return lambda d: d["instructions"]["sql_snippets"]["measures"][0].update(sql=sql)


def test_warnings_print_but_do_not_fail(tmp_path: Path) -> None:
    result = validate(tmp_path, _mutated(_measure_sql(["orders.amount * 2"])))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("warning: instructions.sql_snippets.measures[0].sql: ")
    assert "valid" in lines[-1]
    payload = json.loads(validate(tmp_path, _mutated(_measure_sql(["orders.amount * 2"])), "--json").stdout)
    assert payload["valid"] is True and [p["severity"] for p in payload["problems"]] == ["warning"]


@pytest.mark.parametrize(("mutate", "path", "shown"), [
    (lambda d: d.update(version="2"), "version", "'2'"),
    (lambda d: d["data_sources"]["tables"][0]["column_configs"][0].update(exclude="true"),
     "data_sources.tables[0].column_configs[0].exclude", "'true'"),
    (lambda d: d["data_sources"]["tables"][0].update(identifier=7), "data_sources.tables[0].identifier", "7"),
], ids=["version as a string", "exclude as a string", "identifier as a number"])
def test_types_are_strict_and_name_the_field(tmp_path: Path, mutate: Callable, path: str, shown: str) -> None:
    result = validate(tmp_path, _mutated(mutate))
    assert result.exit_code == 1
    line = result.stdout.splitlines()[0]
    assert line.startswith(f"{path}: ") and shown in line


def test_wrapper_with_an_object_gets_its_own_message(tmp_path: Path) -> None:
    result = validate(tmp_path, {"space_id": "x", "title": "t", "serialized_space": valid_space_dict()})
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [result.stdout.splitlines()[0]]
    assert result.stdout.startswith("serialized_space: is a JSON object") and "JSON string" in result.stdout
    wrapped = {"space_id": "x", "serialized_space": json.dumps(valid_space_dict())}
    assert validate(tmp_path, wrapped).exit_code == 0


def test_sql_lines_joined_without_newline_are_named_with_the_fix(tmp_path: Path) -> None:
    def glue(d: dict[str, Any]) -> None:
        d["instructions"]["example_question_sqls"][0]["sql"] = [
            "SELECT c.region, SUM(o.amount) AS overall_quality", "FROM shop.sales.orders o\n",
            "JOIN shop.sales.customers c ON o.customer_id = c.customer_id\n", "GROUP BY c.region"]
        d["benchmarks"]["questions"][0]["answer"][0]["content"] = [
            "SELECT o.amount FROM shop.sales.orders o ORDER BY o.amount DESC", "LIMIT 10"]

    result = validate(tmp_path, _mutated(glue))
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "instructions.example_question_sqls[0].sql[0]: line 0 does not end with a newline, so it runs into line 1: "
        "`overall_qualityFROM`; end each line with \\n",
        "benchmarks.questions[0].answer[0].content[0]: line 0 does not end with a newline, so it runs into line 1: "
        "`DESCLIMIT`; end each line with \\n",
    ]  # and no parse error for the same SQL


def test_text_lines_joined_without_newline_are_a_warning(tmp_path: Path) -> None:
    def glue(d: dict[str, Any]) -> None:
        d["instructions"]["text_instructions"][0]["content"] = ["Report overall_quality", "FROM the scores table.\n"]

    result = validate(tmp_path, _mutated(glue))
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0].startswith("warning: instructions.text_instructions[0].content[0]: ")
    assert "`overall_qualityFROM`" in result.stdout


@pytest.mark.parametrize("placeholder", ["${catalog}", "{{ catalog }}"])
def test_template_placeholders_are_one_problem_everywhere(tmp_path: Path, placeholder: str) -> None:
    def templated(d: dict[str, Any]) -> None:
        for table in d["data_sources"]["tables"]:
            table["identifier"] = table["identifier"].replace("shop.", f"{placeholder}.")
        for side in ("left", "right"):
            join = d["instructions"]["join_specs"][0][side]
            join["identifier"] = join["identifier"].replace("shop.", f"{placeholder}.")
        example = d["instructions"]["example_question_sqls"][0]
        example["sql"] = [line.replace("shop.", f"{placeholder}.") for line in example["sql"]]

    result = validate(tmp_path, _mutated(templated), "--json")
    assert result.exit_code == 1
    problems = json.loads(result.stdout)["problems"]
    assert [(p["code"], p["path"]) for p in problems] == [("template_placeholder", "data_sources.tables[0].identifier")]
    assert problems[0]["message"].startswith("template placeholder — not a deployable space")


@pytest.mark.parametrize(("content", "expected"), [
    ('{"version": 2, "config": ' + "[" * 5000 + "]" * 5000 + "}", "nested more than 64 levels"),
    ('{"version": 2, "config": {"sample_questions": ' + "[" * 100 + "]" * 100 + "}}", "nested more than 64 levels"),
    (json.dumps(valid_space_dict()).replace("Revenue by region?", "Revenue \\ud800?"), "lone surrogate"),
    (json.dumps(valid_space_dict()).encode("utf-8").replace(b"Revenue by region?", b"Revenue \xff?"), "not UTF-8"),
], ids=["5000 deep", "100 deep", "lone surrogate", "not UTF-8"])
def test_pathological_files_are_one_format_problem(tmp_path: Path, content: str | bytes, expected: str) -> None:
    result = validate(tmp_path, content)
    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 1 and expected in lines[0], result.output
    assert json.loads(validate(tmp_path, content, "--json").stdout)["problems"][0]["code"] == "format"
