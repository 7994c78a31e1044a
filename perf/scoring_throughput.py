"""Scoring throughput: how close does `score_benchmarks` get to perfect overlap of Genie latency?

Builds a small DuckDB warehouse and space in a temporary directory, generates N distinct benchmark questions the
offline Genie answers (a few templates over an orders table), and scores them with `OfflineGenie(latency_ms=L)` at
concurrency C. Ideal wall time is N·L/C (every worker always waiting on Genie); sequential is N·L. `ratio` =
wall / ideal: the overhead of our own work (SQL execution, comparison, threads) on top of Genie's latency.

    .venv/bin/python perf/scoring_throughput.py --questions 200 --latency-ms 250 --concurrency 8 --json
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import tempfile
import threading
import time
from pathlib import Path

import duckdb

from genie_enhance.backends.local.factory import open_local_backend
from genie_enhance.benchmarks import Benchmark
from genie_enhance.core.protocols import Genie, GenieAnswer
from genie_enhance.scoring.runner import score_benchmarks

SPACE = {
    "version": 2,
    "data_sources": {
        "tables": [
            {
                "identifier": "shop.sales.orders",
                "description": ["One row per order"],
                "column_configs": [
                    {"column_name": "amount", "synonyms": ["revenue"]},
                    {"column_name": "region", "enable_entity_matching": True, "enable_format_assistance": True},
                ],
            }
        ]
    },
}
REGIONS = ("North", "South", "East", "West")
ORDERS = "shop.sales.orders"


def build_warehouse(directory: Path, rows: int = 5000) -> tuple[Path, Path]:
    """A DuckDB file with `sales.orders` (attached as catalog `shop`) and a space over it."""
    warehouse = directory / "perf.duckdb"
    con = duckdb.connect(str(warehouse))
    con.execute("CREATE SCHEMA sales")
    con.execute(
        "CREATE TABLE sales.orders AS SELECT i AS order_id, "
        "CASE i % 4 WHEN 0 THEN 'North' WHEN 1 THEN 'South' WHEN 2 THEN 'East' ELSE 'West' END AS region, "
        "CAST(1 + (i * 37) % 1000 AS DECIMAL(10, 2)) AS amount, DATE '2021-01-01' + CAST(i % 1400 AS INTEGER) AS order_date "
        f"FROM range(1, {rows + 1}) t(i)"
    )
    con.close()
    space = directory / "perf_space.json"
    space.write_text(json.dumps(SPACE, indent=2), encoding="utf-8")
    return warehouse, space


def _templates():
    """Endless distinct (question, expected SQL) pairs, cycling through a few question shapes."""
    thresholds = itertools.count(5, 5)
    for k in thresholds:
        region = REGIONS[k // 5 % len(REGIONS)]
        yield (f"How many orders have amount greater than {k}?", f"SELECT COUNT(*) FROM {ORDERS} WHERE amount > {k}")
        yield (f"What is the total amount of orders with amount less than {k}?",
               f"SELECT SUM(amount) FROM {ORDERS} WHERE amount < {k}")
        yield (f"What is the average amount by region for orders with amount greater than {k}?",
               f"SELECT region, AVG(amount) FROM {ORDERS} WHERE amount > {k} GROUP BY region")
        yield (f"How many orders in the {region} region have amount less than {k}?",
               f"SELECT COUNT(*) FROM {ORDERS} WHERE region = '{region}' AND amount < {k}")


class InFlight:
    """Wraps a Genie and counts how many `ask` calls are running at once: overlap shown as a count, not a time."""

    def __init__(self, genie: Genie) -> None:
        self._genie = genie
        self._lock = threading.Lock()
        self._now = 0
        self.peak = 0

    def ask(self, question: str) -> GenieAnswer:
        with self._lock:
            self._now += 1
            self.peak = max(self.peak, self._now)
        try:
            return self._genie.ask(question)
        finally:
            with self._lock:
                self._now -= 1


def make_benchmarks(n: int) -> list[Benchmark]:
    pairs = itertools.islice(_templates(), n)
    return [Benchmark(question=q, expected_sql=sql, source=f"perf:{i}") for i, (q, sql) in enumerate(pairs, start=1)]


def measure(questions: int, latency_ms: float, concurrency: int) -> dict[str, float | int | None]:
    with tempfile.TemporaryDirectory(prefix="genie-perf-") as tmp:
        warehouse, space = build_warehouse(Path(tmp))
        with open_local_backend(warehouse, space, latency_ms=latency_ms) as backend:
            benchmarks = make_benchmarks(questions)
            genie = InFlight(backend.genie)
            started = time.perf_counter()
            report = score_benchmarks(benchmarks, genie, backend.warehouse, concurrency=concurrency)
            wall = time.perf_counter() - started
    ideal = questions * latency_ms / 1000.0 / concurrency
    return {
        "wall_s": round(wall, 3),
        "ideal_s": round(ideal, 3),
        "sequential_s": round(questions * latency_ms / 1000.0, 3),
        "ratio": round(wall / ideal, 3) if ideal else None,
        "questions": questions,
        "latency_ms": latency_ms,
        "concurrency": concurrency,
        "passed": report.counts["pass"],
        "genie_calls": report.genie_calls,
        "peak_in_flight": genie.peak,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--latency-ms", type=float, default=250.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if args.questions < 1 or args.concurrency < 1 or args.latency_ms < 0:
        parser.error("--questions and --concurrency must be at least 1, --latency-ms at least 0")
    result = measure(args.questions, args.latency_ms, args.concurrency)
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f"{result['questions']} questions, {result['latency_ms']:g} ms latency, concurrency {result['concurrency']}: "
            f"wall {result['wall_s']:.2f}s, ideal {result['ideal_s']:.2f}s, sequential {result['sequential_s']:.2f}s, "
            f"ratio {result['ratio'] if result['ratio'] is not None else 'n/a'} "
            f"({result['passed']}/{result['questions']} passed, peak {result['peak_in_flight']} calls in flight)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
