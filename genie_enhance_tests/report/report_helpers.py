"""A realistic three-iteration campaign written through the tracking store's real write API, for the report tests.

Story: iteration 1 scores the bare demo space (1/4 train, 1/2 holdout); its batch (a synonym and a table
description, plus an invalid example and a leakage-guard rejection) is applied. Iteration 2 scores better; its
batch (a misleading synonym) is applied. Iteration 3 scores worse, so that batch is rolled back to iteration 2's
config and the campaign stops at `max_iterations` with iteration 2's config as the final one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from genie_enhance.diagnosis import Diagnosis
from genie_enhance.llm.records import LLMCall
from genie_enhance.proposers.base import Proposal
from genie_enhance.scoring.categories import FailureCategory as Cat
from genie_enhance.scoring.runner import QuestionResult
from genie_enhance.scoring.verdicts import Reason, Verdict
from genie_enhance.space.fixes import AddExampleSql, AddSynonym, SetTableDescription, apply_fixes
from genie_enhance.space.io import load_space, space_to_json
from genie_enhance.tracking import CampaignSpec, IterationSummary, TrackingStore
from genie_enhance_tests.support.paths import REPO

DEMO_SPACE = REPO / "genie_enhance" / "demo" / "spaces" / "space_bare.json"
ORDERS = "demo.commerce.orders"
CUSTOMERS = "demo.commerce.customers"
EVIL_QUESTION = "<script>alert('pwned')</script> How many orders & customers?"
SECRET = "sk-live-THISISASECRETKEY0123456789abcdef"

QUESTIONS = {  # id -> (role, question, expected SQL, wrong SQL Genie writes before the space is tuned)
    "q1": ("train", "How many customers do we have?", f"SELECT COUNT(*) AS customers FROM {CUSTOMERS}", None),
    "q2": ("train", "What is the total revenue?", f"SELECT SUM(gross_amt_usd) AS revenue FROM {ORDERS}",
           f"SELECT SUM(net_amt_usd) AS revenue FROM {ORDERS}"),
    "q3": ("train", EVIL_QUESTION, f"SELECT COUNT(*) FROM {ORDERS} WHERE note = '</pre><b>x</b>'",
           f"SELECT COUNT(*) FROM {CUSTOMERS}"),
    "q4": ("train", "What is the average order value?", f"SELECT AVG(gross_amt_usd) AS aov FROM {ORDERS}",
           f"SELECT SUM(gross_amt_usd) AS aov FROM {ORDERS}"),
    "q5": ("holdout", "How much did we sell in total?", f"SELECT SUM(gross_amt_usd) AS revenue FROM {ORDERS}",
           f"SELECT SUM(net_amt_usd) AS revenue FROM {ORDERS}"),
    "q6": ("holdout", "How many orders were placed?", f"SELECT COUNT(*) AS orders FROM {ORDERS}", None),
}
CATEGORY = {"q2": Cat.WRONG_COLUMN, "q3": Cat.MISSING_TABLE, "q4": Cat.WRONG_AGGREGATION, "q5": Cat.WRONG_COLUMN}
FAILING = {1: {"q2", "q3", "q4", "q5"}, 2: {"q4"}, 3: {"q2", "q4", "q5"}}  # per iteration
SCORES = {  # iteration -> (train, holdout, all)
    1: (1 / 4, 1 / 2, 2 / 6), 2: (3 / 4, 1.0, 5 / 6), 3: (2 / 4, 1 / 2, 3 / 6),
}


@dataclass
class Campaign:
    store: TrackingStore
    campaign_id: str
    versions: list[str]  # v1 (snapshot), v2 (after batch 1), v3 (after batch 2)


def _result(qid: str, iteration: int) -> QuestionResult:
    role, question, expected, wrong = QUESTIONS[qid]
    failed = qid in FAILING[iteration]
    return QuestionResult(
        id=qid, question=question, role=role, expected_sql=expected,  # type: ignore[arg-type]
        generated_sql=(wrong if failed else expected) or expected,
        verdict=Verdict.FAIL if failed else Verdict.PASS,
        reason=Reason.VALUE_DIFFERENCE if failed else Reason.MATCH,
        category=Cat.WRONG_RESULT if failed else None,
        details=f"row 0 differs: 1204.5 != 1311.0 ({qid}, iteration {iteration})" if failed else "match",
        latency_s=1.5 + iteration / 10,
    )


def _diagnoses(iteration: int) -> dict[str, Diagnosis]:
    return {
        qid: Diagnosis(question_id=qid, category=CATEGORY[qid], summary=f"{qid}: {CATEGORY[qid].value} in Genie's SQL",
                       evidence={"wrong_columns": [{"expected": f"{ORDERS}.gross_amt_usd"}]}, question=QUESTIONS[qid][1])
        for qid in FAILING[iteration]
    }


def _proposal(fix, category: Cat, questions: list[str], proposer: str = "heuristic") -> Proposal:
    return Proposal(fix=fix, proposer=proposer, rationale=f"Genie used the wrong column for {', '.join(questions)}",
                    question_ids=questions, category=category, expected_effect=f"fixes {len(questions)} train failures")


def _llm_call(iteration: int, n: int, **kwargs) -> LLMCall:
    values = dict(purpose="propose_fixes", model="gpt-4o-mini", prompt_hash=f"h{iteration}{n}", input_tokens=1800,
                  output_tokens=420, cost_usd=0.00052, latency_s=2.4, outcome="ok",
                  started_at=datetime(2025, 3, 1, 12, iteration, n, tzinfo=UTC))
    return LLMCall(**{**values, **kwargs})


def build_campaign(tmp_path: Path, campaign_id: str = "c20250301T120000-abc123") -> Campaign:
    """Write the three-iteration campaign described in the module docstring into `<tmp_path>/tracking.duckdb`."""
    store = TrackingStore(tmp_path / "tracking.duckdb", secrets=[SECRET])
    started = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    store.start_campaign(CampaignSpec(
        campaign_id=campaign_id, space_key=str(DEMO_SPACE.name), backend="local", target=0.9, max_iterations=3,
        holdout_fraction=0.3, seed=7, holdout_ids=["q5", "q6"], started_at=started,
        settings={"llm": {"model": "gpt-4o-mini", "api_key": SECRET}, "concurrency": 4},
    ))
    space1 = load_space(DEMO_SPACE)
    batch1 = [
        (_proposal(AddSynonym(table=ORDERS, column="gross_amt_usd", synonym="revenue"), Cat.WRONG_COLUMN, ["q2"]),
         "applied"),
        (_proposal(SetTableDescription(table=ORDERS, description="One row per order; amounts in USD."),
                   Cat.MISSING_TABLE, ["q3"], proposer="llm:gpt-4o-mini"), "applied"),
        (_proposal(AddExampleSql(question="average order value", sql=f"SELECT AVG(no_such_col) FROM {ORDERS}"),
                   Cat.WRONG_AGGREGATION, ["q4"], proposer="llm:gpt-4o-mini"),
         "invalid", "SQL references unknown column no_such_col"),
        (_proposal(AddExampleSql(question=QUESTIONS["q5"][1], sql=QUESTIONS["q5"][2]), Cat.WRONG_COLUMN, ["q2"]),
         "rejected", "leakage guard: payload contains holdout question q5"),
    ]
    space2 = apply_fixes(space1, [item[0].fix for item in batch1 if item[1] == "applied"])
    batch2 = [(_proposal(AddSynonym(table=ORDERS, column="net_amt_usd", synonym="sales"), Cat.WRONG_AGGREGATION,
                         ["q4"]), "applied")]
    space3 = apply_fixes(space2, [batch2[0][0].fix])
    data = [space_to_json(s).encode() for s in (space1, space2, space3)]

    v1 = store.record_version(data[0], source="snapshot", campaign_id=campaign_id, iteration=1, etag="e1")
    v2 = store.record_version(data[1], parent_id=v1, source="apply", campaign_id=campaign_id, iteration=1, etag="e2")
    v3 = store.record_version(data[2], parent_id=v2, source="apply", campaign_id=campaign_id, iteration=2, etag="e3")
    plan = {
        1: (v1, batch1, v2, "continue", "first iteration: keep going", None),
        2: (v2, batch2, v3, "continue", "objective rose by 0.500", None),
        3: (v3, [], None, "rollback", "objective fell by 0.500: batch 2 rolled back to iteration 2's config",
            "max_iterations"),
    }
    for iteration, (version, batch, applied, decision, why, stop) in plan.items():
        store.begin_iteration(campaign_id, iteration, str(iteration), version)
        store.record_event(campaign_id, "scored", f"iteration {iteration} scored", iteration=iteration)
        store.record_results(campaign_id, iteration, [_result(q, iteration) for q in QUESTIONS],
                             _diagnoses(iteration))
        if iteration > 1:  # the previous batch's measured effect
            delta = SCORES[iteration][1] - SCORES[iteration - 1][1]
            store.set_batch_effect(campaign_id, iteration - 1, delta, SCORES[iteration][0] - SCORES[iteration - 1][0])
        calls = [_llm_call(iteration, 0)] if iteration < 3 else []
        if iteration == 1:
            calls += [_llm_call(1, 1, outcome="http_error", error="HTTP 429 rate limited", status_code=429,
                                attempt=1, cost_usd=0.0, output_tokens=0),
                      _llm_call(1, 2, purpose="judge", model="local-llama", cost_known=False, cost_usd=0.0)]
        store.record_llm_calls(calls, campaign_id, iteration)
        store.record_fixes(campaign_id, iteration, batch)
        train, holdout, everything = SCORES[iteration]
        store.complete_iteration(campaign_id, iteration, IterationSummary(
            score_train=train, score_holdout=holdout, score_all=everything, objective=holdout,
            counts={"pass": 6 - len(FAILING[iteration]), "fail": len(FAILING[iteration])},
            decision=decision, decision_reason=why, stop_reason=stop,
            fixes_proposed=len(batch), fixes_applied=sum(b[1] == "applied" for b in batch),
            fixes_rejected=sum(b[1] != "applied" for b in batch), genie_calls=6, llm_calls=len(calls),
            cost_usd=sum(c.cost_usd for c in calls), wall_s=40.0 + iteration, applied_version_id=applied,
            completed_at=started + timedelta(minutes=iteration),
        ))
    fix_ids = {f.iteration: [] for f in store.fixes(campaign_id)}
    for fix in store.fixes(campaign_id):
        if fix.status == "applied":
            fix_ids[fix.iteration].append(fix.fix_id)
    store.set_fix_status(fix_ids[1], "kept", "batch raised the objective")
    store.set_fix_status(fix_ids[2], "reverted", "batch lowered the objective by 0.500")
    rollback = store.record_version(data[1], parent_id=v3, source="rollback", campaign_id=campaign_id, iteration=3)
    store.record_event(campaign_id, "rollback", f"restored {rollback}", iteration=3)
    store.finish_campaign(campaign_id, "max_iterations", v2)
    return Campaign(store=store, campaign_id=campaign_id, versions=[v1, v2, v3])
