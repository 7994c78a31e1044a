"""Builders for the tracking tests: real QuestionResults, proposals, diagnoses, fixes and LLM calls."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from genie_enhance.proposers.base import Proposal
from genie_enhance.scoring.categories import FailureCategory
from genie_enhance.scoring.runner import QuestionResult
from genie_enhance.scoring.verdicts import Reason, Verdict
from genie_enhance.space.fixes import AddExampleSql, AddSynonym, FixBase, SetTableDescription
from genie_enhance.tracking import CampaignSpec, IterationSummary, TrackingStore

ORDERS = "demo.commerce.orders"


def store_at(tmp_path: Path, **kwargs: Any) -> TrackingStore:
    return TrackingStore(tmp_path / "tracking.duckdb", **kwargs)


def spec(campaign_id: str = "camp-1", space_key: str = "space-a", **kwargs: Any) -> CampaignSpec:
    return CampaignSpec(campaign_id=campaign_id, space_key=space_key, backend="local", target=0.9,
                        max_iterations=5, holdout_fraction=0.2, seed=7, **kwargs)


def result(qid: str, verdict: Verdict = Verdict.PASS, *, role: str = "train", sql: str | None = None) -> QuestionResult:
    failed = verdict is Verdict.FAIL
    return QuestionResult(
        id=qid, question=f"how many orders for {qid}?", role=role,  # type: ignore[arg-type]
        expected_sql=f"SELECT count(*) FROM {ORDERS} WHERE k = '{qid}'",
        generated_sql=sql if sql is not None else f"SELECT count(*) FROM {ORDERS}",
        verdict=verdict, reason=Reason.VALUE_DIFFERENCE if failed else Reason.MATCH,
        category=FailureCategory.WRONG_RESULT if failed else None,
        details="row 0 differs: 3 != 4" if failed else "match", latency_s=1.25,
    )


def synonym(word: str, column: str = "amount") -> AddSynonym:
    return AddSynonym(table=ORDERS, column=column, synonym=word)


def proposal(fix: FixBase, category: FailureCategory = FailureCategory.WRONG_COLUMN, **kwargs: Any) -> Proposal:
    values = {"proposer": "heuristic", "rationale": f"because {fix.describe()}", "question_ids": ["q1"], **kwargs}
    return Proposal(fix=fix, category=category, **values)


def example_fix(question: str) -> AddExampleSql:
    return AddExampleSql(question=question, sql=f"SELECT count(*) FROM {ORDERS}")


def table_description(text: str) -> SetTableDescription:
    return SetTableDescription(table=ORDERS, description=text)


def run_iteration(
    store: TrackingStore, campaign_id: str, iteration: int, objective: float, *, data: bytes | None = None,
    complete: bool = True,
) -> str:
    """Record a minimal iteration on its own config version; returns the version id."""
    version = store.record_version(data or f"config {iteration}".encode(), source="snapshot",
                                   campaign_id=campaign_id, iteration=iteration)
    store.begin_iteration(campaign_id, iteration, str(iteration), version)
    store.record_results(campaign_id, iteration, [result("q1", Verdict.PASS if objective > 0.5 else Verdict.FAIL)])
    if complete:
        store.complete_iteration(campaign_id, iteration, IterationSummary(objective=objective, score_train=objective))
    return version
