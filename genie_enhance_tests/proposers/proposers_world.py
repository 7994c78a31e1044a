"""A bare space over the proposers' shop (`build_proposers_shop`, fixture `proposers_shop`) and real scoring runs,
shared by the `test_proposers*` files.

The data is built so every fix family has a question it alone can fix: `amt_usd`/`disc_usd` are abbreviated
(so "spend" and "discount" are unknown words), `stat_cd` holds codes ('RET' = returned), `region` holds
mixed-case names ("Nordics"), and customers → orders is one-to-many (30 customers, 200 orders).
"""

from __future__ import annotations

from dataclasses import dataclass

from genie_enhance.backends.local.offline_genie import OfflineGenie
from genie_enhance.backends.local.warehouse import DuckDBWarehouse
from genie_enhance.benchmarks import Benchmark
from genie_enhance.diagnosis import diagnose_all
from genie_enhance.proposers import ProposerContext
from genie_enhance.scoring.runner import ScoreReport, score_benchmarks
from genie_enhance.space.io import parse_space
from genie_enhance.space.model import SerializedSpace
from genie_enhance_tests.support.shops import CUSTOMERS, ORDERS

BARE_SPACE = {"version": 2, "data_sources": {"tables": [{"identifier": CUSTOMERS}, {"identifier": ORDERS}]}}


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
