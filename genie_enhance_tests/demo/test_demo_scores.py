"""The demo's promise: the bare space scores poorly on the demo benchmarks and the tuned space near 100%.

Scored end to end with the real parts: `OfflineGenie` answers each English question from the packaged space
config, and `compare_sql` executes expected and answered SQL on the demo warehouse.
"""

from __future__ import annotations

import pytest

from genie_enhance.backends.local.offline_genie import OfflineGenie
from genie_enhance.benchmarks import load_benchmarks
from genie_enhance.demo.space_configs import BARE_SPACE, TUNED_SPACE, load_demo_space
from genie_enhance.scoring import Verdict, compare_sql
from genie_enhance_tests.support.demo_fixtures import BENCHMARK_FILES


def _score(space_name: str, warehouse) -> tuple[float, list[str]]:
    genie = OfflineGenie(load_demo_space(space_name), warehouse)
    benchmarks = [b for f in BENCHMARK_FILES for b in load_benchmarks(f)]
    failed = []
    for bench in benchmarks:
        comparison = compare_sql(warehouse, bench.expected_sql, genie.ask(bench.question).sql)
        assert comparison.verdict is not Verdict.ERROR, f"benchmark SQL broken: {bench.question}"
        if comparison.verdict is not Verdict.PASS:
            failed.append(bench.question)
    return 1 - len(failed) / len(benchmarks), failed


@pytest.mark.parametrize(("space_name", "low", "high"), [(BARE_SPACE, 0.10, 0.50), (TUNED_SPACE, 0.95, 1.0)])
def test_demo_space_scores(space_name: str, low: float, high: float, demo_warehouse) -> None:
    score, failed = _score(space_name, demo_warehouse)
    assert low <= score <= high, f"{space_name} scored {score:.0%}; failed: {failed}"
