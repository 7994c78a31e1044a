"""Verdicts, reason codes, comparison options and the explained outcome of one result comparison.

A verdict alone is not enough to trust a score: every `Comparison` says *why* (a reason code from a closed set and
a one-line human explanation with an example row), so a failing question can be diagnosed and a wrong benchmark
spotted without re-running anything.
"""

from __future__ import annotations

from enum import Enum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Verdict(str, Enum):
    PASS = "pass"
    FAIL = "fail"
    NEEDS_REVIEW = "needs_review"  # cannot be decided from the results alone (e.g. both empty)
    ERROR = "error"  # the benchmark itself is broken: excluded from the score's denominator


class Reason(str, Enum):
    MATCH = "match"
    MISSING_ROWS = "missing_rows"
    EXTRA_ROWS = "extra_rows"
    MISSING_COLUMNS = "missing_columns"
    EXTRA_COLUMNS = "extra_columns"
    VALUE_DIFFERENCE = "value_difference"
    TYPE_DIFFERENCE = "type_difference"
    WRONG_ORDER = "wrong_order"
    EMPTY_RESULT = "empty_result"  # expected rows, got none
    EMPTY_EXPECTED = "empty_expected"  # both empty: nothing to confirm the answer with
    TRUNCATED = "truncated"  # both results hit `max_rows`: the unseen rows cannot be compared
    SEARCH_LIMIT = "search_limit"  # the exact column-alignment / row-matching search ran out of budget: undecided
    SQL_ERROR = "sql_error"  # the answer's SQL failed, could not be parsed, or was refused (not read-only)
    NO_SQL = "no_sql"  # the answer had no SQL at all
    EXPECTED_SQL_ERROR = "expected_sql_error"
    EXPECTED_NOT_READ_ONLY = "expected_not_read_only"


OrderCheck = Literal["none", "ties", "strict"]


class CompareOptions(BaseModel):
    """How strict a comparison is. Numbers match when |a-b| <= atol + rtol*max(|a|, |b|) (symmetric).

    `exact_integers`: two integer-typed columns must be equal exactly (a count off by one is wrong however large
    the count); the tolerance applies as soon as either side is fractional (float, decimal).
    `max_rows`: cap on the rows fetched per query (None = all). Results cut by the cap are reported, never guessed.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    rtol: float = Field(default=1e-4, ge=0.0, lt=0.5)
    atol: float = Field(default=1e-9, ge=0.0)
    extra_columns: Literal["fail", "allow"] = "fail"
    empty_expected: Literal["needs_review", "pass"] = "needs_review"
    max_rows: int | None = Field(default=None, ge=1)
    exact_integers: bool = True


class Comparison(BaseModel):
    """The explained outcome of comparing an answer's result with the expected result."""

    verdict: Verdict
    reason: Reason
    details: str
    column_mapping: dict[int, int] = Field(default_factory=dict)  # expected column index -> actual column index
    expected_rows: int | None = None
    actual_rows: int | None = None
    expected_columns: list[str] = Field(default_factory=list)
    actual_columns: list[str] = Field(default_factory=list)
    order: OrderCheck = "none"  # how row order was checked
    notes: list[str] = Field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.verdict is Verdict.PASS

    @property
    def scored(self) -> bool:
        """Whether the question counts in pass / (pass + fail)."""
        return self.verdict in (Verdict.PASS, Verdict.FAIL)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (enum values as strings, mapping keys as strings)."""
        return self.model_dump(mode="json")

    def summary(self) -> str:
        return f"{self.verdict.value} ({self.reason.value}): {self.details}"
