"""The two packaged demo space configs: valid v2 documents that only reference the demo warehouse's objects."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
import sqlglot
from sqlglot import exp

from genie_enhance.benchmarks import load_benchmarks, normalize_question
from genie_enhance.demo.space_configs import BARE_SPACE, DEMO_SPACES, TUNED_SPACE, demo_space_resource, load_demo_space
from genie_enhance.demo.warehouse import demo_table_identifiers
from genie_enhance.space.ids import is_valid_id
from genie_enhance.space.io import load_space, space_to_json
from genie_enhance.space.lines import join_lines
from genie_enhance.space.model import SerializedSpace
from genie_enhance.space.normalize import normalize
from genie_enhance.space.validation import validate_space
from genie_enhance.sql import DIALECT, normalize_sql, parse_statement, referenced_tables
from genie_enhance_tests.support.demo_fixtures import BENCHMARK_FILES

RT_MARKER = re.compile(r"^--rt=FROM_RELATIONSHIP_TYPE_(MANY_TO_ONE|ONE_TO_MANY|ONE_TO_ONE|MANY_TO_MANY)--$")
DEFINITION = re.compile(r"^(?P<term>[A-Za-z][\w \-]*?) means (?P<sql>.+)$")


def _ids(node: Any, path: str = "$") -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "id":
                yield f"{path}.id", value
            yield from _ids(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _ids(value, f"{path}[{i}]")


def _columns_by_short_name(space: SerializedSpace, catalog) -> dict[str, dict[str, str]]:
    return {t.identifier.split(".")[-1]: catalog.columns(t.identifier) for t in space.data_sources.tables}


def _check_expression(sql: str, tables: dict[str, dict[str, str]]) -> None:
    """Every column of a snippet/definition is `table.column` of a space table and exists."""
    tree = sqlglot.parse_one(sql, read=DIALECT)
    cols = [c for c in tree.find_all(exp.Column) if not isinstance(c.this, exp.Star)]
    assert cols, sql
    for col in cols:
        assert col.table in tables, f"{sql}: unknown table {col.table!r}"
        assert col.name in tables[col.table], f"{sql}: unknown column {col.table}.{col.name}"


@pytest.fixture(scope="module")
def catalog(demo_warehouse):
    return demo_warehouse.catalog()


@pytest.mark.parametrize("name", DEMO_SPACES)
def test_space_is_a_normalized_v2_document(name: str) -> None:
    path = demo_space_resource(name)
    raw = json.loads(path.read_text(encoding="utf-8"))
    space = load_space(str(path))
    assert space.version == 2
    bad = [(p, v) for p, v in _ids(raw) if not is_valid_id(v)]
    assert not bad
    assert space_to_json(normalize(space)) == space_to_json(space), "ids missing or a collection is unsorted"
    assert sorted(t.identifier for t in space.data_sources.tables) == demo_table_identifiers()


@pytest.mark.parametrize("name", DEMO_SPACES)
def test_space_passes_validation_against_the_warehouse(name: str, demo_warehouse, catalog) -> None:
    space = load_demo_space(name)
    assert validate_space(space, catalog=catalog, warehouse=demo_warehouse) == []


def test_bare_space_has_tables_only() -> None:
    raw = json.loads(demo_space_resource(BARE_SPACE).read_text(encoding="utf-8"))
    assert set(raw) == {"version", "data_sources"}
    assert all(set(t) == {"identifier"} for t in raw["data_sources"]["tables"])
    space = load_demo_space(BARE_SPACE)
    assert not space.instructions.text_instructions and not space.instructions.example_question_sqls


def test_tuned_space_references_only_existing_objects(catalog) -> None:
    space = load_demo_space(TUNED_SPACE)
    tables = _columns_by_short_name(space, catalog)
    for table in space.data_sources.tables:
        for col in table.column_configs:
            assert catalog.has_column(table.identifier, col.column_name), f"{table.identifier}.{col.column_name}"
    for join in space.instructions.join_specs:
        condition, marker = join.sql
        assert RT_MARKER.match(marker)
        sides = {join.left.alias: join.left.identifier, join.right.alias: join.right.identifier}
        tree = sqlglot.parse_one(condition, read=DIALECT)
        assert isinstance(tree, exp.EQ)
        for col in tree.find_all(exp.Column):
            assert catalog.has_column(sides[col.table], col.name), condition
    snippets = space.instructions.sql_snippets
    for item in [*snippets.measures, *snippets.filters, *snippets.expressions]:
        _check_expression(join_lines(item.sql), tables)
    (instruction,) = space.instructions.text_instructions
    definitions = [m for line in join_lines(instruction.content).splitlines() if (m := DEFINITION.match(line))]
    assert definitions
    for m in definitions:
        _check_expression(m["sql"], tables)


def test_tuned_space_uses_every_kind_of_tuning() -> None:
    space = load_demo_space(TUNED_SPACE)
    columns = [c for t in space.data_sources.tables for c in t.column_configs]
    assert all(t.description for t in space.data_sources.tables)
    assert sum(1 for c in columns if c.synonyms) >= 30 and sum(1 for c in columns if c.description) >= 30
    matched = {c.column_name for c in columns if c.enable_entity_matching}
    assert {"rgn_nm", "prod_cat", "chan_nm", "usr_handle", "rxn_emoji"} <= matched
    assert all(c.enable_format_assistance for c in columns if c.enable_entity_matching)
    assert all(j.left.alias and j.right.alias and len(j.sql) == 2 for j in space.instructions.join_specs)
    snippets = space.instructions.sql_snippets
    assert snippets.measures and snippets.filters and snippets.expressions
    assert any(e.parameters for e in space.instructions.example_question_sqls)


def _bind_defaults(sql: str, example) -> str:
    for p in example.parameters:
        value = p.default_value.values[0]
        literal = value if (p.type_hint or "").upper() in {"NUMERIC", "INT", "INTEGER", "DOUBLE"} else f"'{value}'"
        sql = re.sub(rf":{p.name}\b", literal, sql)
    return sql


def test_tuned_examples_run_and_never_copy_a_benchmark(demo_warehouse) -> None:
    benchmarks = [b for f in BENCHMARK_FILES for b in load_benchmarks(f)]
    bench_sql = {normalize_sql(b.expected_sql) for b in benchmarks}
    bench_questions = {normalize_question(b.question) for b in benchmarks}
    space = load_demo_space(TUNED_SPACE)
    for example in space.instructions.example_question_sqls:
        sql = join_lines(example.sql)
        assert normalize_question(join_lines(example.question)) not in bench_questions
        bound = _bind_defaults(sql, example)
        assert normalize_sql(bound) not in bench_sql and normalize_sql(sql) not in bench_sql
        assert set(referenced_tables(parse_statement(bound))) <= set(demo_table_identifiers())
        assert demo_warehouse.execute(bound).row_count > 0, join_lines(example.question)
    for sample in space.config.sample_questions:
        assert normalize_question(join_lines(sample.question)) not in bench_questions
