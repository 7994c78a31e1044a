"""Space validation: one failing case per rule (each built from a valid space), the real exports, catalog checks
and LIMIT 0 execution against a real DuckDB file."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest

from genie_enhance.backends.local.warehouse import DuckDBWarehouse
from genie_enhance.space.io import load_document, parse_space
from genie_enhance.space.normalize import normalize, upgrade_to_v2
from genie_enhance.space.validation import Problem, validate_space
from genie_enhance.space.validation.params import bind_parameters, parameter_markers

SPACES = Path(__file__).parent / "fixtures" / "genie_spaces"


def H(n: int) -> str:
    """A valid id; ids built from increasing n sort in that order."""
    return f"{n:032x}"


def valid_space_dict() -> dict[str, Any]:
    """A v2 space using every section, valid against `make_shop_db` (catalog `shop`, schema `sales`)."""
    join = "JOIN shop.sales.customers c ON o.customer_id = c.customer_id\n"
    return {
        "version": 2,
        "config": {"sample_questions": [{"id": H(1), "question": ["Revenue by region?"]}]},
        "data_sources": {
            "tables": [
                {
                    "identifier": "shop.sales.customers",
                    "description": ["One row per customer"],
                    "column_configs": [
                        {"column_name": "customer_id"},
                        {"column_name": "name", "enable_format_assistance": True, "enable_entity_matching": True},
                        {"column_name": "region", "synonyms": ["area"]},
                    ],
                },
                {
                    "identifier": "shop.sales.orders",
                    "description": ["One row per order"],
                    "column_configs": [{"column_name": "amount"}, {"column_name": "order_date"}],
                },
            ]
        },
        "instructions": {
            "text_instructions": [{"id": H(10), "content": ["Revenue means SUM(orders.amount).\n"]}],
            "example_question_sqls": [
                {
                    "id": H(11),
                    "question": ["Revenue by region"],
                    "sql": ["SELECT c.region, SUM(o.amount) AS revenue\n", "FROM shop.sales.orders o\n", join,
                            "GROUP BY c.region"],
                },
                {
                    "id": H(12),
                    "question": ["Orders of a region since a date"],
                    "sql": ["SELECT o.order_id\n", "FROM shop.sales.orders o\n", join,
                            "WHERE c.region = :region AND o.order_date >= :since"],
                    "parameters": [
                        {"name": "region", "type_hint": "STRING", "default_value": {"values": ["EU"]}},
                        {"name": "since", "type_hint": "DATE"},
                    ],
                },
            ],
            "sql_functions": [{"id": H(13), "identifier": "shop.sales.fiscal_quarter"}],
            "join_specs": [
                {
                    "id": H(14),
                    "left": {"identifier": "shop.sales.orders", "alias": "orders"},
                    "right": {"identifier": "shop.sales.customers", "alias": "customers"},
                    "sql": ["`orders`.`customer_id` = `customers`.`customer_id`",
                            "--rt=FROM_RELATIONSHIP_TYPE_MANY_TO_ONE--"],
                }
            ],
            "sql_snippets": {
                "filters": [{"id": H(15), "sql": ["orders.amount > 100"], "display_name": "large order"}],
                "expressions": [{"id": H(16), "alias": "order_year", "sql": ["YEAR(orders.order_date)"]}],
                "measures": [{"id": H(17), "alias": "revenue", "sql": ["SUM(orders.amount)"]}],
            },
        },
        "benchmarks": {
            "questions": [
                {
                    "id": H(2),
                    "question": ["Revenue in the EU?"],
                    "answer": [{"format": "SQL", "content": ["SELECT SUM(o.amount)\n", "FROM shop.sales.orders o\n",
                                                             join, "WHERE c.region = 'EU'"]}],
                }
            ]
        },
    }


def make_shop_db(path: Path) -> Path:
    """A small real DuckDB warehouse: schema `sales` with `customers` and `orders`."""
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA sales")
    con.execute("CREATE TABLE sales.customers (customer_id INTEGER, name VARCHAR, region VARCHAR)")
    con.execute(
        "CREATE TABLE sales.orders (order_id INTEGER, customer_id INTEGER, amount DECIMAL(10,2), order_date DATE)"
    )
    con.execute("INSERT INTO sales.customers VALUES (1, 'Ann', 'EU'), (2, 'Bo', 'US')")
    con.execute("INSERT INTO sales.orders VALUES (10, 1, 120.5, DATE '2024-01-02'), (11, 2, 80, DATE '2024-02-03')")
    con.close()
    return path


@pytest.fixture
def shop(tmp_path: Path):
    warehouse = DuckDBWarehouse(make_shop_db(tmp_path / "shop.duckdb"))
    yield warehouse
    warehouse.close()


def run(data: dict[str, Any], **kwargs: Any) -> list[Problem]:
    return validate_space(parse_space(data), **kwargs)


def located(problems: list[Problem]) -> set[tuple[str, str]]:
    return {(p.path, p.code) for p in problems}


# ---------------------------------------------------------------------------------------------- the valid base
def test_valid_space_has_no_problems(shop: DuckDBWarehouse) -> None:
    assert run(valid_space_dict()) == []
    assert run(valid_space_dict(), catalog=shop.catalog(), warehouse=shop) == []


def test_problem_str_is_path_and_message() -> None:
    problem = Problem("benchmarks.questions[0].id", "invalid_id", "bad id")
    assert str(problem) == "benchmarks.questions[0].id: bad id"
    assert problem.to_dict() == {"path": "benchmarks.questions[0].id", "code": "invalid_id", "message": "bad id",
                                 "severity": "error"}


# ---------------------------------------------------------------------------------------------- one case per rule
def _ins(d: dict[str, Any]) -> dict[str, Any]:
    return d["instructions"]


def _set(path: list[Any], value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(d: dict[str, Any]) -> None:
        target = d
        for key in path[:-1]:
            target = target[key]
        if value is _DELETE:
            del target[path[-1]]
        else:
            target[path[-1]] = value

    return mutate


_DELETE = object()
BENCH = ["benchmarks", "questions", 0]
EX1 = ["instructions", "example_question_sqls", 1]
JOIN = ["instructions", "join_specs", 0]
SNIP = ["instructions", "sql_snippets"]
CUSTOMERS = ["data_sources", "tables", 0]


def _many_entity_columns(n: int) -> Callable[[dict[str, Any]], None]:
    cols = [{"column_name": f"c{i:03d}", "enable_format_assistance": True, "enable_entity_matching": True}
            for i in range(n)]
    return lambda d: d["data_sources"]["tables"].append({"identifier": "shop.sales.wide", "column_configs": cols})


def _more_examples(n: int) -> Callable[[dict[str, Any]], None]:
    extra = [{"id": H(100 + i), "question": [f"q{i}"], "sql": ["SELECT 1"]} for i in range(n)]
    return lambda d: _ins(d)["example_question_sqls"].extend(extra)


def _more_filters(n: int) -> Callable[[dict[str, Any]], None]:
    extra = [{"id": H(1000 + i), "sql": [f"orders.amount > {i}"]} for i in range(n)]
    return lambda d: _ins(d)["sql_snippets"]["filters"].extend(extra)


def _more_tables(n: int) -> Callable[[dict[str, Any]], None]:
    return lambda d: d["data_sources"]["tables"].extend({"identifier": f"shop.sales.t{i:02d}"} for i in range(n))


def _swap(path: list[Any]) -> Callable[[dict[str, Any]], None]:
    def mutate(d: dict[str, Any]) -> None:
        target = d
        for key in path:
            target = target[key]
        target.reverse()

    return mutate


RULE_CASES: list[tuple[str, Callable[[dict[str, Any]], None], str, str]] = [
    ("non-hex id", _set([*BENCH, "id"], "01f0d0b4e815100000000000000000g1"), "benchmarks.questions[0].id",
     "invalid_id"),
    ("uppercase id", _set(["config", "sample_questions", 0, "id"], "A" * 32), "config.sample_questions[0].id",
     "invalid_id"),
    ("missing id", _set(["instructions", "sql_functions", 0, "id"], _DELETE), "instructions.sql_functions[0].id",
     "missing_id"),
    ("duplicate question id", _set([*BENCH, "id"], H(1)), "benchmarks.questions[0].id", "duplicate_id"),
    ("duplicate instruction id across kinds", _set([*SNIP, "measures", 0, "id"], H(10)),
     "instructions.sql_snippets.measures[0].id", "duplicate_id"),
    ("unsorted tables", _swap(["data_sources", "tables"]), "data_sources.tables[1]", "unsorted"),
    ("unsorted column configs", _swap([*CUSTOMERS, "column_configs"]), "data_sources.tables[0].column_configs[1]",
     "unsorted"),
    ("unsorted examples", _swap(["instructions", "example_question_sqls"]), "instructions.example_question_sqls[1]",
     "unsorted_unverified"),
    ("unsorted functions", lambda d: _ins(d)["sql_functions"].append({"id": H(9), "identifier": "shop.sales.f"}),
     "instructions.sql_functions[1]", "unsorted"),
    ("two text instructions", lambda d: _ins(d)["text_instructions"].append({"id": H(18), "content": ["more"]}),
     "instructions.text_instructions[1]", "too_many_text_instructions"),
    ("two answers", lambda d: d["benchmarks"]["questions"][0]["answer"].append({"format": "SQL", "content": ["1"]}),
     "benchmarks.questions[0].answer[1]", "too_many_answers"),
    ("answer not SQL", _set([*BENCH, "answer", 0, "format"], "TEXT"), "benchmarks.questions[0].answer[0].format",
     "answer_format"),
    ("answer without format", _set([*BENCH, "answer", 0, "format"], _DELETE),
     "benchmarks.questions[0].answer[0].format", "answer_format"),
    ("duplicate column config", lambda d: d["data_sources"]["tables"][0]["column_configs"].append(
        {"column_name": "REGION"}),
     "data_sources.tables[0].column_configs[3].column_name", "duplicate_column"),
    ("two-part identifier", _set(["data_sources", "metric_views"], [{"identifier": "shop.revenue"}]),
     "data_sources.metric_views[0].identifier", "table_identifier"),
    ("four-part identifier", _set(["data_sources", "metric_views"], [{"identifier": "a.b.c.d"}]),
     "data_sources.metric_views[0].identifier", "table_identifier"),
    ("duplicate table", _set(["data_sources", "metric_views"], [{"identifier": "SHOP.sales.orders"}]),
     "data_sources.metric_views[0].identifier", "duplicate_table"),
    ("v1 flag in v2", _set([*CUSTOMERS, "column_configs", 2, "get_example_values"], True),
     "data_sources.tables[0].column_configs[2].get_example_values", "v1_column_flag"),
    ("entity matching without format assistance",
     _set([*CUSTOMERS, "column_configs", 1, "enable_format_assistance"], False),
     "data_sources.tables[0].column_configs[1].enable_entity_matching", "entity_matching_without_format_assistance"),
    ("121 entity-matching columns", _many_entity_columns(120),
     "data_sources.tables[2].column_configs[119].enable_entity_matching", "entity_matching_limit"),
    ("join side without alias", _set([*JOIN, "left", "alias"], _DELETE), "instructions.join_specs[0].left.alias",
     "join_alias"),
    ("join sides with one alias", _set([*JOIN, "left", "alias"], "customers"), "instructions.join_specs[0].right.alias",
     "join_alias"),
    ("join without marker", _set([*JOIN, "sql"], ["orders.customer_id = customers.customer_id"]),
     "instructions.join_specs[0].sql", "join_sql_shape"),
    ("join with a bad marker", _set([*JOIN, "sql", 1], "--rt=FROM_RELATIONSHIP_TYPE_SOME--"),
     "instructions.join_specs[0].sql[1]", "join_marker"),
    ("join with compound AND, one side of another alias",
     _set([*JOIN, "sql", 0], "orders.customer_id = customers.customer_id AND o.order_id = customers.customer_id"),
     "instructions.join_specs[0].sql[0]", "join_condition"),
    ("join not an equality", _set([*JOIN, "sql", 0], "orders.customer_id > customers.customer_id"),
     "instructions.join_specs[0].sql[0]", "join_condition"),
    ("join with another alias", _set([*JOIN, "sql", 0], "o.customer_id = customers.customer_id"),
     "instructions.join_specs[0].sql[0]", "join_condition"),
    ("join condition unparseable", _set([*JOIN, "sql", 0], "orders.customer_id = = customers.customer_id"),
     "instructions.join_specs[0].sql[0]", "join_condition"),
    ("join on a table outside the space", _set([*JOIN, "right", "identifier"], "shop.sales.products"),
     "instructions.join_specs[0].right.identifier", "join_table"),
    ("filter with WHERE", _set([*SNIP, "filters", 0, "sql"], ["WHERE orders.amount > 100"]),
     "instructions.sql_snippets.filters[0].sql", "filter_where"),
    ("filter unparseable", _set([*SNIP, "filters", 0, "sql"], ["orders.amount >"]),
     "instructions.sql_snippets.filters[0].sql", "snippet_sql"),
    ("filter with a second statement", _set([*SNIP, "filters", 0, "sql"], ["1 = 1; DROP TABLE shop.sales.orders"]),
     "instructions.sql_snippets.filters[0].sql", "snippet_sql"),
    ("expression without alias", _set([*SNIP, "expressions", 0, "alias"], _DELETE),
     "instructions.sql_snippets.expressions[0].alias", "snippet_alias"),
    ("measure without aggregate", _set([*SNIP, "measures", 0, "sql"], ["orders.amount * 2"]),
     "instructions.sql_snippets.measures[0].sql", "measure_without_aggregate"),
    ("expression with aggregate", _set([*SNIP, "expressions", 0, "sql"], ["SUM(orders.amount)"]),
     "instructions.sql_snippets.expressions[0].sql", "expression_with_aggregate"),
    ("expression with two values", _set([*SNIP, "expressions", 0, "sql"], ["orders.amount, orders.order_date"]),
     "instructions.sql_snippets.expressions[0].sql", "snippet_sql"),
    ("empty snippet", _set([*SNIP, "measures", 0, "sql"], []), "instructions.sql_snippets.measures[0].sql",
     "snippet_sql"),
    ("example unparseable", _set(["instructions", "example_question_sqls", 0, "sql"], ["SELECT ..."]),
     "instructions.example_question_sqls[0].sql", "sql_parse"),
    ("example not read-only", _set(["instructions", "example_question_sqls", 0, "sql"], ["DELETE FROM t"]),
     "instructions.example_question_sqls[0].sql", "sql_not_read_only"),
    ("answer with two statements", _set([*BENCH, "answer", 0, "content"], ["SELECT 1;\n", "SELECT 2"]),
     "benchmarks.questions[0].answer[0].content", "sql_not_read_only"),
    ("empty example", _set(["instructions", "example_question_sqls", 0, "sql"], []),
     "instructions.example_question_sqls[0].sql", "sql_empty"),
    ("undeclared parameter", lambda d: d["instructions"]["example_question_sqls"][1]["parameters"].pop(),
     "instructions.example_question_sqls[1].sql", "undeclared_parameter"),
    ("unused parameter", lambda d: d["instructions"]["example_question_sqls"][1]["parameters"].append({"name": "zone"}),
     "instructions.example_question_sqls[1].parameters[2].name", "unused_parameter"),
    ("101 instructions", _more_examples(97), "instructions", "instruction_budget"),
    ("201 snippets", _more_filters(195), "instructions", "snippet_budget"),
    ("31 tables", _more_tables(29), "data_sources", "table_budget"),
    ("no tables", _set(["data_sources", "tables"], []), "data_sources.tables", "no_tables"),
    ("string too long", _set(["instructions", "text_instructions", 0, "content"], ["x" * 25_001]),
     "instructions.text_instructions[0].content[0]", "string_too_long"),
    ("unknown-field string too long", _set(["notes"], "y" * 25_001), "notes", "string_too_long"),
    ("array too long", _set(["config", "sample_questions", 0, "question"], ["q"] * 10_001),
     "config.sample_questions[0].question", "array_too_long"),
    ("unknown-field array too long", _set([*CUSTOMERS, "tags"], list(range(10_001))), "data_sources.tables[0].tags",
     "array_too_long"),
    ("unsupported version", _set(["version"], 3), "version", "version"),
    ("missing version", _set(["version"], _DELETE), "version", "version"),
]


@pytest.mark.parametrize(("name", "mutate", "path", "code"), RULE_CASES, ids=[c[0] for c in RULE_CASES])
def test_rule_flags_its_case(name: str, mutate: Callable[[dict[str, Any]], None], path: str, code: str) -> None:
    data = valid_space_dict()
    mutate(data)
    problems = run(data)
    assert (path, code) in located(problems), [str(p) for p in problems]
    hit = next(p for p in problems if (p.path, p.code) == (path, code))
    assert str(hit).startswith(f"{path}: ") and hit.message


BOUNDARY_CASES = [
    ("120 entity-matching columns", _many_entity_columns(119)),
    ("100 instructions", _more_examples(96)),
    ("200 snippets", _more_filters(194)),
    ("30 tables", _more_tables(28)),
    ("same id in the two pools", _set(["config", "sample_questions", 0, "id"], H(10))),
    ("metric views only", lambda d: d["data_sources"].update(metric_views=d["data_sources"].pop("tables"))),
    ("measure with COUNT(DISTINCT)", _set([*SNIP, "measures", 0, "sql"], ["COUNT(DISTINCT orders.order_id)"])),
    ("expression with a window", _set([*SNIP, "expressions", 0, "sql"], ["SUM(orders.amount) OVER ()"])),
    ("JSON path is not a parameter", _set(["instructions", "example_question_sqls", 0, "sql"],
                                          ["SELECT raw:field, x::int FROM t WHERE s = ':no'"])),
    ("all four markers", _set([*JOIN, "sql", 1], "--rt=FROM_RELATIONSHIP_TYPE_ONE_TO_ONE--")),
    # server exports hold these (fixtures README): the API accepts them
    ("unsorted parameters", _swap([*EX1, "parameters"])),
    ("unsorted sample questions and benchmarks", lambda d: (
        d["config"]["sample_questions"].append({"id": H(0), "question": ["q"]}),
        d["benchmarks"]["questions"].insert(0, {"id": H(3), "question": ["b"]}))),
    ("join with compound AND",
     _set([*JOIN, "sql", 0], "orders.customer_id = customers.customer_id AND orders.order_id = customers.customer_id")),
    ("measure without alias", _set([*SNIP, "measures", 0, "alias"], _DELETE)),
]


@pytest.mark.parametrize(("name", "mutate"), BOUNDARY_CASES, ids=[c[0] for c in BOUNDARY_CASES])
def test_boundaries_are_allowed(name: str, mutate: Callable[[dict[str, Any]], None]) -> None:
    data = valid_space_dict()
    mutate(data)
    assert [str(p) for p in run(data)] == []


def test_lenient_sorting_ignores_order_only() -> None:
    data = valid_space_dict()
    data["data_sources"]["tables"].reverse()
    data["instructions"]["example_question_sqls"].reverse()
    assert {p.code for p in run(data)} == {"unsorted", "unsorted_unverified"}
    assert run(data, strict_sorting=False) == []


def test_one_problem_per_unsorted_collection() -> None:
    data = valid_space_dict()
    data["instructions"]["sql_snippets"]["filters"] = [{"id": H(40 - i), "sql": [f"orders.amount > {i}"]}
                                                       for i in range(5)]
    problems = [p for p in run(data) if p.code == "unsorted_unverified"]
    assert [p.path for p in problems] == ["instructions.sql_snippets.filters[1]"]


# ---------------------------------------------------------------------------------------------- parameters
def test_parameter_markers_skip_strings_comments_casts_and_json_paths() -> None:
    sql = "SELECT a:b, ':s', x::INT -- :c\nFROM t WHERE d = :d AND (:e) LIMIT 10 :f /* :g */"
    assert [m.name for m in parameter_markers(sql)] == ["d", "e", "f"]


def test_bind_parameters_uses_typed_defaults_or_typed_null() -> None:
    space = parse_space(valid_space_dict())
    example = space.instructions.example_question_sqls[1]
    bound = bind_parameters("".join(example.sql), example.parameters)
    assert "'EU'" in bound and "CAST(NULL AS DATE)" in bound and ":region" not in bound and ":since" not in bound


# ---------------------------------------------------------------------------------------------- real exports
def test_rest_docs_example_is_flagged_for_its_benchmark_id() -> None:
    problems = validate_space(load_document(SPACES / "rest_docs_example.json").space)
    found = located(problems)
    assert ("benchmarks.questions[0].id", "invalid_id") in found
    assert ("instructions.join_specs[0].sql", "join_sql_shape") in found
    assert ("instructions.join_specs[0].left.alias", "join_alias") in found


def test_cli_sales_analytics_passes() -> None:
    assert validate_space(load_document(SPACES / "cli_sales_analytics.geniespace.json").space) == []


def test_omop_v1_export_passes_after_upgrade() -> None:
    space = load_document(SPACES / "omop_semantic_v1_space_export.json").space
    assert space.version == 1
    upgraded = upgrade_to_v2(space)
    assert validate_space(upgraded, strict_sorting=False) == []
    # the UI exported its sample questions in descending id order: the API accepts that, normalize sorts them
    assert validate_space(upgraded) == []
    assert validate_space(normalize(space)) == []
    # the v1 names are fine in a v1 document, but not once it claims version 2
    assert validate_space(space, strict_sorting=False) == []
    v2_claim = space.model_copy(deep=True)
    v2_claim.version = 2
    assert {p.code for p in validate_space(v2_claim, strict_sorting=False)} == {"v1_column_flag"}


# ---------------------------------------------------------------------------------------------- catalog
CATALOG_CASES: list[tuple[str, Callable[[dict[str, Any]], None], str, str]] = [
    ("unknown table", lambda d: d["data_sources"]["tables"].append({"identifier": "shop.sales.returns"}),
     "data_sources.tables[2].identifier", "unknown_table"),
    ("unknown configured column",
     lambda d: d["data_sources"]["tables"][1]["column_configs"].insert(1, {"column_name": "discount"}),
     "data_sources.tables[1].column_configs[1].column_name", "unknown_column"),
    ("example reads an unknown table",
     _set(["instructions", "example_question_sqls", 0, "sql"], ["SELECT * FROM shop.sales.refunds"]),
     "instructions.example_question_sqls[0].sql", "unknown_table"),
    ("example reads an unknown column",
     _set(["instructions", "example_question_sqls", 0, "sql", 0], "SELECT c.regio\n"),
     "instructions.example_question_sqls[0].sql", "unknown_column"),
    ("answer reads an unknown column", _set([*BENCH, "answer", 0, "content", 0], "SELECT SUM(o.price)\n"),
     "benchmarks.questions[0].answer[0].content", "unknown_column"),
    ("join on an unknown table", lambda d: (d["data_sources"]["tables"].append({"identifier": "shop.sales.returns"}),
                                            _set([*JOIN, "right", "identifier"], "shop.sales.returns")(d)),
     "instructions.join_specs[0].right.identifier", "unknown_table"),
    ("join on an unknown column", _set([*JOIN, "sql", 0], "`orders`.`cust_id` = `customers`.`customer_id`"),
     "instructions.join_specs[0].sql[0]", "unknown_column"),
    ("measure on an unknown column", _set([*SNIP, "measures", 0, "sql"], ["SUM(orders.price)"]),
     "instructions.sql_snippets.measures[0].sql", "unknown_column"),
    ("filter on an unknown column", _set([*SNIP, "filters", 0, "sql"], ["customers.country = 'FR'"]),
     "instructions.sql_snippets.filters[0].sql", "unknown_column"),
    ("snippet subquery on an unknown table", _set([*SNIP, "filters", 0, "sql"],
                                                  ["orders.customer_id IN (SELECT id FROM shop.sales.vip)"]),
     "instructions.sql_snippets.filters[0].sql", "unknown_table"),
]


@pytest.mark.parametrize(("name", "mutate", "path", "code"), CATALOG_CASES, ids=[c[0] for c in CATALOG_CASES])
def test_catalog_rule_flags_its_case(
    shop: DuckDBWarehouse, name: str, mutate: Callable[[dict[str, Any]], None], path: str, code: str
) -> None:
    data = valid_space_dict()
    mutate(data)
    assert (path, code) not in located(run(data)), "only the catalog knows this"
    problems = run(data, catalog=shop.catalog())
    assert (path, code) in located(problems), [str(p) for p in problems]


def test_catalog_resolution_is_not_overeager(shop: DuckDBWarehouse) -> None:
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
    assert run(data, catalog=shop.catalog()) == []
    examples[0]["sql"][0] = examples[0]["sql"][0].replace("sales.customers", "shop.sales.customers")
    # the example runs; the measure's unknown qualifier is left to the in-context run, which refuses it
    problems = run(data, catalog=shop.catalog(), warehouse=shop)
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


def test_every_statement_runs_with_limit_0_and_bound_parameters(shop: DuckDBWarehouse) -> None:
    recorder = RecordingWarehouse(shop)
    assert run(valid_space_dict(), warehouse=recorder) == []
    # 3 statements, 3 snippets and 1 join condition, each planned in context with LIMIT 0
    assert len(recorder.calls) == 7 and {limit for _, limit in recorder.calls} == {0}
    assert all(sql.rstrip().endswith("LIMIT 0") for sql, _ in recorder.calls)
    bound = recorder.calls[1][0]
    assert "'EU'" in bound and "CAST(NULL AS DATE)" in bound and ":since" not in bound


def test_execution_failures_carry_the_warehouse_message(shop: DuckDBWarehouse) -> None:
    data = valid_space_dict()
    data["instructions"]["example_question_sqls"][0]["sql"] = ["SELECT * FROM shop.sales.refunds"]
    data["benchmarks"]["questions"][0]["answer"][0]["content"] = ["SELECT no_such_fn(amount) FROM shop.sales.orders"]
    problems = [p for p in run(data, warehouse=shop) if p.code == "sql_execution"]
    assert [p.path for p in problems] == ["instructions.example_question_sqls[0].sql",
                                          "benchmarks.questions[0].answer[0].content"]
    assert "refunds" in problems[0].message and "no_such_fn" in problems[1].message


def test_execution_uses_the_parameter_default(shop: DuckDBWarehouse) -> None:
    data = valid_space_dict()
    data["instructions"]["example_question_sqls"][1]["parameters"][1]["default_value"] = {"values": ["not a date"]}
    problems = run(data, warehouse=shop)
    assert located(problems) == {("instructions.example_question_sqls[1].sql", "sql_execution")}
    assert "not a date" in problems[0].message


def test_statements_already_flagged_are_not_executed(shop: DuckDBWarehouse) -> None:
    recorder = RecordingWarehouse(shop)
    data = copy.deepcopy(valid_space_dict())
    data["instructions"]["example_question_sqls"][0]["sql"] = ["SELECT ..."]
    problems = run(data, warehouse=recorder)
    assert located(problems) == {("instructions.example_question_sqls[0].sql", "sql_parse")}
    assert len(recorder.calls) == 6 and not any("..." in sql for sql, _ in recorder.calls)
