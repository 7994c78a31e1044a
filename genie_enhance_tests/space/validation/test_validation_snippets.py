"""SQL that reaches outside the data, and snippets that do not run, refused by `genie-enhance validate-space`:
the deny list (on the sqlglot tree, no warehouse needed) and the in-context LIMIT 0 run, on a DuckDB file and on
the Databricks backend (the real SDK over HTTP to the emulator), judged alike; fair snippets pass both."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

import genie_enhance.cli  # noqa: F401 - registers the commands on `app`
from genie_enhance.backends.local.warehouse import DuckDBWarehouse
from genie_enhance.cli.app import app
from genie_enhance.emulator import Emulator
from genie_enhance.space.io import parse_space
from genie_enhance.space.validation import validate_space
from genie_enhance.space.validation.deny import DENY_LIST, denied_calls
from genie_enhance.space.validation.execution import check_execution
from genie_enhance.space.validation.problems import RULES, Severity
from genie_enhance.sql import ensure_read_only
from genie_enhance_tests.support.emulator import TOKEN, emulator_space
from genie_enhance_tests.support.validation_helpers import valid_space_dict

PAT = "dapi0123456789abcdef0123456789abcdef"
M, E, F = "measures", "expressions", "filters"
# (where, sql, expected code, text the message names). `where` is a snippet kind, `example`, `answer` or `join`.
BAD = [
    (E, "(SELECT * FROM read_csv('/etc/passwd'))", "denied_function", "read_csv"),
    (M, "SUM((SELECT COUNT(*) FROM read_text('/etc/passwd')))", "denied_function", "read_text"),
    (E, "getenv('DATABRICKS_TOKEN')", "denied_function", "getenv"),
    (E, "secret('scope', 'key')", "denied_function", "secret"),
    (E, "try_secret('scope', 'key')", "denied_function", "try_secret"),
    (F, "orders.amount > (SELECT COUNT(*) FROM read_files('/Volumes/main/raw/x.csv'))", "denied_function",
     "read_files"),
    (F, "current_setting('s3_secret_access_key') IS NOT NULL", "denied_function", "current_setting"),
    ("example", "SELECT * FROM 'exports/orders.csv'", "denied_function", "exports/orders.csv"),
    ("answer", "SELECT * FROM read_parquet('s3://bucket/orders.parquet')", "denied_function", "read_parquet"),
    ("join", "orders.customer_id = (SELECT COUNT(*) FROM read_json_auto('/tmp/x.json'))", "denied_function",
     "read_json_auto"),
    (E, "nosuchfn(orders.amount)", "snippet_execution", "nosuchfn"),
    (M, "SUM(no_such_alias.amount)", "snippet_execution", "no_such_alias"),
    (M, "SUM(orders.no_such_column)", "unknown_column", "no_such_column"),  # the catalog check sees it first
    (E, "no_such_column + 1", "snippet_execution", "no_such_column"),  # unqualified: only a run finds it
    (E, "'abc'::INT", "snippet_execution", "abc"),
    (F, "orders.order_date > CAST('not a date' AS DATE)", "snippet_execution", "not a date"),
    ("join", "orders.customer_id = customers.no_such_id", "unknown_column", "no_such_id"),
    ("example", "SELECT CAST('abc' AS INT) AS n FROM shop.sales.orders", "sql_execution", "abc"),
]
FAIR = [
    (E, "CAST(orders.amount AS INT)"),
    (E, "DATE_TRUNC('MONTH', order_date)"),  # unqualified: runs on the orders table of the space
    (M, "COUNT(DISTINCT orders.customer_id)"),
    (F, "orders.order_date >= DATE '2024-01-01'"),
    (F, "customers.region IN ('EU', 'US') AND orders.amount > 10"),
]


def with_sql(data: dict[str, Any], where: str, sql: str) -> tuple[dict[str, Any], str]:
    """`data` with `sql` placed as its first item of kind `where`; returns it and that item's json path."""
    data = copy.deepcopy(data)
    ins = data["instructions"]
    if where in (M, E, F):
        ins["sql_snippets"][where][0]["sql"] = [sql]
        return data, f"instructions.sql_snippets.{where}[0].sql"
    if where == "example":
        ins["example_question_sqls"][0]["sql"] = [sql]
        return data, "instructions.example_question_sqls[0].sql"
    if where == "answer":
        data["benchmarks"]["questions"][0]["answer"][0]["content"] = [sql]
        return data, "benchmarks.questions[0].answer[0].content"
    ins["join_specs"][0]["sql"][0] = sql
    return data, "instructions.join_specs[0].sql[0]"


def validate(tmp_path: Path, data: dict[str, Any], *args: str, env: dict[str, str | None] | None = None) -> Result:
    path = tmp_path / "space.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return CliRunner().invoke(app, ["validate-space", "--json", str(path), *args], env=env)


@pytest.mark.parametrize(("where", "sql", "code", "named"), BAD, ids=[f"{w}:{s[:40]}" for w, s, _, _ in BAD])
def test_validate_space_refuses_each_bad_sql(tmp_path: Path, validation_shop_file: Path, where: str, sql: str,
                                            code: str, named: str) -> None:
    data, path = with_sql(valid_space_dict(), where, sql)
    result = validate(tmp_path, data, "--warehouse", str(validation_shop_file))
    assert result.exit_code == 1, result.output
    problems = json.loads(result.stdout)["problems"]
    assert {p["path"] for p in problems} == {path}, problems  # nothing else of the space is blamed
    assert any(p["code"] == code and named in p["message"] for p in problems), problems
    if code == "denied_function":  # found on the tree: no warehouse needed
        offline = json.loads(validate(tmp_path, data).stdout)["problems"]
        assert (path, code) in [(p["path"], p["code"]) for p in offline]


@pytest.mark.parametrize(("where", "sql"), FAIR, ids=[s for _, s in FAIR])
def test_fair_snippets_are_accepted(tmp_path: Path, validation_shop_file: Path, where: str, sql: str) -> None:
    data, _ = with_sql(valid_space_dict(), where, sql)
    result = validate(tmp_path, data, "--warehouse", str(validation_shop_file))
    assert result.exit_code == 0, result.output


def test_a_join_condition_runs_in_context_without_a_catalog(tmp_path: Path, validation_shop_file: Path) -> None:
    data, path = with_sql(valid_space_dict(), "join", "orders.customer_id = customers.no_such_id")
    warehouse = DuckDBWarehouse(validation_shop_file)
    try:
        problems = validate_space(parse_space(data), warehouse=warehouse)
    finally:
        warehouse.close()
    assert [(p.path, p.code) for p in problems] == [(path, "join_execution")] and "no_such_id" in problems[0].message


def test_identity_functions_are_reported_as_their_own_code(tmp_path: Path, validation_shop_file: Path) -> None:
    data, path = with_sql(valid_space_dict(), F, "customers.name = current_user()")
    problems = json.loads(validate(tmp_path, data).stdout)["problems"]
    assert [(p["path"], p["code"]) for p in problems] == [(path, "identity_function")]
    assert RULES["identity_function"][0] is Severity.WARNING and RULES["denied_function"][0] is Severity.ERROR


def test_warehouse_messages_are_scrubbed_of_secrets(tmp_path: Path, validation_shop_file: Path) -> None:
    data, path = with_sql(valid_space_dict(), E, f"CAST('{PAT}' AS INT)")
    result = validate(tmp_path, data, "--warehouse", str(validation_shop_file))
    (problem,) = json.loads(result.stdout)["problems"]
    assert problem["path"] == path and "[redacted]" in problem["message"]
    assert PAT not in result.output


def test_the_deny_list_is_one_table_with_a_reason_per_entry() -> None:
    names = [rule.name for rule in DENY_LIST]
    assert len(names) == len(set(names))
    assert all(rule.why and rule.kind for rule in DENY_LIST)
    assert {"read_csv", "read_files", "read_text", "secret", "getenv", "current_user"} <= set(names)


# ---------------------------------------------------------------------------------------------- Databricks
EMU_SNIPPETS = {
    F: [{"id": "f" * 32, "sql": ["orders.amount > 10"], "display_name": "large"}],
    E: [{"id": "e" * 32, "alias": "year", "sql": ["YEAR(orders.order_date)"]}],
    M: [{"id": "d" * 32, "alias": "revenue", "sql": ["SUM(orders.amount)"]}],
}
EMU_BAD = [
    (E, "(SELECT * FROM read_csv('/etc/passwd'))", "denied_function"),
    (M, "SUM((SELECT COUNT(*) FROM read_text('/etc/passwd')))", "denied_function"),
    (E, "nosuchfn(orders.amount)", "snippet_execution"),
    (M, "SUM(nope.amount)", "snippet_execution"),
    (E, "'abc'::INT", "snippet_execution"),
    ("join", "orders.customer_id = customers.no_such_id", "unknown_column"),
    (F, "no_such_column > 1", "snippet_execution"),
]


def emu_space() -> dict[str, Any]:
    data = emulator_space()
    data["instructions"]["sql_snippets"] = copy.deepcopy(EMU_SNIPPETS)
    return data


def databricks_env(tmp_path: Path, host: str) -> dict[str, str | None]:
    env: dict[str, str | None] = {name: None for name in os.environ if name.startswith("DATABRICKS_")}
    env.update(DATABRICKS_CONFIG_FILE=str(tmp_path / "no-databrickscfg"), DATABRICKS_HOST=host,
               DATABRICKS_TOKEN=TOKEN)
    return env


def test_databricks_backend_judges_like_the_local_one(tmp_path: Path, make_emulator, emulator_files) -> None:
    emulator: Emulator = make_emulator()
    env = databricks_env(tmp_path, emulator.host)
    on_databricks = ["--backend", "databricks", "--warehouse-id", emulator.warehouse_id]
    on_duckdb = ["--warehouse", str(emulator_files.warehouse), "--catalog", "emu"]
    good = validate(tmp_path, emu_space(), *on_databricks, env=env)
    assert good.exit_code == 0, good.output
    sent_before = len(emulator.requests("execute-statement"))
    assert sent_before > 0  # the fair snippets and the join really ran on the warehouse
    for where, sql, code in EMU_BAD:
        data, path = with_sql(emu_space(), where, sql)
        remote = validate(tmp_path, data, *on_databricks, env=env)
        local = validate(tmp_path, data, *on_duckdb)
        assert remote.exit_code == 1 and local.exit_code == 1, (remote.output, local.output)
        found = [(p["path"], p["code"]) for p in json.loads(remote.stdout)["problems"]]
        assert found == [(path, code)] == [(p["path"], p["code"]) for p in json.loads(local.stdout)["problems"]]
    sent = [r for r in emulator.requests("execute-statement")]
    assert not any("read_csv" in json.dumps(r.body) or "read_text" in json.dumps(r.body) for r in sent)


@pytest.mark.parametrize("sql", [
    "SELECT t.user, t.secret, query FROM t",  # columns named like denied functions
    "SELECT current_date(), current_timestamp(), version()",
    "SELECT list(x) FROM main.json.events",  # an aggregate named `list`, a schema named `json`
    "SELECT * FROM json.events",
])
def test_names_that_only_look_denied_are_not(sql: str) -> None:
    assert denied_calls(ensure_read_only(sql)) == []


class Recording(DuckDBWarehouse):
    """The real DuckDB warehouse, remembering every statement it was sent."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.sent: list[str] = []

    def execute(self, sql: str, limit: int | None = None):  # noqa: ANN201 - the Warehouse protocol's ResultSet
        self.sent.append(sql)
        return super().execute(sql, limit=limit)


def test_denied_sql_is_never_sent_even_when_not_skipped(validation_shop_file: Path) -> None:
    data, path = with_sql(valid_space_dict(), E, "(SELECT * FROM read_csv('/etc/passwd'))")
    warehouse = Recording(validation_shop_file)
    try:
        problems = list(check_execution(parse_space(data), warehouse))  # no skip set: execution on its own
    finally:
        warehouse.close()
    assert [(p.path, p.code) for p in problems] == [(path, "snippet_execution")] and "not run" in problems[0].message
    assert warehouse.sent and not any("read_csv" in sql for sql in warehouse.sent)


def test_a_shared_execution_cache_runs_each_statement_once(validation_shop_file: Path) -> None:
    space = parse_space(valid_space_dict())
    warehouse = Recording(validation_shop_file)
    cache: dict = {}
    try:
        assert validate_space(space, warehouse=warehouse, execution_cache=cache) == []
        first = len(warehouse.sent)
        assert validate_space(space, warehouse=warehouse, execution_cache=cache) == []
    finally:
        warehouse.close()
    assert first == len(cache) > 0 and len(warehouse.sent) == first


def test_databricks_usage_errors_are_one_line(tmp_path: Path, validation_shop_file: Path) -> None:
    data = valid_space_dict()
    missing = validate(tmp_path, data, "--backend", "databricks")
    assert missing.exit_code == 2 and "--warehouse-id" in missing.output
    both = validate(tmp_path, data, "--backend", "databricks", "--warehouse-id", "w1",
                    "--warehouse", str(validation_shop_file))
    assert both.exit_code == 2
    env: dict[str, str | None] = {name: None for name in os.environ if name.startswith("DATABRICKS_")}
    env["DATABRICKS_CONFIG_FILE"] = str(tmp_path / "no-databrickscfg")
    no_auth = validate(tmp_path, data, "--backend", "databricks", "--warehouse-id", "w1", env=env)
    assert no_auth.exit_code == 2 and no_auth.stderr.startswith("error: ") and "Traceback" not in no_auth.output
