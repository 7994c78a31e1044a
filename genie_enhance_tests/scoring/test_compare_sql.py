"""`compare_sql` end to end: both queries run on a real DuckDB file through `DuckDBWarehouse` (Databricks SQL)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from genie_enhance.backends.local.warehouse import DuckDBWarehouse
from genie_enhance.core.protocols import ResultSet
from genie_enhance.scoring import (
    CompareOptions,
    Comparison,
    Reason,
    Verdict,
    compare_actual,
    compare_sql,
    expected_cache_key,
    run_expected,
)
from genie_enhance_tests.support.shops import TYPED_ORDER_ROWS, build_typed_orders_shop


class RecordingWarehouse:
    """A real `DuckDBWarehouse` that remembers every statement it was asked to run."""

    def __init__(self, inner: DuckDBWarehouse) -> None:
        self.inner = inner
        self.executed: list[str] = []

    def execute(self, sql: str, limit: int | None = None) -> ResultSet:
        self.executed.append(sql)
        return self.inner.execute(sql, limit)

    def catalog(self, identifiers=None):  # noqa: ANN001, ANN201 - protocol passthrough
        return self.inner.catalog(identifiers)

    def distinct_values(self, identifier: str, column: str, limit: int = 1024) -> list[str]:
        return self.inner.distinct_values(identifier, column, limit)


@pytest.fixture
def typed_orders_shop(tmp_path: Path) -> Path:
    return build_typed_orders_shop(tmp_path / "shop.duckdb")


@pytest.fixture
def wh(typed_orders_shop: Path) -> Iterator[RecordingWarehouse]:
    inner = DuckDBWarehouse(typed_orders_shop)
    yield RecordingWarehouse(inner)
    inner.close()


def check(wh: RecordingWarehouse, expected: str, actual: str | None, **options: object) -> Comparison:
    return compare_sql(wh, expected, actual, CompareOptions(**options))


def assert_outcome(out: Comparison, verdict: Verdict, reason: Reason) -> None:
    assert (out.verdict, out.reason) == (verdict, reason), out.summary()


def row_count(path: Path, table: str) -> int:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
    finally:
        con.close()


def test_unordered_expected_accepts_any_row_order(wh: RecordingWarehouse) -> None:
    out = check(wh, "SELECT region, amount FROM shop.sales.orders",
                "SELECT amount, region FROM sales.orders ORDER BY id DESC")
    assert_outcome(out, Verdict.PASS, Reason.MATCH)
    assert out.order == "none" and out.column_mapping == {0: 1, 1: 0}


def test_ordered_expected_rejects_wrong_order(wh: RecordingWarehouse) -> None:
    out = check(wh, "SELECT id, price FROM sales.orders ORDER BY price",
                "SELECT id, price FROM sales.orders ORDER BY price DESC")
    assert_outcome(out, Verdict.FAIL, Reason.WRONG_ORDER)
    assert out.order == "ties" and "answer row 1" in out.details


def test_duplicates_count(wh: RecordingWarehouse) -> None:
    out = check(wh, "SELECT region FROM sales.orders", "SELECT DISTINCT region FROM sales.orders")
    assert_outcome(out, Verdict.FAIL, Reason.MISSING_ROWS)
    assert "3 expected row(s) missing" in out.details


def test_column_permutation_passes(wh: RecordingWarehouse) -> None:
    out = check(wh, "SELECT id, region, qty, day FROM sales.orders",
                "SELECT day AS d, qty AS q, region AS r, id AS i FROM sales.orders")
    assert_outcome(out, Verdict.PASS, Reason.MATCH)
    assert out.column_mapping == {0: 3, 1: 2, 2: 1, 3: 0}


def test_float_within_tolerance_passes(wh: RecordingWarehouse) -> None:
    out = check(wh, "SELECT region, AVG(price) FROM sales.orders GROUP BY region",
                "SELECT region, AVG(price) * (1 + 5e-5) FROM sales.orders GROUP BY region")
    assert_outcome(out, Verdict.PASS, Reason.MATCH)


def test_float_beyond_tolerance_fails(wh: RecordingWarehouse) -> None:
    out = check(wh, "SELECT region, AVG(price) FROM sales.orders GROUP BY region",
                "SELECT region, AVG(price) * 1.001 FROM sales.orders GROUP BY region")
    assert_outcome(out, Verdict.FAIL, Reason.VALUE_DIFFERENCE)


def test_extra_column_fails_by_default(wh: RecordingWarehouse) -> None:
    out = check(wh, "SELECT region, SUM(qty) FROM sales.orders GROUP BY region",
                "SELECT region, SUM(qty), COUNT(*) AS n FROM sales.orders GROUP BY region")
    assert_outcome(out, Verdict.FAIL, Reason.EXTRA_COLUMNS)


def test_extra_column_passes_when_allowed(wh: RecordingWarehouse) -> None:
    out = check(wh, "SELECT region, SUM(qty) FROM sales.orders GROUP BY region",
                "SELECT region, SUM(qty), COUNT(*) AS n FROM sales.orders GROUP BY region", extra_columns="allow")
    assert_outcome(out, Verdict.PASS, Reason.MATCH)


def test_missing_column_fails(wh: RecordingWarehouse) -> None:
    out = check(wh, "SELECT region, SUM(qty) AS total FROM sales.orders GROUP BY region",
                "SELECT region FROM sales.orders GROUP BY region")
    assert_outcome(out, Verdict.FAIL, Reason.MISSING_COLUMNS)
    assert "'total'" in out.details


def test_both_empty_needs_review(wh: RecordingWarehouse) -> None:
    out = check(wh, "SELECT id FROM sales.orders WHERE qty > 100", "SELECT id FROM sales.orders WHERE id < 0")
    assert_outcome(out, Verdict.NEEDS_REVIEW, Reason.EMPTY_EXPECTED)
    accepted = check(wh, "SELECT id FROM sales.orders WHERE qty > 100", "SELECT id FROM sales.orders WHERE id < 0",
                     empty_expected="pass")
    assert accepted.verdict is Verdict.PASS


def test_expected_rows_but_empty_answer(wh: RecordingWarehouse) -> None:
    out = check(wh, "SELECT id FROM sales.orders", "SELECT id FROM sales.orders WHERE region = 'emea'")
    assert_outcome(out, Verdict.FAIL, Reason.EMPTY_RESULT)
    assert "expected 6 row(s)" in out.details


def test_nulls_equal(wh: RecordingWarehouse) -> None:
    out = check(wh, "SELECT id, note FROM sales.orders",
                "SELECT id, CASE WHEN note IS NULL THEN NULL ELSE note END FROM sales.orders")
    assert_outcome(out, Verdict.PASS, Reason.MATCH)
    out = check(wh, "SELECT id, note FROM sales.orders", "SELECT id, COALESCE(note, '') FROM sales.orders")
    assert_outcome(out, Verdict.FAIL, Reason.VALUE_DIFFERENCE)


def test_decimal_int_and_float_compare_by_value(wh: RecordingWarehouse) -> None:
    out = check(wh, "SELECT id, amount FROM sales.orders",
                "SELECT id, CAST(amount AS DOUBLE) FROM sales.orders")
    assert_outcome(out, Verdict.PASS, Reason.MATCH)
    out = check(wh, "SELECT CAST(300 AS DECIMAL(10,2)) AS a, 2 AS b, 1.5 AS c",
                "SELECT 300 AS a, CAST(2 AS DOUBLE) AS b, CAST(1.5 AS DECIMAL(4,2)) AS c")
    assert_outcome(out, Verdict.PASS, Reason.MATCH)


def test_integer_counts_compare_exactly(wh: RecordingWarehouse) -> None:
    out = check(wh, "SELECT 12345 AS n", "SELECT 12346 AS n")
    assert_outcome(out, Verdict.FAIL, Reason.VALUE_DIFFERENCE)


def test_date_equals_midnight_timestamp(wh: RecordingWarehouse) -> None:
    out = check(wh, "SELECT day FROM sales.orders WHERE id <> 2", "SELECT ts FROM sales.orders WHERE id <> 2")
    assert_outcome(out, Verdict.PASS, Reason.MATCH)


def test_date_differs_from_non_midnight_timestamp(wh: RecordingWarehouse) -> None:
    out = check(wh, "SELECT day FROM sales.orders", "SELECT ts FROM sales.orders")
    assert_outcome(out, Verdict.FAIL, Reason.VALUE_DIFFERENCE)
    assert "2024-01-02 10:00:00" in out.details


def test_broken_expected_sql_is_an_error(wh: RecordingWarehouse) -> None:
    out = check(wh, "SELECT nope FROM sales.orders", "SELECT id FROM sales.orders")
    assert_outcome(out, Verdict.ERROR, Reason.EXPECTED_SQL_ERROR)
    assert not out.scored
    out = check(wh, "SELEC id FRM", "SELECT 1")
    assert_outcome(out, Verdict.ERROR, Reason.EXPECTED_SQL_ERROR)


def test_broken_actual_sql_fails(wh: RecordingWarehouse) -> None:
    out = check(wh, "SELECT id FROM sales.orders", "SELECT nope FROM sales.orders")
    assert_outcome(out, Verdict.FAIL, Reason.SQL_ERROR)
    assert "nope" in out.details
    assert_outcome(check(wh, "SELECT id FROM sales.orders", None), Verdict.FAIL, Reason.NO_SQL)
    assert_outcome(check(wh, "SELECT id FROM sales.orders", "  "), Verdict.FAIL, Reason.NO_SQL)


DESTRUCTIVE = [
    "DROP TABLE sales.orders",
    "DELETE FROM sales.orders",
    "UPDATE sales.orders SET qty = 0",
    "INSERT INTO sales.orders SELECT * FROM sales.orders",
    "CREATE TABLE sales.copy AS SELECT * FROM sales.orders",
    "SELECT 1; DROP TABLE sales.orders",
]


@pytest.mark.parametrize("sql", DESTRUCTIVE)
def test_destructive_expected_sql_is_never_executed(typed_orders_shop: Path, wh: RecordingWarehouse, sql: str) -> None:
    out = check(wh, sql, "SELECT id FROM sales.orders")
    assert_outcome(out, Verdict.ERROR, Reason.EXPECTED_NOT_READ_ONLY)
    assert wh.executed == []
    assert row_count(typed_orders_shop, "sales.orders") == len(TYPED_ORDER_ROWS)


@pytest.mark.parametrize("sql", DESTRUCTIVE)
def test_destructive_actual_sql_is_never_executed(typed_orders_shop: Path, wh: RecordingWarehouse, sql: str) -> None:
    out = check(wh, "SELECT id FROM sales.orders", sql)
    assert_outcome(out, Verdict.FAIL, Reason.SQL_ERROR)
    assert "refused, not executed" in out.details
    assert wh.executed == ["SELECT id FROM sales.orders"]
    assert row_count(typed_orders_shop, "sales.orders") == len(TYPED_ORDER_ROWS)


TOP3 = "SELECT name, score FROM sales.scores ORDER BY score DESC LIMIT 3"


@pytest.mark.parametrize("tiebreak", ["name ASC", "name DESC"])
def test_ties_at_limit_boundary_either_choice_passes(wh: RecordingWarehouse, tiebreak: str) -> None:
    out = check(wh, TOP3, f"SELECT name, score FROM sales.scores ORDER BY score DESC, {tiebreak} LIMIT 3")
    assert_outcome(out, Verdict.PASS, Reason.MATCH)


def test_non_tied_wrong_row_at_limit_boundary_fails(wh: RecordingWarehouse) -> None:
    out = check(wh, TOP3, "SELECT name, score FROM sales.scores WHERE name IN ('ann', 'bob', 'eve') "
                          "ORDER BY score DESC")
    assert_outcome(out, Verdict.FAIL, Reason.VALUE_DIFFERENCE)
    assert "'eve'" in out.details


def test_boundary_ties_on_a_hidden_order_key(wh: RecordingWarehouse) -> None:
    expected = "SELECT name FROM sales.scores ORDER BY score DESC LIMIT 3"
    for tiebreak in ("name", "name DESC"):
        out = check(wh, expected, f"SELECT name FROM sales.scores ORDER BY score DESC, {tiebreak} LIMIT 3")
        assert_outcome(out, Verdict.PASS, Reason.MATCH)
    out = check(wh, expected, "SELECT name FROM sales.scores WHERE name IN ('bob', 'ann', 'cat')"
                              " ORDER BY score LIMIT 3")
    assert_outcome(out, Verdict.FAIL, Reason.WRONG_ORDER)


def test_boundary_ties_with_offset(wh: RecordingWarehouse) -> None:
    expected = "SELECT name FROM sales.scores ORDER BY score DESC LIMIT 1 OFFSET 3"
    assert check(wh, expected, "SELECT 'cat'").passed
    assert check(wh, expected, "SELECT 'dan'").passed
    assert_outcome(check(wh, expected, "SELECT 'bob'"), Verdict.FAIL, Reason.VALUE_DIFFERENCE)


def test_ties_inside_an_ordered_result(wh: RecordingWarehouse) -> None:
    expected = "SELECT name, score FROM sales.scores ORDER BY score DESC"
    out = check(wh, expected, "SELECT name, score FROM sales.scores ORDER BY score DESC, name DESC")
    assert_outcome(out, Verdict.PASS, Reason.MATCH)
    out = check(wh, expected, "SELECT score, name FROM sales.scores ORDER BY score ASC")
    assert_outcome(out, Verdict.FAIL, Reason.WRONG_ORDER)


@pytest.mark.parametrize("sql, keys", [
    ("SELECT name AS n, score AS s FROM sales.scores ORDER BY s DESC", [0, 1, 2, 2, 3, 4]),
    ("SELECT name, score FROM sales.scores ORDER BY 2 DESC", [0, 1, 2, 2, 3, 4]),
    ("SELECT name, score FROM sales.scores ORDER BY ALL", [0, 1, 2, 3, 4, 5]),
    ("SELECT name FROM sales.scores ORDER BY score DESC", [0, 1, 2, 2, 3, 4]),
    ("SELECT name FROM sales.scores ORDER BY LENGTH(name), score % 10", [0, 0, 0, 0, 0, 1]),
    ("SELECT name FROM sales.scores UNION ALL SELECT 'zed' ORDER BY name", [0, 1, 2, 3, 4, 5, 6]),
])
def test_order_keys_are_recovered(wh: RecordingWarehouse, sql: str, keys: list[int]) -> None:
    expected = run_expected(wh, sql)
    assert expected.order == "ties"
    assert expected.group_ids is not None and expected.group_ids.tolist() == keys
    assert not any(c.startswith("__ge_ord_") for c in expected.columns)


def test_unresolvable_order_falls_back_to_strict_order(wh: RecordingWarehouse) -> None:
    expected = run_expected(wh, "SELECT DISTINCT region FROM sales.orders ORDER BY LOWER(region) DESC")
    assert expected.order == "strict"
    assert any("strictly by position" in n for n in expected.notes)
    out = compare_actual(wh, expected, "SELECT DISTINCT region FROM sales.orders ORDER BY region")
    assert_outcome(out, Verdict.FAIL, Reason.WRONG_ORDER)
    assert out.notes and "strictly" in out.notes[0]


def test_expected_result_is_reused_across_answers(wh: RecordingWarehouse) -> None:
    expected = run_expected(wh, TOP3)
    runs = len(wh.executed)
    assert compare_actual(wh, expected, "SELECT name, score FROM sales.scores ORDER BY score DESC, name LIMIT 3").passed
    assert not compare_actual(wh, expected, "SELECT name, score FROM sales.scores LIMIT 2").passed
    assert len(wh.executed) == runs + 2
    same = "select  name, score\nfrom sales.scores order by score desc limit 3"
    assert expected_cache_key(TOP3) == expected_cache_key(same)


def test_ordinal_beyond_the_output_is_judged_by_the_original_query(wh: RecordingWarehouse) -> None:
    # The hidden key column would make ordinal 2 valid; the query as written decides (DuckDB accepts it).
    expected = run_expected(wh, "SELECT name FROM sales.scores ORDER BY 2, score")
    assert expected.order == "strict" and wh.executed[-1] == "SELECT name FROM sales.scores ORDER BY 2, score"
    assert any("beyond the output" in note for note in expected.notes)
