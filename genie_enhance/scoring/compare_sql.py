"""SQL-level comparison: run the expected SQL (once, cacheable) and an answer's SQL, then compare the results.

A broken benchmark is not Genie's fault: expected SQL that cannot be parsed, is not read-only or fails to run gives
verdict `error` (excluded from the score's denominator). An answer's SQL that is missing, cannot be parsed, fails,
or is not read-only is a `fail`; non-read-only SQL is refused before it reaches the warehouse. Both queries may
be written in another sqlglot dialect (`dialect`); they are rewritten as Databricks SQL first.
"""

from __future__ import annotations

from genie_enhance.core.protocols import Warehouse
from genie_enhance.errors import ReadOnlySqlError, SqlExecutionError, SqlParseError
from genie_enhance.scoring.compare import compare_results
from genie_enhance.scoring.expected import ExpectedResult, run_expected
from genie_enhance.scoring.verdicts import CompareOptions, Comparison, Reason, Verdict
from genie_enhance.sql import DIALECT, ensure_read_only, from_dialect

SQL_ERRORS = (SqlParseError, ReadOnlySqlError, SqlExecutionError)


def expected_error(exc: Exception) -> Comparison:
    """The `error` verdict for an expected SQL that could not be run."""
    if isinstance(exc, ReadOnlySqlError):
        return Comparison(verdict=Verdict.ERROR, reason=Reason.EXPECTED_NOT_READ_ONLY,
                          details=f"expected SQL refused, not executed: {exc}")
    what = "cannot be parsed" if isinstance(exc, SqlParseError) else "failed"
    return Comparison(verdict=Verdict.ERROR, reason=Reason.EXPECTED_SQL_ERROR, details=f"expected SQL {what}: {exc}")


def compare_actual(
    warehouse: Warehouse, expected: ExpectedResult, actual_sql: str | None, options: CompareOptions | None = None,
    *, dialect: str = DIALECT,
) -> Comparison:
    """Run the answer's SQL (if it is one read-only query, in `dialect`) and compare its result with `expected`."""
    o = options or CompareOptions()
    if actual_sql is None or not actual_sql.strip():
        return _answer_failure(expected, Reason.NO_SQL, "the answer has no SQL")
    try:
        actual_sql = from_dialect(actual_sql, dialect)
        ensure_read_only(actual_sql)
    except ReadOnlySqlError as exc:
        return _answer_failure(expected, Reason.SQL_ERROR, f"answer SQL refused, not executed: {exc}")
    except SqlParseError as exc:
        return _answer_failure(expected, Reason.SQL_ERROR, f"answer SQL cannot be parsed: {exc}")
    try:
        actual = warehouse.execute(actual_sql, limit=o.max_rows)
    except SQL_ERRORS as exc:
        return _answer_failure(expected, Reason.SQL_ERROR, f"answer SQL failed: {exc}")
    return compare_results(expected, actual, o)


def compare_sql(
    warehouse: Warehouse, expected_sql: str, actual_sql: str | None, options: CompareOptions | None = None,
    *, dialect: str = DIALECT,
) -> Comparison:
    """Run both queries (written in `dialect`) and compare; expected-side failures become verdict `error`."""
    try:
        expected = run_expected(warehouse, from_dialect(expected_sql, dialect), options)
    except SQL_ERRORS as exc:
        return expected_error(exc)
    return compare_actual(warehouse, expected, actual_sql, options, dialect=dialect)


def _answer_failure(expected: ExpectedResult, reason: Reason, details: str) -> Comparison:
    return Comparison(verdict=Verdict.FAIL, reason=reason, details=details, expected_rows=expected.row_count,
                      expected_columns=list(expected.columns), order=expected.order, notes=list(expected.notes))
