"""score_benchmarks on a real DuckDB file, a real space and the real offline Genie: verdicts, scores, the expected
SQL cache under concurrency, Genie rate limits (retry and client-side throttle) and the train/holdout split."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from genie_enhance.backends.local.factory import open_local_backend
from genie_enhance.backends.local.offline_genie import OfflineGenie, simulator
from genie_enhance.benchmarks import Benchmark, BenchmarkSplit, split_benchmarks
from genie_enhance.core.progress import ProgressEvent, Stage
from genie_enhance.core.protocols import AnswerStatus, GenieAnswer, ResultSet
from genie_enhance.scoring.categories import FailureCategory, coarse_category
from genie_enhance.scoring.runner import ExpectedCache, score_benchmarks
from genie_enhance.scoring.verdicts import Reason, Verdict
from genie_enhance.sql import normalize_sql
from genie_enhance_tests.support.shops import MIXED, bench, build_scoring_shop


@pytest.fixture
def scoring_shop(tmp_path: Path):
    warehouse, space = build_scoring_shop(tmp_path)
    backend = open_local_backend(warehouse, space)
    yield backend
    backend.close()


class CountingWarehouse:
    """A real warehouse seen through a proxy that counts statements (and slows the expected ones down a little so
    concurrent workers really do ask for the same expected result at the same time)."""

    def __init__(self, inner, marker: str = "n_expected", delay_s: float = 0.05) -> None:
        self.inner, self.marker, self.delay_s = inner, marker, delay_s
        self.calls: Counter[str] = Counter()
        self._lock = threading.Lock()

    def execute(self, sql: str, limit: int | None = None) -> ResultSet:
        if self.marker in sql.lower():
            with self._lock:
                self.calls[normalize_sql(sql)] += 1
            time.sleep(self.delay_s)
        return self.inner.execute(sql, limit)

    def catalog(self, identifiers=None):
        return self.inner.catalog(identifiers)

    def distinct_values(self, identifier: str, column: str, limit: int = 1024) -> list[str]:
        return self.inner.distinct_values(identifier, column, limit)


class RecordingGenie:
    """The real offline Genie, with the time each question was asked and the answer's status recorded."""

    def __init__(self, inner: OfflineGenie) -> None:
        self.inner = inner
        self.log: list[tuple[float, AnswerStatus]] = []
        self._lock = threading.Lock()

        self.in_flight = self.max_in_flight = 0

    def ask(self, question: str) -> GenieAnswer:
        asked = time.monotonic()  # Genie admits (or refuses) a question when it is asked, not when it answers
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            answer = self.inner.ask(question)
        finally:
            with self._lock:
                self.in_flight -= 1
        with self._lock:
            self.log.append((asked, answer.status))
        return answer

    def admitted_times(self) -> list[float]:
        return sorted(t for t, status in self.log if status is AnswerStatus.COMPLETED)


def _max_in_window(stamps: list[float], window: float) -> int:
    return max((sum(1 for t in stamps[i:] if t < s + window) for i, s in enumerate(stamps)), default=0)


def test_verdicts_categories_and_scores(scoring_shop, capsys) -> None:
    events: list[ProgressEvent] = []
    report = score_benchmarks(MIXED, scoring_shop.genie, scoring_shop.warehouse, concurrency=4, progress=events.append)
    by_question = {q.question: q for q in report.questions}
    assert [q.id for q in report.questions] == [b.id for b in MIXED]  # benchmark order kept

    count = by_question["How many orders are there?"]
    assert (count.verdict, count.reason, count.category) == (Verdict.PASS, Reason.MATCH, None)
    assert count.generated_sql and "COUNT" in count.generated_sql.upper()
    assert by_question["What is the total amount by region?"].verdict is Verdict.PASS

    wrong = by_question["How many customers are there?"]
    assert (wrong.verdict, wrong.category) == (Verdict.FAIL, FailureCategory.WRONG_RESULT)
    assert wrong.reason is Reason.VALUE_DIFFERENCE and wrong.details

    mars = by_question["What is the weather on Mars?"]
    assert (mars.verdict, mars.reason, mars.category) == (Verdict.FAIL, Reason.NO_SQL, FailureCategory.NO_SQL_GENERATED)
    assert mars.generated_sql is None

    broken = by_question["How many orders were placed in 2023?"]
    assert (broken.verdict, broken.reason) == (Verdict.ERROR, Reason.EXPECTED_SQL_ERROR)
    assert "shipped_year" in broken.details
    assert broken.attempts == 0  # a broken benchmark is not worth a Genie call

    assert report.counts == {"pass": 2, "fail": 2, "error": 1, "needs_review": 0, "api_errors": 0, "total": 5}
    assert report.score.model_dump() == {"train": 0.5, "holdout": None, "all": 0.5}  # the error is not in the denominator
    assert report.genie_calls == 4
    assert all(q.role == "train" for q in report.questions)
    data = json.loads(json.dumps(report.to_dict()))
    assert data["questions"][3]["category"] == "no_sql_generated"
    assert data["counts"]["total"] == 5
    assert capsys.readouterr() == ("", "")  # the core prints nothing: progress goes to the callback
    assert [(e.stage, e.completed, e.total) for e in events] == [
        (Stage.START, 0, 5), *((Stage.ADVANCE, n, 5) for n in range(1, 6)), (Stage.DONE, 5, 5)]
    assert events[-1].passed == 2 and all(e.task == "score" for e in events)


def test_holdout_scores_are_reported_separately(scoring_shop) -> None:
    split = split_benchmarks(MIXED, holdout=0.4, seed=3)
    report = score_benchmarks(MIXED, scoring_shop.genie, scoring_shop.warehouse, split=split)
    assert report.holdout_ids == split.holdout_ids and len(split.holdout_ids) == 2
    for role in ("train", "holdout"):
        mine = [q for q in report.questions if q.role == role]
        assert [q.id for q in mine] == [b.id for b in getattr(split, role)]
        passed = sum(q.verdict is Verdict.PASS for q in mine)
        scored = sum(q.verdict in (Verdict.PASS, Verdict.FAIL) for q in mine)
        assert getattr(report.score, role) == (passed / scored if scored else None)

    # a split whose holdout holds only the broken benchmark has no holdout score at all
    only_broken = BenchmarkSplit(train=MIXED[:4], holdout=MIXED[4:], seed=0, fraction=0.2)
    report = score_benchmarks(MIXED, scoring_shop.genie, scoring_shop.warehouse, split=only_broken)
    assert report.score.holdout is None
    assert report.score.train == report.score.all == 0.5


def test_expected_sql_runs_once_per_config_version_under_concurrency(scoring_shop) -> None:
    distinct = [
        "SELECT COUNT(*) AS n_expected FROM shop.sales.orders",
        "SELECT SUM(amount) AS n_expected FROM shop.sales.orders",
        "SELECT region, COUNT(*) AS n_expected FROM shop.sales.orders GROUP BY region",
        "SELECT COUNT(*) AS n_expected FROM shop.sales.customers",
    ]
    variants = [" ".join(sql.lower().split()).replace("from", "\n  FROM") for sql in distinct]  # same after normalizing
    questions = [
        "How many orders are there?", "What is the total amount?", "How many orders per region?",
        "How many customers are there?", "Count the orders", "Total revenue", "Orders by region", "Count customers",
    ]
    benchmarks = [bench(q, sql, i) for i, (q, sql) in enumerate(zip(questions, distinct + variants), start=1)]
    counting = CountingWarehouse(scoring_shop.warehouse)
    cache = ExpectedCache()

    report = score_benchmarks(benchmarks, scoring_shop.genie, counting, concurrency=8, expected_cache=cache,
                              config_version="v1")
    assert report.counts["error"] == 0 and report.counts["total"] == 8
    assert len(counting.calls) == 4
    assert all(n == 1 for n in counting.calls.values()), counting.calls

    score_benchmarks(benchmarks, scoring_shop.genie, counting, concurrency=8, expected_cache=cache,
                     config_version="v1")
    assert sum(counting.calls.values()) == 4  # same config version: all from the cache

    score_benchmarks(benchmarks, scoring_shop.genie, counting, concurrency=8, expected_cache=cache,
                     config_version="v2")
    assert sorted(counting.calls.values()) == [2, 2, 2, 2]  # a new config version runs each one once more


def _threshold_benchmarks(n: int) -> list[Benchmark]:
    return [
        bench(f"How many orders have amount greater than {k}?",
              f"SELECT COUNT(*) FROM shop.sales.orders WHERE amount > {k}", i)
        for i, k in enumerate(range(10, 10 + 10 * n, 10), start=1)
    ]


def test_genie_rate_limit_is_retried_and_never_exceeded(scoring_shop, monkeypatch) -> None:
    # The offline Genie's limit is per sliding window; shrink the window from 60 s to 1 s to keep the test fast.
    monkeypatch.setattr(simulator, "WINDOW_S", 1.0)
    genie = RecordingGenie(OfflineGenie(scoring_shop.store.export()[0], scoring_shop.warehouse, max_per_minute=3))
    benchmarks = _threshold_benchmarks(8)
    report = score_benchmarks(benchmarks, genie, scoring_shop.warehouse, concurrency=4, retries=12, backoff_s=0.1)
    assert report.counts["api_errors"] == 0
    assert report.counts["pass"] == 8
    limited = sum(1 for _, status in genie.log if status is AnswerStatus.FAILED)
    assert limited > 0  # the limit was really hit …
    assert report.genie_calls == len(genie.log) == 8 + limited  # … and every refused question asked again
    assert sum(q.attempts for q in report.questions) == report.genie_calls
    assert _max_in_window(genie.admitted_times(), 1.0 - 0.02) <= 3


def test_client_throttle_keeps_below_the_genie_limit(scoring_shop, monkeypatch) -> None:
    monkeypatch.setattr(simulator, "WINDOW_S", 1.0)
    genie = RecordingGenie(OfflineGenie(scoring_shop.store.export()[0], scoring_shop.warehouse, max_per_minute=4))
    benchmarks = _threshold_benchmarks(6)
    started = time.monotonic()
    # 3 per second, under Genie's 4 per (shrunk) window
    report = score_benchmarks(benchmarks, genie, scoring_shop.warehouse, concurrency=6, rate_per_minute=180)
    assert time.monotonic() - started >= 5 / 3 - 0.05  # the bucket paced the six calls
    assert report.genie_calls == 6
    assert all(status is AnswerStatus.COMPLETED for _, status in genie.log)
    assert report.counts["pass"] == 6


def test_questions_in_flight_with_genie_never_exceed_concurrency(scoring_shop) -> None:
    genie = RecordingGenie(OfflineGenie(scoring_shop.store.export()[0], scoring_shop.warehouse, latency_ms=40))
    report = score_benchmarks(_threshold_benchmarks(12), genie, scoring_shop.warehouse, concurrency=3)
    assert report.counts["pass"] == 12
    assert genie.max_in_flight == 3  # bounded, and the bound is used


def test_service_failures_after_retries_are_counted_apart(scoring_shop) -> None:
    refusing = OfflineGenie(scoring_shop.store.export()[0], scoring_shop.warehouse, max_per_minute=0)  # refuses every question
    report = score_benchmarks(MIXED[:3], refusing, scoring_shop.warehouse, retries=2, backoff_s=0.01)
    assert report.counts == {"pass": 0, "fail": 0, "error": 0, "needs_review": 0, "api_errors": 3, "total": 3}
    assert report.score.model_dump() == {"train": None, "holdout": None, "all": None}
    assert report.genie_calls == 9  # first try + 2 retries each
    for q in report.questions:
        assert (q.verdict, q.category) == (Verdict.ERROR, FailureCategory.API_ERROR)
        assert q.genie_error and "RATE_LIMIT_EXCEEDED" in q.genie_error


def test_categories_cover_the_design_and_map_coarsely() -> None:
    names = {c.value for c in FailureCategory}
    assert {"missing_table", "missing_column", "wrong_join", "wrong_aggregation", "wrong_filter", "wrong_column",
            "semantic_difference", "no_sql_generated", "timeout", "api_error", "sql_error", "wrong_result"} <= names
    assert coarse_category(Verdict.PASS, Reason.MATCH) is None
    assert coarse_category(Verdict.NEEDS_REVIEW, Reason.EMPTY_EXPECTED) is None
    assert coarse_category(Verdict.FAIL, Reason.SQL_ERROR) is FailureCategory.SQL_ERROR
    assert coarse_category(Verdict.FAIL, Reason.NO_SQL) is FailureCategory.NO_SQL_GENERATED
    assert coarse_category(Verdict.FAIL, Reason.EXTRA_COLUMNS) is FailureCategory.WRONG_RESULT
    assert FailureCategory.TIMEOUT.is_service_failure and not FailureCategory.SQL_ERROR.is_service_failure
