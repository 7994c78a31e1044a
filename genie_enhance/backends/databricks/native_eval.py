"""Genie's own benchmark evaluation (`w.genie.genie_create_eval_run` and friends, Beta) mapped onto our verdicts.

Why: for a space whose benchmarks live in the space (`benchmarks.questions`), Genie can grade its answers itself.
Showing its grades beside our result comparison tells a user how far the two agree, and where they do not, which
side to look at. The mapping:

* assessment GOOD → `pass`; BAD → `fail`; NEEDS_REVIEW (or no assessment yet) → `needs_review`;
* a result whose evaluation did not finish (EVALUATION_FAILED/CANCELLED/TIMEOUT) → `error`, category `api_error`:
  the service failed, which says nothing about the space (never a wrong answer);
* deterministic reasons (RESULT_MISSING_ROWS, SINGLE_CELL_DIFFERENCE, …) → our reason codes; LLM-judge reasons
  (LLM_JUDGE_MISSING_OR_INCORRECT_JOIN, …) → our fine failure categories; an answer without SQL → `no_sql`.

The run is polled with our own loop (a deadline, backoff) like messages are; results are paged through.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from functools import partial
from typing import TypeVar

from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import DatabricksError
from databricks.sdk.service.dashboards import (
    EvaluationStatusType,
    GenieEvalAssessment,
    GenieEvalResponseType,
    GenieEvalResultDetails,
    GenieEvalRunResponse,
    ScoreReason,
)
from pydantic import BaseModel, Field

from genie_enhance.backends.databricks.client import workspace_host
from genie_enhance.backends.databricks.errors import DatabricksBackendError, backend_error
from genie_enhance.scoring.categories import FailureCategory, coarse_category
from genie_enhance.scoring.verdicts import Reason, Verdict

S = ScoreReason
F = FailureCategory
RUNNING = frozenset({EvaluationStatusType.NOT_STARTED, EvaluationStatusType.RUNNING})
FAILED = frozenset({EvaluationStatusType.EVALUATION_FAILED, EvaluationStatusType.EVALUATION_CANCELLED,
                    EvaluationStatusType.EVALUATION_TIMEOUT})
ASSESSMENTS = {
    GenieEvalAssessment.GOOD: Verdict.PASS,
    GenieEvalAssessment.BAD: Verdict.FAIL,
    GenieEvalAssessment.NEEDS_REVIEW: Verdict.NEEDS_REVIEW,
}
# Deterministic reasons, in the order they explain a failure best.
REASONS = {
    S.RESULT_MISSING_COLUMNS: Reason.MISSING_COLUMNS,
    S.RESULT_EXTRA_COLUMNS: Reason.EXTRA_COLUMNS,
    S.EMPTY_RESULT: Reason.EMPTY_RESULT,
    S.RESULT_MISSING_ROWS: Reason.MISSING_ROWS,
    S.RESULT_EXTRA_ROWS: Reason.EXTRA_ROWS,
    S.SINGLE_CELL_DIFFERENCE: Reason.VALUE_DIFFERENCE,
    S.COLUMN_TYPE_DIFFERENCE: Reason.TYPE_DIFFERENCE,
    S.EMPTY_GOOD_SQL: Reason.EMPTY_EXPECTED,
}
JUDGE_CATEGORIES = {
    S.LLM_JUDGE_MISSING_OR_INCORRECT_JOIN: F.WRONG_JOIN,
    S.LLM_JUDGE_MISSING_JOIN: F.WRONG_JOIN,
    S.LLM_JUDGE_MISSING_OR_INCORRECT_FILTER: F.WRONG_FILTER,
    S.LLM_JUDGE_WRONG_FILTER: F.WRONG_FILTER,
    S.LLM_JUDGE_MISSING_OR_INCORRECT_AGGREGATION: F.WRONG_AGGREGATION,
    S.LLM_JUDGE_WRONG_AGGREGATION: F.WRONG_AGGREGATION,
    S.LLM_JUDGE_INCORRECT_METRIC_CALCULATION: F.WRONG_AGGREGATION,
    S.LLM_JUDGE_INCORRECT_TABLE_OR_FIELD_USAGE: F.WRONG_COLUMN,
    S.LLM_JUDGE_WRONG_COLUMNS: F.WRONG_COLUMN,
    S.LLM_JUDGE_INCOMPLETE_OR_PARTIAL_OUTPUT: F.WRONG_COLUMN,
    S.LLM_JUDGE_SYNTAX_ERROR: F.SQL_ERROR,
    S.LLM_JUDGE_INCORRECT_FUNCTION_USAGE: F.SEMANTIC_DIFFERENCE,
    S.LLM_JUDGE_MISINTERPRETATION_OF_USER_REQUEST: F.SEMANTIC_DIFFERENCE,
    S.LLM_JUDGE_INSTRUCTION_COMPLIANCE_OR_MISSING_BUSINESS_LOGIC: F.SEMANTIC_DIFFERENCE,
    S.LLM_JUDGE_FORMATTING_ERROR: F.SEMANTIC_DIFFERENCE,
    S.LLM_JUDGE_SEMANTIC_ERROR: F.SEMANTIC_DIFFERENCE,
    S.LLM_JUDGE_OTHER: F.SEMANTIC_DIFFERENCE,
}
PAGE_SIZE = 100
SDK_ERRORS = (DatabricksError, TimeoutError, OSError)
T = TypeVar("T")


class NativeVerdict(BaseModel):
    """Genie's grade of one benchmark question, in our terms (plus its own words)."""

    question_id: str
    question: str | None = None
    verdict: Verdict
    reason: Reason | None = None
    category: FailureCategory | None = None
    assessment: str | None = None  # GOOD | BAD | NEEDS_REVIEW as Genie said it
    assessment_reasons: list[str] = Field(default_factory=list)
    status: str | None = None  # the result's evaluation status (DONE, EVALUATION_FAILED, …)
    generated_sql: str | None = None
    manual: bool = False


class NativeEvalRun(BaseModel):
    """A finished (or abandoned) evaluation run and its per-question verdicts."""

    eval_run_id: str
    status: str
    num_questions: int = 0
    num_correct: int = 0
    num_needs_review: int = 0
    results: list[NativeVerdict] = Field(default_factory=list)

    @property
    def score(self) -> float | None:
        """pass / (pass + fail), as our own score counts."""
        passed = sum(r.verdict is Verdict.PASS for r in self.results)
        failed = sum(r.verdict is Verdict.FAIL for r in self.results)
        return passed / (passed + failed) if passed + failed else None


def _generated_sql(details: GenieEvalResultDetails) -> str | None:
    """Genie's SQL: its first SQL response (None when it answered with text only, or not at all)."""
    for response in details.actual_response or []:
        if response.response_type is GenieEvalResponseType.SQL and response.response:
            return response.response
    return None


def native_verdict(details: GenieEvalResultDetails, status: EvaluationStatusType | None = None,
                   question: str | None = None) -> NativeVerdict:
    """Map one result onto our verdict, reason code and failure category (see the module docstring); `status` is
    the result's own evaluation status (from the results list), else the run's status in the details is used."""
    reasons = list(details.assessment_reasons or [])
    sql = _generated_sql(details)
    status = status or details.eval_run_status
    base = dict(
        question_id=details.benchmark_question_id, question=question, generated_sql=sql,
        assessment=details.assessment.value if details.assessment else None,
        assessment_reasons=[r.value for r in reasons], status=status.value if status else None,
        manual=bool(details.manual_assessment),
    )
    if details.assessment is None and status in FAILED:
        return NativeVerdict(**base, verdict=Verdict.ERROR, category=F.API_ERROR)
    verdict = ASSESSMENTS.get(details.assessment, Verdict.NEEDS_REVIEW) if details.assessment else Verdict.NEEDS_REVIEW
    if verdict is Verdict.PASS:
        return NativeVerdict(**base, verdict=verdict, reason=Reason.MATCH)
    reason = next((REASONS[r] for r in REASONS if r in reasons), None)
    if verdict is Verdict.NEEDS_REVIEW:
        return NativeVerdict(**base, verdict=verdict, reason=reason)
    if sql is None:
        reason = Reason.NO_SQL
    category = next((JUDGE_CATEGORIES[r] for r in reasons if r in JUDGE_CATEGORIES), None)
    if category is None or reason is Reason.NO_SQL:
        category = coarse_category(verdict.value, reason.value if reason else None)
    return NativeVerdict(**base, verdict=verdict, reason=reason, category=category)


class NativeEvaluator:
    """Runs Genie's benchmark evaluation on one space and collects the graded results."""

    def __init__(self, w: WorkspaceClient, space_id: str, *, poll_interval_s: float = 2.0,
                 max_poll_interval_s: float = 15.0, timeout_s: float = 1800.0) -> None:
        self.w = w
        self.space_id = space_id
        self.poll_interval_s = poll_interval_s
        self.max_poll_interval_s = max(max_poll_interval_s, poll_interval_s)
        self.timeout_s = timeout_s

    def run(self, question_ids: Sequence[str] | None = None) -> NativeEvalRun:
        """Evaluate the given benchmark questions of the space (None: all of them) and wait for the grades."""
        ids = list(question_ids) if question_ids is not None else None
        run = self._call("start a benchmark evaluation run",
                         lambda: self.w.genie.genie_create_eval_run(self.space_id, benchmark_question_ids=ids))
        run = self._wait(run)
        results = self._results(run.eval_run_id) if run.eval_run_status is EvaluationStatusType.DONE else []
        return NativeEvalRun(
            eval_run_id=run.eval_run_id, status=run.eval_run_status.value if run.eval_run_status else "UNKNOWN",
            num_questions=run.num_questions or 0, num_correct=run.num_correct or 0,
            num_needs_review=run.num_needs_review or 0, results=results,
        )

    def _wait(self, run: GenieEvalRunResponse) -> GenieEvalRunResponse:
        deadline = time.monotonic() + self.timeout_s
        interval = self.poll_interval_s
        while run.eval_run_status is None or run.eval_run_status in RUNNING:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise DatabricksBackendError(
                    f"benchmark evaluation run {run.eval_run_id} of space {self.space_id} did not finish within "
                    f"{self.timeout_s:g}s ({run.num_done or 0}/{run.num_questions or '?'} done)",
                    error_type="EVALUATION_TIMEOUT", retryable=True,
                )
            time.sleep(min(interval, remaining))
            interval = min(interval * 1.5, self.max_poll_interval_s)
            run = self._call(f"poll evaluation run {run.eval_run_id}",
                             partial(self.w.genie.genie_get_eval_run, self.space_id, run.eval_run_id))
        return run

    def _results(self, eval_run_id: str) -> list[NativeVerdict]:
        verdicts, token, genie = [], None, self.w.genie
        while True:
            page = self._call(f"list results of evaluation run {eval_run_id}",
                              partial(genie.genie_list_eval_results, self.space_id, eval_run_id, page_size=PAGE_SIZE,
                                      page_token=token))
            for result in page.eval_results or []:
                rid = result.result_id
                details = self._call(f"read evaluation result {rid}",
                                     partial(genie.genie_get_eval_result_details, self.space_id, eval_run_id, rid))
                verdicts.append(native_verdict(details, result.status, result.question))
            token = page.next_page_token
            if not token:
                return verdicts

    def _call(self, action: str, call: Callable[[], T]) -> T:
        try:
            return call()
        except SDK_ERRORS as exc:
            raise backend_error(exc, f"{action} (space {self.space_id})", workspace_host(self.w)) from exc
