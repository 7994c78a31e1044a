"""`genie-enhance compare-sql`: verdict, reason and details; `--json` prints one line; exit codes 0 / 1 / 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import genie_enhance.cli  # noqa: F401 - registers the commands
from genie_enhance.cli.app import app
from genie_enhance_tests.support.shops import build_orders_shop


@pytest.fixture
def three_orders_shop(tmp_path: Path) -> Path:
    return build_orders_shop(tmp_path / "shop.duckdb", rows=3)


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["compare-sql", *args])
    return result.exit_code, result.stdout


def run_json(three_orders_shop: Path, expected: str, actual: str, *extra: str) -> tuple[int, dict]:
    code, out = run("--warehouse", str(three_orders_shop), "--expected", expected, "--actual", actual, "--json", *extra)
    lines = out.strip().splitlines()
    assert len(lines) == 1, out
    return code, json.loads(lines[0])


def test_pass_exits_zero(three_orders_shop: Path) -> None:
    code, data = run_json(three_orders_shop, "SELECT region, SUM(amount) FROM shop.sales.orders GROUP BY region",
                          "SELECT SUM(amount) AS total, region FROM sales.orders GROUP BY region")
    assert code == 0
    assert (data["verdict"], data["reason"]) == ("pass", "match")
    assert data["column_mapping"] == {"0": 1, "1": 0} and data["expected_rows"] == 2


def test_fail_exits_one(three_orders_shop: Path) -> None:
    code, data = run_json(three_orders_shop, "SELECT id FROM sales.orders", "SELECT id FROM sales.orders WHERE id < 3")
    assert code == 1
    assert (data["verdict"], data["reason"]) == ("fail", "missing_rows")
    assert "(3,)" in data["details"]


def test_needs_review_exits_one(three_orders_shop: Path) -> None:
    code, data = run_json(three_orders_shop, "SELECT id FROM sales.orders WHERE id > 9",
                          "SELECT id FROM sales.orders WHERE id < 0")
    assert code == 1
    assert (data["verdict"], data["reason"]) == ("needs_review", "empty_expected")


def test_broken_expected_exits_two(three_orders_shop: Path) -> None:
    code, data = run_json(three_orders_shop, "SELECT missing FROM sales.orders", "SELECT id FROM sales.orders")
    assert code == 2
    assert (data["verdict"], data["reason"]) == ("error", "expected_sql_error")
    code, data = run_json(three_orders_shop, "DROP TABLE sales.orders", "SELECT id FROM sales.orders")
    assert (code, data["reason"]) == (2, "expected_not_read_only")


def test_extra_columns_option(three_orders_shop: Path) -> None:
    expected, actual = "SELECT id FROM sales.orders", "SELECT id, region FROM sales.orders"
    code, data = run_json(three_orders_shop, expected, actual)
    assert (code, data["reason"]) == (1, "extra_columns")
    code, data = run_json(three_orders_shop, expected, actual, "--extra-columns", "allow")
    assert (code, data["verdict"]) == (0, "pass")


def test_catalog_option_attaches_under_that_name(three_orders_shop: Path) -> None:
    code, data = run_json(three_orders_shop, "SELECT COUNT(*) FROM prod.sales.orders", "SELECT 3", "--catalog", "prod")
    assert (code, data["verdict"]) == (0, "pass")


def test_human_output_names_verdict_reason_and_details(three_orders_shop: Path) -> None:
    code, out = run("--warehouse", str(three_orders_shop), "--expected", "SELECT id, amount FROM sales.orders",
                    "--actual", "SELECT id, amount * 2 FROM sales.orders")
    assert code == 1
    text = " ".join(out.split())  # the table wraps long details
    assert "verdict fail" in text and "reason value_difference" in text and "closest answer row" in text


def test_missing_warehouse_file_exits_two(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["compare-sql", "--warehouse", str(tmp_path / "nope.duckdb"),
                                      "--expected", "SELECT 1", "--actual", "SELECT 1"])
    assert result.exit_code == 2
    assert "nope.duckdb" in result.output


def test_invalid_tolerance_exits_two(three_orders_shop: Path) -> None:
    code, _ = run("--warehouse", str(three_orders_shop), "--expected", "SELECT 1", "--actual", "SELECT 1",
                  "--rtol", "0.9")
    assert code == 2
