"""Space validation against a real DuckDB warehouse: catalog checks (tables and columns that must exist) and the
LIMIT 0 execution of every statement."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from genie_enhance.backends.local.warehouse import DuckDBWarehouse
from genie_enhance_tests.support.validation_helpers import (
    BENCH,
    JOIN,
    SNIP,
    located,
    run,
    set_path,
    valid_space_dict,
)

# ---------------------------------------------------------------------------------------------- catalog
CATALOG_CASES: list[tuple[str, Callable[[dict[str, Any]], None], str, str]] = [
    ("unknown table", lambda d: d["data_sources"]["tables"].append({"identifier": "shop.sales.returns"}),
     "data_sources.tables[2].identifier", "unknown_table"),
    ("unknown configured column",
     lambda d: d["data_sources"]["tables"][1]["column_configs"].insert(1, {"column_name": "discount"}),
     "data_sources.tables[1].column_configs[1].column_name", "unknown_column"),
    ("example reads an unknown table",
     set_path(["instructions", "example_question_sqls", 0, "sql"], ["SELECT * FROM shop.sales.refunds"]),
     "instructions.example_question_sqls[0].sql", "unknown_table"),
    ("example reads an unknown column",
     set_path(["instructions", "example_question_sqls", 0, "sql", 0], "SELECT c.regio\n"),
     "instructions.example_question_sqls[0].sql", "unknown_column"),
    ("answer reads an unknown column", set_path([*BENCH, "answer", 0, "content", 0], "SELECT SUM(o.price)\n"),
     "benchmarks.questions[0].answer[0].content", "unknown_column"),
    ("join on an unknown table", lambda d: (d["data_sources"]["tables"].append({"identifier": "shop.sales.returns"}),
                                            set_path([*JOIN, "right", "identifier"], "shop.sales.returns")(d)),
     "instructions.join_specs[0].right.identifier", "unknown_table"),
    ("join on an unknown column", set_path([*JOIN, "sql", 0], "`orders`.`cust_id` = `customers`.`customer_id`"),
     "instructions.join_specs[0].sql[0]", "unknown_column"),
    ("measure on an unknown column", set_path([*SNIP, "measures", 0, "sql"], ["SUM(orders.price)"]),
     "instructions.sql_snippets.measures[0].sql", "unknown_column"),
    ("filter on an unknown column", set_path([*SNIP, "filters", 0, "sql"], ["customers.country = 'FR'"]),
     "instructions.sql_snippets.filters[0].sql", "unknown_column"),
    ("snippet subquery on an unknown table", set_path([*SNIP, "filters", 0, "sql"],
                                                  ["orders.customer_id IN (SELECT id FROM shop.sales.vip)"]),
     "instructions.sql_snippets.filters[0].sql", "unknown_table"),
]


@pytest.mark.parametrize(("name", "mutate", "path", "code"), CATALOG_CASES, ids=[c[0] for c in CATALOG_CASES])
def test_catalog_rule_flags_its_case(
    validation_shop: DuckDBWarehouse, name: str, mutate: Callable[[dict[str, Any]], None], path: str, code: str
) -> None:
    data = valid_space_dict()
    mutate(data)
    assert (path, code) not in located(run(data)), "only the catalog knows this"
    problems = run(data, catalog=validation_shop.catalog())
    assert (path, code) in located(problems), [str(p) for p in problems]


def test_catalog_resolution_is_not_overeager(validation_shop: DuckDBWarehouse) -> None:
    data = valid_space_dict()
    examples = data["instructions"]["example_question_sqls"]
    examples[0]["sql"] = [
        "WITH t AS (SELECT customer_id AS cid, region FROM sales.customers)\n",  # two-part name, CTE columns
        "SELECT t.cid, x.total, region AS r\n",
        "FROM t JOIN (SELECT customer_id, SUM(amount) AS total FROM shop.sales.orders GROUP BY 1) x\n",
        "  ON x.customer_id = t.cid\n",
        "ORDER BY r",
    ]
    data["instructions"]["sql_snippets"]["measures"][0]["sql"] = ["SUM(unknown_alias.whatever)"]
    assert run(data, catalog=validation_shop.catalog()) == []
    examples[0]["sql"][0] = examples[0]["sql"][0].replace("sales.customers", "shop.sales.customers")
    # the example runs; the measure's unknown qualifier is left to the in-context run, which refuses it
    problems = run(data, catalog=validation_shop.catalog(), warehouse=validation_shop)
    assert located(problems) == {("instructions.sql_snippets.measures[0].sql", "snippet_execution")}
    assert "unknown_alias" in problems[0].message


# ---------------------------------------------------------------------------------------------- execution
class RecordingWarehouse:
    """The real DuckDB warehouse, remembering what it was asked to run."""

    def __init__(self, inner: DuckDBWarehouse) -> None:
        self.inner = inner
        self.calls: list[tuple[str, int | None]] = []

    def execute(self, sql: str, limit: int | None = None):
        self.calls.append((sql, limit))
        return self.inner.execute(sql, limit=limit)

    def catalog(self, identifiers=None):
        return self.inner.catalog(identifiers)

    def distinct_values(self, identifier: str, column: str, limit: int = 1024) -> list[str]:
        return self.inner.distinct_values(identifier, column, limit)


def test_every_statement_runs_with_limit_0_and_bound_parameters(validation_shop: DuckDBWarehouse) -> None:
    recorder = RecordingWarehouse(validation_shop)
    assert run(valid_space_dict(), warehouse=recorder) == []
    # 3 statements, 3 snippets and 1 join condition, each planned in context with LIMIT 0
    assert len(recorder.calls) == 7 and {limit for _, limit in recorder.calls} == {0}
    assert all(sql.rstrip().endswith("LIMIT 0") for sql, _ in recorder.calls)
    bound = recorder.calls[1][0]
    assert "'EU'" in bound and "CAST(NULL AS DATE)" in bound and ":since" not in bound


def test_execution_failures_carry_the_warehouse_message(validation_shop: DuckDBWarehouse) -> None:
    data = valid_space_dict()
    data["instructions"]["example_question_sqls"][0]["sql"] = ["SELECT * FROM shop.sales.refunds"]
    data["benchmarks"]["questions"][0]["answer"][0]["content"] = ["SELECT no_such_fn(amount) FROM shop.sales.orders"]
    problems = [p for p in run(data, warehouse=validation_shop) if p.code == "sql_execution"]
    assert [p.path for p in problems] == ["instructions.example_question_sqls[0].sql",
                                          "benchmarks.questions[0].answer[0].content"]
    assert "refunds" in problems[0].message and "no_such_fn" in problems[1].message


def test_execution_uses_the_parameter_default(validation_shop: DuckDBWarehouse) -> None:
    data = valid_space_dict()
    data["instructions"]["example_question_sqls"][1]["parameters"][1]["default_value"] = {"values": ["not a date"]}
    problems = run(data, warehouse=validation_shop)
    assert located(problems) == {("instructions.example_question_sqls[1].sql", "sql_execution")}
    assert "not a date" in problems[0].message


def test_statements_already_flagged_are_not_executed(validation_shop: DuckDBWarehouse) -> None:
    recorder = RecordingWarehouse(validation_shop)
    data = copy.deepcopy(valid_space_dict())
    data["instructions"]["example_question_sqls"][0]["sql"] = ["SELECT ..."]
    problems = run(data, warehouse=recorder)
    assert located(problems) == {("instructions.example_question_sqls[0].sql", "sql_parse")}
    assert len(recorder.calls) == 6 and not any("..." in sql for sql, _ in recorder.calls)
