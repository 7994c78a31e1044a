"""A warehouse that fails as a service (HTTP 500 from the Statement Execution API, through the real databricks-sdk
to the emulator) while running a benchmark's SQL is an `api_error`: never a wrong answer, never a broken
benchmark, never cached, and it does not abort the scoring run. Bad credentials still stop the run."""

from __future__ import annotations

import pytest

from genie_enhance.backends.databricks import DatabricksAuthError, DatabricksWarehouse
from genie_enhance.backends.databricks.genie import DatabricksGenie
from genie_enhance.benchmarks import Benchmark
from genie_enhance.emulator import Emulator
from genie_enhance.errors import ServiceError
from genie_enhance.scoring.categories import FailureCategory
from genie_enhance.scoring.runner import ExpectedCache, score_benchmarks
from genie_enhance.scoring.verdicts import CompareOptions
from genie_enhance_tests.support.emulator import ORDERS, SPACE_ID, client_for

BENCHMARKS = [
    Benchmark(question="How many orders are there?", expected_sql=f"SELECT COUNT(*) FROM {ORDERS}", source="t:1"),
    Benchmark(question="What is the total revenue?", expected_sql=f"SELECT SUM(amount) FROM {ORDERS}", source="t:2"),
]
VERSION = "v1"


def backend(emulator: Emulator, token: str | None = None) -> tuple[DatabricksGenie, DatabricksWarehouse]:
    w = client_for(emulator, **({"token": token} if token else {}))
    return (DatabricksGenie(w, SPACE_ID, poll_interval_s=0.01, max_per_minute=None),
            DatabricksWarehouse(w, emulator.warehouse_id, poll_interval_s=0.01))


def score(emulator: Emulator, cache: ExpectedCache, token: str | None = None):
    genie, warehouse = backend(emulator, token)
    return score_benchmarks(BENCHMARKS, genie, warehouse, concurrency=1, expected_cache=cache,
                            config_version=VERSION, retries=0)


def test_the_databricks_backend_error_is_a_service_error() -> None:
    assert issubclass(DatabricksAuthError, ServiceError) and DatabricksAuthError.fatal
    assert not ServiceError.fatal


def test_warehouse_failing_on_the_generated_sql_is_an_api_error_not_a_wrong_answer(emulator: Emulator) -> None:
    cache = ExpectedCache()
    _, warehouse = backend(emulator)
    for bench in BENCHMARKS:  # the expected results are known: only the generated SQL runs during scoring
        cache.get(warehouse, bench.expected_sql, CompareOptions(), VERSION)
    emulator.faults.script_http("execute-statement", 500, times=len(BENCHMARKS))
    report = score(emulator, cache)
    assert [q.generated_sql is not None for q in report.questions] == [True, True]  # Genie did answer
    assert [(q.verdict, q.category) for q in report.questions] == [("error", FailureCategory.API_ERROR)] * 2
    assert all("failed to run the generated SQL" in q.details and "HTTP_500" in q.details for q in report.questions)
    assert report.counts == {"pass": 0, "fail": 0, "error": 0, "needs_review": 0, "api_errors": 2, "total": 2}
    assert report.score.all is None  # nothing scorable: not 0 %
    healthy = score(emulator, cache)  # the same answers, the warehouse back: they pass
    assert healthy.counts["pass"] == 2 and healthy.score.all == 1.0


def test_warehouse_failing_on_the_expected_sql_is_an_api_error_and_not_cached(emulator: Emulator) -> None:
    cache = ExpectedCache()
    emulator.faults.script_http("execute-statement", 500, times=1)  # the first statement: an expected SQL
    report = score(emulator, cache)
    failed = [q for q in report.questions if q.verdict != "pass"]  # whichever expected SQL ran first
    assert len(failed) == 1 and len(report.questions) == 2
    [first] = failed
    assert (first.verdict, first.category, first.reason) == ("error", FailureCategory.API_ERROR, None)
    assert "failed to run the expected SQL" in first.details and first.generated_sql is None  # Genie not asked
    assert report.counts["api_errors"] == 1 and report.counts["error"] == 0  # not a broken benchmark
    assert score(emulator, cache).counts["pass"] == 2  # the failure was not cached for this config version


def test_bad_credentials_still_stop_the_scoring_run(emulator: Emulator) -> None:
    genie, _ = backend(emulator)
    _, bad_warehouse = backend(emulator, token="dapi-wrong-token-00000000000000")
    with pytest.raises(DatabricksAuthError):
        score_benchmarks(BENCHMARKS, genie, bad_warehouse, concurrency=1, retries=0)
