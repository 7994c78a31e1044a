"""Space validation: one failing case per rule (each built from a valid space), parameters and the real exports
(catalog checks and LIMIT 0 execution: test_validation_catalog.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from genie_enhance.backends.local.warehouse import DuckDBWarehouse
from genie_enhance.space.io import load_document, parse_space
from genie_enhance.space.normalize import normalize, upgrade_to_v2
from genie_enhance.space.validation import Problem, validate_space
from genie_enhance.space.validation.params import bind_parameters, parameter_markers
from genie_enhance_tests.support.paths import GENIE_SPACES
from genie_enhance_tests.support.validation_helpers import (
    BENCH,
    CUSTOMERS,
    DELETE,
    EX1,
    JOIN,
    SNIP,
    H,
    located,
    run,
    set_path,
    valid_space_dict,
)

SPACES = GENIE_SPACES


# ---------------------------------------------------------------------------------------------- the valid base
def test_valid_space_has_no_problems(validation_shop: DuckDBWarehouse) -> None:
    assert run(valid_space_dict()) == []
    assert run(valid_space_dict(), catalog=validation_shop.catalog(), warehouse=validation_shop) == []


def test_problem_str_is_path_and_message() -> None:
    problem = Problem("benchmarks.questions[0].id", "invalid_id", "bad id")
    assert str(problem) == "benchmarks.questions[0].id: bad id"
    assert problem.to_dict() == {"path": "benchmarks.questions[0].id", "code": "invalid_id", "message": "bad id",
                                 "severity": "error"}


# ---------------------------------------------------------------------------------------------- one case per rule
def _ins(d: dict[str, Any]) -> dict[str, Any]:
    return d["instructions"]




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
    ("non-hex id", set_path([*BENCH, "id"], "01f0d0b4e815100000000000000000g1"), "benchmarks.questions[0].id",
     "invalid_id"),
    ("uppercase id", set_path(["config", "sample_questions", 0, "id"], "A" * 32), "config.sample_questions[0].id",
     "invalid_id"),
    ("missing id", set_path(["instructions", "sql_functions", 0, "id"], DELETE), "instructions.sql_functions[0].id",
     "missing_id"),
    ("duplicate question id", set_path([*BENCH, "id"], H(1)), "benchmarks.questions[0].id", "duplicate_id"),
    ("duplicate instruction id across kinds", set_path([*SNIP, "measures", 0, "id"], H(10)),
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
    ("answer not SQL", set_path([*BENCH, "answer", 0, "format"], "TEXT"), "benchmarks.questions[0].answer[0].format",
     "answer_format"),
    ("answer without format", set_path([*BENCH, "answer", 0, "format"], DELETE),
     "benchmarks.questions[0].answer[0].format", "answer_format"),
    ("duplicate column config", lambda d: d["data_sources"]["tables"][0]["column_configs"].append(
        {"column_name": "REGION"}),
     "data_sources.tables[0].column_configs[3].column_name", "duplicate_column"),
    ("two-part identifier", set_path(["data_sources", "metric_views"], [{"identifier": "shop.revenue"}]),
     "data_sources.metric_views[0].identifier", "table_identifier"),
    ("four-part identifier", set_path(["data_sources", "metric_views"], [{"identifier": "a.b.c.d"}]),
     "data_sources.metric_views[0].identifier", "table_identifier"),
    ("duplicate table", set_path(["data_sources", "metric_views"], [{"identifier": "SHOP.sales.orders"}]),
     "data_sources.metric_views[0].identifier", "duplicate_table"),
    ("v1 flag in v2", set_path([*CUSTOMERS, "column_configs", 2, "get_example_values"], True),
     "data_sources.tables[0].column_configs[2].get_example_values", "v1_column_flag"),
    ("entity matching without format assistance",
     set_path([*CUSTOMERS, "column_configs", 1, "enable_format_assistance"], False),
     "data_sources.tables[0].column_configs[1].enable_entity_matching", "entity_matching_without_format_assistance"),
    ("121 entity-matching columns", _many_entity_columns(120),
     "data_sources.tables[2].column_configs[119].enable_entity_matching", "entity_matching_limit"),
    ("join side without alias", set_path([*JOIN, "left", "alias"], DELETE), "instructions.join_specs[0].left.alias",
     "join_alias"),
    ("join sides with one alias", set_path([*JOIN, "left", "alias"], "customers"), "instructions.join_specs[0].right.alias",
     "join_alias"),
    ("join without marker", set_path([*JOIN, "sql"], ["orders.customer_id = customers.customer_id"]),
     "instructions.join_specs[0].sql", "join_sql_shape"),
    ("join with a bad marker", set_path([*JOIN, "sql", 1], "--rt=FROM_RELATIONSHIP_TYPE_SOME--"),
     "instructions.join_specs[0].sql[1]", "join_marker"),
    ("join with compound AND, one side of another alias",
     set_path([*JOIN, "sql", 0], "orders.customer_id = customers.customer_id AND o.order_id = customers.customer_id"),
     "instructions.join_specs[0].sql[0]", "join_condition"),
    ("join not an equality", set_path([*JOIN, "sql", 0], "orders.customer_id > customers.customer_id"),
     "instructions.join_specs[0].sql[0]", "join_condition"),
    ("join with another alias", set_path([*JOIN, "sql", 0], "o.customer_id = customers.customer_id"),
     "instructions.join_specs[0].sql[0]", "join_condition"),
    ("join condition unparseable", set_path([*JOIN, "sql", 0], "orders.customer_id = = customers.customer_id"),
     "instructions.join_specs[0].sql[0]", "join_condition"),
    ("join on a table outside the space", set_path([*JOIN, "right", "identifier"], "shop.sales.products"),
     "instructions.join_specs[0].right.identifier", "join_table"),
    ("filter with WHERE", set_path([*SNIP, "filters", 0, "sql"], ["WHERE orders.amount > 100"]),
     "instructions.sql_snippets.filters[0].sql", "filter_where"),
    ("filter unparseable", set_path([*SNIP, "filters", 0, "sql"], ["orders.amount >"]),
     "instructions.sql_snippets.filters[0].sql", "snippet_sql"),
    ("filter with a second statement", set_path([*SNIP, "filters", 0, "sql"], ["1 = 1; DROP TABLE shop.sales.orders"]),
     "instructions.sql_snippets.filters[0].sql", "snippet_sql"),
    ("expression without alias", set_path([*SNIP, "expressions", 0, "alias"], DELETE),
     "instructions.sql_snippets.expressions[0].alias", "snippet_alias"),
    ("measure without aggregate", set_path([*SNIP, "measures", 0, "sql"], ["orders.amount * 2"]),
     "instructions.sql_snippets.measures[0].sql", "measure_without_aggregate"),
    ("expression with aggregate", set_path([*SNIP, "expressions", 0, "sql"], ["SUM(orders.amount)"]),
     "instructions.sql_snippets.expressions[0].sql", "expression_with_aggregate"),
    ("expression with two values", set_path([*SNIP, "expressions", 0, "sql"], ["orders.amount, orders.order_date"]),
     "instructions.sql_snippets.expressions[0].sql", "snippet_sql"),
    ("empty snippet", set_path([*SNIP, "measures", 0, "sql"], []), "instructions.sql_snippets.measures[0].sql",
     "snippet_sql"),
    ("example unparseable", set_path(["instructions", "example_question_sqls", 0, "sql"], ["SELECT ..."]),
     "instructions.example_question_sqls[0].sql", "sql_parse"),
    ("example not read-only", set_path(["instructions", "example_question_sqls", 0, "sql"], ["DELETE FROM t"]),
     "instructions.example_question_sqls[0].sql", "sql_not_read_only"),
    ("answer with two statements", set_path([*BENCH, "answer", 0, "content"], ["SELECT 1;\n", "SELECT 2"]),
     "benchmarks.questions[0].answer[0].content", "sql_not_read_only"),
    ("empty example", set_path(["instructions", "example_question_sqls", 0, "sql"], []),
     "instructions.example_question_sqls[0].sql", "sql_empty"),
    ("undeclared parameter", lambda d: d["instructions"]["example_question_sqls"][1]["parameters"].pop(),
     "instructions.example_question_sqls[1].sql", "undeclared_parameter"),
    ("unused parameter", lambda d: d["instructions"]["example_question_sqls"][1]["parameters"].append({"name": "zone"}),
     "instructions.example_question_sqls[1].parameters[2].name", "unused_parameter"),
    ("101 instructions", _more_examples(97), "instructions", "instruction_budget"),
    ("201 snippets", _more_filters(195), "instructions", "snippet_budget"),
    ("31 tables", _more_tables(29), "data_sources", "table_budget"),
    ("no tables", set_path(["data_sources", "tables"], []), "data_sources.tables", "no_tables"),
    ("string too long", set_path(["instructions", "text_instructions", 0, "content"], ["x" * 25_001]),
     "instructions.text_instructions[0].content[0]", "string_too_long"),
    ("unknown-field string too long", set_path(["notes"], "y" * 25_001), "notes", "string_too_long"),
    ("array too long", set_path(["config", "sample_questions", 0, "question"], ["q"] * 10_001),
     "config.sample_questions[0].question", "array_too_long"),
    ("unknown-field array too long", set_path([*CUSTOMERS, "tags"], list(range(10_001))), "data_sources.tables[0].tags",
     "array_too_long"),
    ("unsupported version", set_path(["version"], 3), "version", "version"),
    ("missing version", set_path(["version"], DELETE), "version", "version"),
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
    ("same id in the two pools", set_path(["config", "sample_questions", 0, "id"], H(10))),
    ("metric views only", lambda d: d["data_sources"].update(metric_views=d["data_sources"].pop("tables"))),
    ("measure with COUNT(DISTINCT)", set_path([*SNIP, "measures", 0, "sql"], ["COUNT(DISTINCT orders.order_id)"])),
    ("expression with a window", set_path([*SNIP, "expressions", 0, "sql"], ["SUM(orders.amount) OVER ()"])),
    ("JSON path is not a parameter", set_path(["instructions", "example_question_sqls", 0, "sql"],
                                          ["SELECT raw:field, x::int FROM t WHERE s = ':no'"])),
    ("all four markers", set_path([*JOIN, "sql", 1], "--rt=FROM_RELATIONSHIP_TYPE_ONE_TO_ONE--")),
    # server exports hold these (fixtures README): the API accepts them
    ("unsorted parameters", _swap([*EX1, "parameters"])),
    ("unsorted sample questions and benchmarks", lambda d: (
        d["config"]["sample_questions"].append({"id": H(0), "question": ["q"]}),
        d["benchmarks"]["questions"].insert(0, {"id": H(3), "question": ["b"]}))),
    ("join with compound AND",
     set_path([*JOIN, "sql", 0], "orders.customer_id = customers.customer_id AND orders.order_id = customers.customer_id")),
    ("measure without alias", set_path([*SNIP, "measures", 0, "alias"], DELETE)),
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
