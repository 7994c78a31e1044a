"""Genie's benchmark evaluation API, emulated: eval runs over a space's own `benchmarks.questions`.

Each question is answered by the offline Genie and graded the way our scorer compares results (expected vs
generated SQL on the DuckDB file), then expressed in Genie's terms: assessment GOOD/BAD/NEEDS_REVIEW and
`ScoreReason` codes. The emulator has no LLM judge, so an answer without SQL or with failing SQL gets a fixed
LLM_JUDGE_* reason. A run is graded when it is created and revealed as the client polls it (RUNNING, then DONE);
a question the offline Genie could not answer ends EVALUATION_FAILED without an assessment.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from genie_enhance.backends.local.offline_genie import OfflineGenie
from genie_enhance.core.protocols import AnswerStatus, Warehouse
from genie_enhance.emulator.errors import bad_request, not_found
from genie_enhance.emulator.state import new_id, now_ms
from genie_enhance.scoring.compare_sql import compare_sql
from genie_enhance.scoring.verdicts import Comparison, Reason, Verdict
from genie_enhance.space.lines import join_lines
from genie_enhance.space.model import BenchmarkQuestion, SerializedSpace

RUN_STEPS = ("RUNNING", "RUNNING", "DONE")  # the run's status on creation, first poll, second poll …
USER_ID = 4242
FAIL_REASONS = {
    Reason.MISSING_ROWS: ["RESULT_MISSING_ROWS"],
    Reason.EXTRA_ROWS: ["RESULT_EXTRA_ROWS"],
    Reason.MISSING_COLUMNS: ["RESULT_MISSING_COLUMNS"],
    Reason.EXTRA_COLUMNS: ["RESULT_EXTRA_COLUMNS"],
    Reason.TYPE_DIFFERENCE: ["COLUMN_TYPE_DIFFERENCE"],
    Reason.EMPTY_RESULT: ["EMPTY_RESULT"],
    Reason.WRONG_ORDER: ["LLM_JUDGE_FORMATTING_ERROR"],
    Reason.SQL_ERROR: ["LLM_JUDGE_OTHER"],
    Reason.NO_SQL: ["LLM_JUDGE_MISINTERPRETATION_OF_USER_REQUEST"],
}


def grade(comparison: Comparison) -> tuple[str, list[str]]:
    """Our comparison as Genie's assessment and reasons."""
    if comparison.verdict is Verdict.PASS:
        return "GOOD", []
    if comparison.verdict is not Verdict.FAIL:  # needs review, truncated, or a broken benchmark
        return "NEEDS_REVIEW", ["EMPTY_GOOD_SQL"] if comparison.reason is Reason.EMPTY_EXPECTED else []
    if comparison.reason is Reason.VALUE_DIFFERENCE:
        single = comparison.expected_rows == 1 and len(comparison.expected_columns) == 1
        return "BAD", ["SINGLE_CELL_DIFFERENCE"] if single else ["RESULT_MISSING_ROWS", "RESULT_EXTRA_ROWS"]
    return "BAD", FAIL_REASONS.get(comparison.reason, ["LLM_JUDGE_OTHER"])


@dataclass
class EvalResultRecord:
    result_id: str
    space_id: str
    question_id: str
    question: str
    expected_sql: str
    status: str  # DONE or EVALUATION_FAILED
    assessment: str | None = None
    reasons: list[str] = field(default_factory=list)
    actual: list[dict[str, Any]] = field(default_factory=list)

    def summary(self, run_status: str) -> dict[str, Any]:
        return {"result_id": self.result_id, "space_id": self.space_id, "benchmark_question_id": self.question_id,
                "question": self.question, "benchmark_answer": self.expected_sql, "created_by_user": USER_ID,
                "status": self.status if run_status == "DONE" else run_status}

    def details(self, run_status: str) -> dict[str, Any]:
        out: dict[str, Any] = {
            "result_id": self.result_id, "space_id": self.space_id, "benchmark_question_id": self.question_id,
            "eval_run_status": run_status, "manual_assessment": False,
            "expected_response": [{"response": self.expected_sql, "response_type": "SQL"}],
        }
        if run_status == "DONE":
            out["actual_response"] = self.actual
            if self.assessment is not None:
                out["assessment"], out["assessment_reasons"] = self.assessment, self.reasons
        return out


@dataclass
class EvalRunRecord:
    eval_run_id: str
    space_id: str
    results: list[EvalResultRecord]
    created_ms: int = field(default_factory=now_ms)
    updated_ms: int = field(default_factory=now_ms)
    polls: int = 0

    def status(self) -> str:
        return RUN_STEPS[min(self.polls, len(RUN_STEPS) - 1)]

    def to_api(self) -> dict[str, Any]:
        done = self.status() == "DONE"
        graded = [r for r in self.results if r.status == "DONE"] if done else []
        return {
            "eval_run_id": self.eval_run_id, "eval_run_status": self.status(), "num_questions": len(self.results),
            "num_done": len(self.results) if done else 0,
            "num_correct": sum(r.assessment == "GOOD" for r in graded),
            "num_needs_review": sum(r.assessment == "NEEDS_REVIEW" for r in graded),
            "created_timestamp": self.created_ms, "last_updated_timestamp": self.updated_ms, "run_by_user": USER_ID,
        }


class EvalRuns:
    """Eval runs of every space; `space_of` and `genie_of` come from the workspace (spaces, offline Genies)."""

    def __init__(self, space_of: Callable[[str], SerializedSpace], genie_of: Callable[[str], OfflineGenie],
                 warehouse: Warehouse) -> None:
        self._space_of, self._genie_of, self._warehouse = space_of, genie_of, warehouse
        self._runs: dict[str, EvalRunRecord] = {}
        self._lock = threading.Lock()

    def create(self, space_id: str, body: dict[str, Any]) -> dict[str, Any]:
        questions = self._questions(space_id, body.get("benchmark_question_ids"))
        results = [self._evaluate(space_id, q) for q in questions]
        run = EvalRunRecord(new_id(), space_id, results)
        with self._lock:
            self._runs[run.eval_run_id] = run
        return run.to_api()

    def _questions(self, space_id: str, wanted: Any) -> list[BenchmarkQuestion]:
        questions = list(self._space_of(space_id).benchmarks.questions)
        if not questions:
            raise bad_request(f"Genie space {space_id} has no benchmark questions to evaluate")
        if wanted is None:
            return questions
        if not isinstance(wanted, list) or not all(isinstance(i, str) for i in wanted):
            raise bad_request("benchmark_question_ids must be a list of strings")
        by_id = {q.id: q for q in questions}
        unknown = [i for i in wanted if i not in by_id]
        if unknown:
            raise bad_request(f"benchmark questions do not exist in space {space_id}: {', '.join(unknown)}")
        return [by_id[i] for i in dict.fromkeys(wanted)]

    def _evaluate(self, space_id: str, question: BenchmarkQuestion) -> EvalResultRecord:
        text = join_lines(question.question).strip()
        answer = question.answer[0] if question.answer else None
        expected = join_lines(answer.content) if answer is not None and (answer.format or "").upper() == "SQL" else ""
        record = EvalResultRecord(new_id(), space_id, question.id or "", text, expected, status="DONE")
        reply = self._genie_of(space_id).ask(text)
        if reply.status is not AnswerStatus.COMPLETED:
            record.status = "EVALUATION_FAILED"
            return record
        record.actual = [{"response": reply.sql, "response_type": "SQL"} if reply.sql
                         else {"response": reply.text or "", "response_type": "TEXT"}]
        if not expected:
            record.assessment = "NEEDS_REVIEW"  # no SQL answer to compare with: manual review, as on the service
            return record
        record.assessment, record.reasons = grade(compare_sql(self._warehouse, expected, reply.sql))
        return record

    def run(self, space_id: str, eval_run_id: str, *, poll: bool = False) -> EvalRunRecord:
        with self._lock:
            run = self._runs.get(eval_run_id)
            if run is None or run.space_id != space_id:
                raise not_found(f"evaluation run {eval_run_id} does not exist in space {space_id}")
            if poll and run.polls < len(RUN_STEPS) - 1:
                run.polls += 1
                run.updated_ms = now_ms()
            return run

    def get(self, space_id: str, eval_run_id: str) -> dict[str, Any]:
        return self.run(space_id, eval_run_id, poll=True).to_api()

    def list_runs(self, space_id: str, query: dict[str, str]) -> dict[str, Any]:
        with self._lock:
            runs = [r for r in self._runs.values() if r.space_id == space_id]
        page, token = _page(runs, query)
        return {"eval_runs": [r.to_api() for r in page], **({"next_page_token": token} if token else {})}

    def list_results(self, space_id: str, eval_run_id: str, query: dict[str, str]) -> dict[str, Any]:
        run = self.run(space_id, eval_run_id)
        page, token = _page(run.results, query)
        status = run.status()
        return {"eval_results": [r.summary(status) for r in page], **({"next_page_token": token} if token else {})}

    def result(self, space_id: str, eval_run_id: str, result_id: str) -> dict[str, Any]:
        run = self.run(space_id, eval_run_id)
        found = next((r for r in run.results if r.result_id == result_id), None)
        if found is None:
            raise not_found(f"evaluation result {result_id} does not exist in run {eval_run_id}")
        return found.details(run.status())


def _page(items: list[Any], query: dict[str, str]) -> tuple[list[Any], str | None]:
    """One page of `items` (`page_size`, default 20; `page_token` = the offset we handed out)."""
    try:
        size = int(query.get("page_size") or 20)
        start = int(query.get("page_token") or 0)
    except ValueError:
        raise bad_request("page_size and page_token must be integers") from None
    if size < 1 or start < 0:
        raise bad_request("page_size must be >= 1 and page_token >= 0")
    end = start + size
    return items[start:end], (str(end) if end < len(items) else None)
