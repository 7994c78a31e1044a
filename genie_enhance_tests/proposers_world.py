"""A small shop warehouse, a bare space over it, and real scoring runs, shared by the `test_proposers*` files.

The data is built so every fix family has a question it alone can fix: `amt_usd`/`disc_usd` are abbreviated
(so "spend" and "discount" are unknown words), `stat_cd` holds codes ('RET' = returned), `region` holds
mixed-case names ("Nordics"), and customers → orders is one-to-many (30 customers, 200 orders).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from genie_enhance.backends.local.offline_genie import OfflineGenie
from genie_enhance.backends.local.warehouse import DuckDBWarehouse
from genie_enhance.benchmarks import Benchmark
from genie_enhance.diagnosis import diagnose_all
from genie_enhance.proposers import ProposerContext
from genie_enhance.scoring.runner import ScoreReport, score_benchmarks
from genie_enhance.space.io import parse_space
from genie_enhance.space.model import SerializedSpace

CUSTOMERS = "shop.sales.customers"
ORDERS = "shop.sales.orders"
BARE_SPACE = {"version": 2, "data_sources": {"tables": [{"identifier": CUSTOMERS}, {"identifier": ORDERS}]}}


def build_shop(path: Path) -> Path:
    con = duckdb.connect(str(path))
    try:
        con.execute("CREATE SCHEMA sales")
        con.execute("CREATE TABLE sales.customers (cust_id INTEGER, cust_nm VARCHAR, region VARCHAR, tier_cd VARCHAR)")
        con.execute(
            "CREATE TABLE sales.orders (ord_id INTEGER, cust_id INTEGER, ord_dt DATE, amt_usd DECIMAL(10,2), "
            "disc_usd DECIMAL(10,2), stat_cd VARCHAR)"
        )
        regions, tiers = ["Nordics", "Benelux", "Iberia"], ["GLD", "SLV", "BRZ"]
        con.executemany(
            "INSERT INTO sales.customers VALUES (?, ?, ?, ?)",
            [[i, f"Customer {i:02d}", regions[i % 3], tiers[(i // 3) % 3]] for i in range(1, 31)],
        )
        con.executemany(
            "INSERT INTO sales.orders VALUES (?, ?, DATE '2024-01-01' + ?, ?, ?, ?)",
            [[j, (j * 7) % 30 + 1, (j * 3) % 700, 10 + (j * 37) % 900, (j * 13) % 50, "RET" if j % 9 == 0 else "OK"]
             for j in range(1, 201)],
        )
    finally:
        con.close()
    return path


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory):
    warehouse = DuckDBWarehouse(build_shop(tmp_path_factory.mktemp("shop") / "shop.duckdb"))
    yield warehouse
    warehouse.close()


def bench(question: str, sql: str) -> Benchmark:
    return Benchmark(question=question, expected_sql=sql, source="test")


def bare_space() -> SerializedSpace:
    return parse_space(BARE_SPACE)


@dataclass
class Round:
    """One scoring of benchmarks against a space, with the train failures diagnosed."""

    report: ScoreReport
    ctx: ProposerContext

    def verdict(self, question: str) -> str:
        return next(q.verdict.value for q in self.report.questions if q.question == question)


def score(warehouse: DuckDBWarehouse, space: SerializedSpace, benchmarks: list[Benchmark], **ctx_fields) -> Round:
    """Score with the offline Genie and build the proposer context from the (train) failures."""
    report = score_benchmarks(benchmarks, OfflineGenie(space, warehouse), warehouse)
    catalog = warehouse.catalog()
    diagnoses = diagnose_all(report.questions, catalog, space)
    failures = [(q, diagnoses[q.id]) for q in report.questions if q.id in diagnoses]
    ctx = ProposerContext(
        space=space, catalog=catalog, warehouse=warehouse, train_failures=failures,
        train_results=list(report.questions), **ctx_fields,
    )
    return Round(report, ctx)
