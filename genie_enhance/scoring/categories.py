"""Failure categories: why a benchmark question was not answered correctly.

Scoring assigns a coarse category from the verdict alone (`sql_error`, `wrong_result`, …); diagnosis later refines
`wrong_result`/`sql_error` into the fine ones (missing table, wrong join, …) by diffing the SQL ASTs. Service
failures (`api_error`, `timeout`) are kept apart because they say nothing about the space's quality.
"""

from __future__ import annotations

from enum import Enum

from genie_enhance.core.protocols import AnswerStatus


class FailureCategory(str, Enum):
    # fine categories (diagnosis, from the expected vs generated SQL)
    MISSING_TABLE = "missing_table"
    MISSING_COLUMN = "missing_column"
    WRONG_JOIN = "wrong_join"
    WRONG_AGGREGATION = "wrong_aggregation"
    WRONG_FILTER = "wrong_filter"
    WRONG_COLUMN = "wrong_column"
    SEMANTIC_DIFFERENCE = "semantic_difference"
    # categories known from the answer alone
    NO_SQL_GENERATED = "no_sql_generated"
    TIMEOUT = "timeout"
    API_ERROR = "api_error"
    # coarse categories (scoring), refined by diagnosis
    SQL_ERROR = "sql_error"
    WRONG_RESULT = "wrong_result"

    @property
    def is_service_failure(self) -> bool:
        """The service failed to answer: not the space's fault, so not a wrong answer."""
        return self in SERVICE_FAILURES

    @property
    def is_coarse(self) -> bool:
        """A category diagnosis still has to refine."""
        return self in (FailureCategory.SQL_ERROR, FailureCategory.WRONG_RESULT)


SERVICE_FAILURES = frozenset({FailureCategory.API_ERROR, FailureCategory.TIMEOUT})


def service_failure_category(status: AnswerStatus) -> FailureCategory | None:
    """The category of an answer the service did not complete (None for a completed answer)."""
    if status is AnswerStatus.COMPLETED:
        return None
    if status is AnswerStatus.TIMEOUT:
        return FailureCategory.TIMEOUT
    return FailureCategory.API_ERROR


def coarse_category(verdict: str, reason: str | None) -> FailureCategory | None:
    """The category of a compared answer: None unless the verdict is `fail`."""
    if verdict != "fail":
        return None
    if reason == "no_sql":
        return FailureCategory.NO_SQL_GENERATED
    if reason == "sql_error":
        return FailureCategory.SQL_ERROR
    return FailureCategory.WRONG_RESULT
