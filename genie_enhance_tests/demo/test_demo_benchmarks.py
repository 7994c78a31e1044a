"""The demo benchmarks: well-formed, bilingual, and every expected SQL answers on the demo warehouse.

Answers must be non-empty and, for ORDER BY … LIMIT N, the N-th and (N+1)-th order keys must differ, otherwise a
correct answer could legitimately pick other rows at the boundary.
"""

from __future__ import annotations

from collections import Counter

import pytest
from sqlglot import exp

from genie_enhance.benchmarks import Benchmark, load_benchmarks
from genie_enhance.sql import parse_statement, referenced_tables
from genie_enhance_tests.support.demo_fixtures import BENCHMARK_FILES

BENCHMARKS: list[Benchmark] = [b for f in BENCHMARK_FILES for b in load_benchmarks(f)]
SHAPES = {"count", "count distinct", "sum", "average", "min", "max", "grouping", "time grain", "year filter",
          "numeric comparison", "top n", "bottom n", "the most", "entity value", "join"}


def _ids(b: Benchmark) -> str:
    return b.title or b.id


@pytest.mark.parametrize("path", BENCHMARK_FILES, ids=lambda p: p.name)
def test_files_have_enough_bilingual_questions(path) -> None:
    items = load_benchmarks(path)
    assert len(items) >= 22
    assert path.read_text(encoding="utf-8").startswith("# ")
    assert all(b.question_ko and b.question_ko != b.question for b in items)
    assert all(b.tags for b in items)
    schema = path.stem  # commerce.md → demo.commerce
    for b in items:
        tables = {str(t) for t in referenced_tables(parse_statement(b.expected_sql))}
        assert tables and all(t.startswith(f"demo.{schema}.") for t in tables), (b.question, tables)


def test_question_shapes_and_paraphrases_are_covered() -> None:
    tags = Counter(t for b in BENCHMARKS for t in b.tags)
    missing = SHAPES - set(tags)
    assert not missing, f"no benchmark for shapes {sorted(missing)}"
    by_sql = Counter(" ".join(b.expected_sql.split()) for b in BENCHMARKS)
    assert sum(1 for n in by_sql.values() if n >= 2) >= 4, "several concepts must be asked in 2-3 phrasings"
    assert max(by_sql.values()) <= 3


def _order_keys(tree: exp.Select) -> list[str]:
    """Output-column names the outermost ORDER BY sorts on (the benchmarks order by output aliases)."""
    outputs = [s.alias_or_name for s in tree.selects]
    keys = []
    for ordered in tree.args["order"].expressions:
        name = ordered.this.name if isinstance(ordered.this, exp.Column) else ""
        assert name in outputs, f"ORDER BY {ordered.this.sql()} is not an output column alias"
        keys.append(name)
    return keys


@pytest.mark.parametrize("bench", BENCHMARKS, ids=_ids)
def test_expected_sql_runs_non_empty_without_boundary_ties(demo_warehouse, bench: Benchmark) -> None:
    result = demo_warehouse.execute(bench.expected_sql)
    assert result.row_count > 0
    assert all(v is not None for v in result.rows[0]), "the answer must not be NULL"
    tree = parse_statement(bench.expected_sql)
    if "time grain" in bench.tags:
        assert tree.args.get("order"), "time-grain answers are ordered by time"
    limit = tree.args.get("limit")
    if limit is None:
        return
    n = int(limit.expression.name)
    assert result.row_count == n
    keys = _order_keys(tree)
    unlimited = tree.copy()
    unlimited.set("limit", None)
    full = demo_warehouse.execute(unlimited.sql(dialect="databricks"))
    assert full.row_count > n, "LIMIT must cut something off"
    positions = [[s.alias_or_name for s in tree.selects].index(k) for k in keys]
    at, after = full.rows[n - 1], full.rows[n]
    assert [at[p] for p in positions] != [after[p] for p in positions], f"tie at the LIMIT {n} boundary"


# Digests of the demo benchmarks' ids and of their holdout at the default split (0.3, seed 0), as before labels and
# numbered headings existed: the stored campaigns of existing users key on these ids.
IDS_DIGEST = "b9427fa5dfa42c6a64939033bb98044b3e24c0a50050b78ca4439a7a3868c2c3"
HOLDOUT_DIGEST = "a927c32d68d468c911a5dabf15e8fdc10129ea98ac3a1fe753fe284202c43a70"


def test_demo_files_parse_to_the_same_ids_and_split_as_before() -> None:
    import hashlib

    from genie_enhance.benchmarks import load_benchmark_set, question_id, split_benchmarks

    loaded = load_benchmark_set(BENCHMARK_FILES[0].parent)
    assert loaded.warnings == [] and len(loaded.benchmarks) == len(BENCHMARKS) == 92
    assert all(b.label is None and b.metadata == {} and b.id == question_id(b.question) for b in loaded.benchmarks)
    digest = hashlib.sha256(" ".join(b.id for b in loaded.benchmarks).encode()).hexdigest()
    holdout = split_benchmarks(loaded.benchmarks, 0.3, 0).holdout_ids
    assert (digest, hashlib.sha256(" ".join(holdout).encode()).hexdigest()) == (IDS_DIGEST, HOLDOUT_DIGEST)
