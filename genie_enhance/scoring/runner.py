"""Score a space: ask every benchmark question through the `Genie` protocol and compare result sets.

Why this shape: Genie answers take seconds and the service allows only a few questions per minute, so questions
run on a bounded thread pool behind a token bucket, and throttled answers are retried with backoff instead of
counting as wrong. The expected SQL of a benchmark does not depend on Genie, so it runs once per config version
(`ExpectedCache`), even when several workers need it at the same moment. A service failure says nothing about
the space, so it is reported apart (`counts.api_errors`) and left out of the score, like a broken benchmark —
whether Genie failed to answer or the warehouse failed (`ServiceError`) to run the expected or generated SQL.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from typing import Any, Literal

from pydantic import BaseModel, Field
from tenacity import Retrying, retry_if_result, stop_after_attempt, wait_exponential_jitter

from genie_enhance.benchmarks import Benchmark, BenchmarkSplit
from genie_enhance.core.progress import ProgressCallback, ProgressEvent, Stage, emit
from genie_enhance.core.protocols import AnswerStatus, Genie, GenieAnswer, Warehouse
from genie_enhance.core.ratelimit import TokenBucket
from genie_enhance.core.required import required
from genie_enhance.errors import ServiceError
from genie_enhance.scoring.categories import FailureCategory, coarse_category, service_failure_category
from genie_enhance.scoring.compare_sql import SQL_ERRORS, compare_actual, expected_error
from genie_enhance.scoring.expected import ExpectedResult, expected_cache_key, run_expected
from genie_enhance.scoring.verdicts import CompareOptions, Reason, Verdict

Role = Literal["train", "holdout"]


class ExpectedCache:
    """Expected results keyed by (config version, normalized SQL + fetch options); each key is computed once.

    Concurrent callers of a key being computed wait for the first caller's result instead of running the SQL
    again. A failure (the benchmark's SQL is broken) is cached too: it fails the same way every time. A service
    failure is not: the warehouse may answer the next caller.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[tuple[str, str], Future[ExpectedResult]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, warehouse: Warehouse, sql: str, options: CompareOptions, config_version: str = "") -> ExpectedResult:
        key = (config_version, expected_cache_key(sql, options))
        with self._lock:
            found = self._entries.get(key)
            entry = found if found is not None else self._entries.setdefault(key, Future())
        if found is None:  # this caller runs the SQL
            try:
                entry.set_result(run_expected(warehouse, sql, options))
            except Exception as exc:  # cached and re-raised to every caller of this key
                entry.set_exception(exc)
                if isinstance(exc, ServiceError):
                    with self._lock:
                        self._entries.pop(key, None)
        return entry.result()


class QuestionResult(BaseModel):
    """How one benchmark question scored."""

    id: str
    question: str
    role: Role
    label: str | None = None  # the user's name for the question (a non-hex id in the benchmark file)
    expected_sql: str
    generated_sql: str | None = None
    verdict: Verdict
    reason: Reason | None = None
    category: FailureCategory | None = None
    details: str | None = None
    latency_s: float = 0.0
    genie_error: str | None = None
    genie_text: str | None = None  # Genie's prose (the only answer when it generated no SQL)
    attempts: int = 0

    @property
    def is_service_failure(self) -> bool:
        return self.category is not None and self.category.is_service_failure


class Scores(BaseModel):
    """Train / holdout / all scores (fractions in [0, 1]; None when that split has nothing scorable)."""

    train: float | None = None
    holdout: float | None = None
    all: float | None = None

    @classmethod
    def of(cls, results: Sequence[QuestionResult]) -> Scores:
        return cls(train=score_of([r for r in results if r.role == "train"]),
                   holdout=score_of([r for r in results if r.role == "holdout"]), all=score_of(results))


class ScoreReport(BaseModel):
    """Per-question results, scores for train/holdout/all, counts and cost of one scoring run."""

    questions: list[QuestionResult]
    score: Scores
    counts: dict[str, int]
    genie_calls: int = 0
    wall_s: float = 0.0
    config_version: str = ""
    holdout_ids: list[str] = Field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def failures(self) -> list[QuestionResult]:
        """Every question that did not pass, in benchmark order."""
        return [q for q in self.questions if q.verdict != Verdict.PASS]


def score_of(results: Sequence[QuestionResult]) -> float | None:
    """pass / (pass + fail); None when nothing was scorable."""
    passed = sum(1 for r in results if r.verdict == Verdict.PASS)
    failed = sum(1 for r in results if r.verdict == Verdict.FAIL)
    return passed / (passed + failed) if passed + failed else None


def count_results(results: Sequence[QuestionResult]) -> dict[str, int]:
    """Disjoint counts that add up to `total`: `api_errors` are service failures (API errors and timeouts after
    retries), `error` the broken benchmarks (expected SQL failed); neither is in the score's denominator."""
    api_errors = sum(1 for r in results if r.is_service_failure)
    return {
        "pass": sum(1 for r in results if r.verdict == Verdict.PASS),
        "fail": sum(1 for r in results if r.verdict == Verdict.FAIL),
        "error": sum(1 for r in results if r.verdict == Verdict.ERROR) - api_errors,
        "needs_review": sum(1 for r in results if r.verdict == Verdict.NEEDS_REVIEW),
        "api_errors": api_errors,
        "total": len(results),
    }


class _Scorer:
    """One scoring run's shared state: genie, warehouse, throttle, retry policy and the call counter."""

    def __init__(
        self,
        genie: Genie,
        warehouse: Warehouse,
        *,
        split: BenchmarkSplit | None,
        bucket: TokenBucket | None,
        options: CompareOptions,
        cache: ExpectedCache,
        config_version: str,
        retries: int,
        backoff_s: float,
        concurrency: int,
    ) -> None:
        self.genie, self.warehouse, self.split, self.bucket = genie, warehouse, split, bucket
        self.options, self.cache, self.config_version = options, cache, config_version
        self.retries, self.backoff_s = retries, backoff_s
        self.genie_slots = threading.BoundedSemaphore(concurrency)  # questions in flight with Genie
        self.genie_calls = 0
        self._calls_lock = threading.Lock()

    def score(self, bench: Benchmark) -> QuestionResult:
        base: dict[str, Any] = {
            "id": bench.id,
            "question": bench.question,
            "label": bench.label,
            "role": self.split.role(bench.id) if self.split is not None else "train",
            "expected_sql": bench.expected_sql,
        }
        try:
            expected = self.cache.get(self.warehouse, bench.expected_sql, self.options, self.config_version)
        except SQL_ERRORS as exc:  # a broken benchmark: verdict error, Genie is not even asked
            broken = expected_error(exc)
            return QuestionResult(**base, verdict=broken.verdict, reason=broken.reason, details=broken.details)
        except ServiceError as exc:
            return _warehouse_failure(base, exc, "expected")
        answer, attempts = self.ask(bench.question)
        base.update(generated_sql=answer.sql, genie_text=answer.text, latency_s=answer.latency_s, attempts=attempts)
        service = service_failure_category(answer.status)
        if service is not None:
            error = f"{answer.error_type}: {answer.error}" if answer.error_type else (answer.error or answer.status.value)
            return QuestionResult(**base, verdict=Verdict.ERROR, category=service, genie_error=error, details=error)
        try:
            comparison = compare_actual(self.warehouse, expected, answer.sql, self.options)
        except ServiceError as exc:
            return _warehouse_failure(base, exc, "generated")
        return QuestionResult(
            **base,
            verdict=comparison.verdict,
            reason=comparison.reason,
            category=coarse_category(comparison.verdict, comparison.reason),
            details=comparison.details,
            genie_error=answer.error,
        )

    def ask(self, question: str) -> tuple[GenieAnswer, int]:
        """Genie's final answer after retrying retryable failures with exponential backoff, and the attempts made."""
        attempts = 0

        def attempt() -> GenieAnswer:
            nonlocal attempts
            with self.genie_slots:  # held per attempt: a backoff sleep does not block a slot
                if self.bucket is not None:
                    self.bucket.acquire()
                attempts += 1
                with self._calls_lock:
                    self.genie_calls += 1
                return self._ask_once(question)

        retrying = Retrying(
            stop=stop_after_attempt(self.retries + 1),
            wait=wait_exponential_jitter(multiplier=self.backoff_s, max=60.0, jitter=self.backoff_s),
            retry=retry_if_result(lambda answer: answer.retryable),
            retry_error_callback=lambda state: required(state.outcome, "the last attempt").result(),
        )
        return retrying(attempt), attempts

    def _ask_once(self, question: str) -> GenieAnswer:
        started = time.perf_counter()
        try:
            answer = self.genie.ask(question)
        except Exception as exc:  # a backend crash on one question must not abort the whole run
            answer = GenieAnswer(question, status=AnswerStatus.FAILED, error=str(exc), error_type=type(exc).__name__)
        if not answer.latency_s:
            answer.latency_s = time.perf_counter() - started
        return answer


def _warehouse_failure(base: dict[str, Any], exc: ServiceError, which: str) -> QuestionResult:
    """The warehouse service failed running the expected or generated SQL: an `api_error`, not a wrong answer
    (nor a broken benchmark). A fatal one (credentials) aborts the run: every other question would fail alike."""
    if exc.fatal:
        raise exc
    details = f"the warehouse failed to run the {which} SQL (a service failure, not a wrong answer): {exc}"
    return QuestionResult(**base, verdict=Verdict.ERROR, category=FailureCategory.API_ERROR, details=details)


def score_benchmarks(
    benchmarks: Sequence[Benchmark],
    genie: Genie,
    warehouse: Warehouse,
    *,
    split: BenchmarkSplit | None = None,
    concurrency: int = 8,
    rate_per_minute: float | None = None,
    options: CompareOptions | None = None,
    expected_cache: ExpectedCache | None = None,
    config_version: str = "",
    progress: ProgressCallback | None = None,
    retries: int = 3,
    backoff_s: float = 1.0,
) -> ScoreReport:
    """Ask every benchmark question (at most `concurrency` at once, at most `rate_per_minute` Genie calls per
    minute), compare each answer with the expected result, and report scores for train, holdout and all.

    Without a `split` every question is a train question. `retries` is how many times a retryable failure
    (rate limit) is asked again, waiting `backoff_s`, then twice as long, … (plus jitter). `progress` receives a
    `score` task: its start, one event per answered question (with the passes so far), its end.
    """
    if concurrency < 1:
        raise ValueError(f"concurrency must be at least 1, got {concurrency}")
    scorer = _Scorer(
        genie,
        warehouse,
        split=split,
        bucket=TokenBucket(rate_per_minute) if rate_per_minute else None,
        options=options or CompareOptions(),
        cache=expected_cache if expected_cache is not None else ExpectedCache(),
        config_version=config_version,
        retries=retries,
        backoff_s=backoff_s,
        concurrency=concurrency,
    )
    started = time.perf_counter()
    results = _run_all(list(benchmarks), scorer, concurrency, progress)
    return ScoreReport(
        questions=results,
        score=Scores.of(results),
        counts=count_results(results),
        genie_calls=scorer.genie_calls,
        wall_s=round(time.perf_counter() - started, 3),
        config_version=config_version,
        holdout_ids=split.holdout_ids if split is not None else [],
    )


def _run_all(benchmarks: list[Benchmark], scorer: _Scorer, concurrency: int,
             progress: ProgressCallback | None) -> list[QuestionResult]:
    """Results in benchmark order, computed on a thread pool; progress events from this (the calling) thread."""
    results: list[QuestionResult | None] = [None] * len(benchmarks)
    total = len(benchmarks)
    # Twice as many workers as Genie slots: while `concurrency` questions wait on Genie, the other workers run
    # the expected SQL and compare results, so a Genie slot is never held for our own SQL work.
    with ThreadPoolExecutor(max_workers=2 * concurrency, thread_name_prefix="score") as pool:
        emit(progress, ProgressEvent("score", Stage.START, total=total))
        futures = {pool.submit(scorer.score, bench): i for i, bench in enumerate(benchmarks)}
        completed = passed = 0
        try:
            for future in as_completed(futures):
                result = results[futures[future]] = future.result()
                completed += 1
                passed += result.verdict == Verdict.PASS
                emit(progress, ProgressEvent("score", Stage.ADVANCE, completed, total, passed))
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)  # a bug or Ctrl-C: do not ask the remaining questions
            raise
        finally:
            emit(progress, ProgressEvent("score", Stage.DONE, completed, total, passed))
    return [r for r in results if r is not None]
