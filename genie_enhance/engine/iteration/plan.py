"""Plan: decide from the campaign's history (keep, roll back, stop), then propose the next batch.

Why together: the decision picks the config the next batch builds on (the best version's after a rollback) and
the failures it is proposed from (that version's, rebuilt from the tracking store); proposers see only train
failures.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from genie_enhance.diagnosis import Diagnosis
from genie_enhance.engine.answered import INCONCLUSIVE, answered_share
from genie_enhance.engine.iteration.score import Scored
from genie_enhance.engine.iteration.snapshot import Snapshot
from genie_enhance.engine.policy import Action, Decision, ScoredIteration, decide, decide_gate
from genie_enhance.engine.propagation import record_write
from genie_enhance.engine.proposing import propose
from genie_enhance.engine.regression_gate import candidate, measure, record_gate, surgical_iterations
from genie_enhance.engine.runtime import Runtime
from genie_enhance.engine.versions import write_version
from genie_enhance.proposers.base import Proposal
from genie_enhance.scoring.categories import FailureCategory
from genie_enhance.scoring.runner import QuestionResult
from genie_enhance.scoring.verdicts import Verdict
from genie_enhance.space.io import canonical_bytes
from genie_enhance.space.model import SerializedSpace
from genie_enhance.tracking import IterationRecord


@dataclass
class Plan:
    decision: Decision
    base_space: SerializedSpace
    base_etag: str
    base_version_id: str
    proposals: list[Proposal] = field(default_factory=list)
    rejected: list[tuple[Proposal, str]] = field(default_factory=list)


def scored_points(history: list[IterationRecord], answered: dict[int, float] | None = None,
                  surgical: set[int] | None = None) -> list[ScoredIteration]:
    """Completed iterations as the policy sees them (`answered`: the share of the inconclusive ones; `surgical`:
    the iterations whose batch was a surgical candidate)."""
    answered, surgical = answered or {}, surgical or set()
    return [
        ScoredIteration(iteration=h.iteration, version_id=h.config_version_id, objective=h.objective,
                        train=h.score_train, batch_applied=h.applied_version_id is not None,
                        cost_usd=h.cost_usd, wall_s=h.wall_s, answered=answered.get(h.iteration, 1.0),
                        surgical=h.iteration in surgical)
        for h in history
    ]


def inconclusive_shares(rt: Runtime, campaign_id: str) -> dict[int, float]:
    """Iteration → answered share, for the iterations decided `inconclusive` (from their events)."""
    return {e.iteration: float(e.data["answered"]) for e in rt.tracking.events(campaign_id)
            if e.kind == INCONCLUSIVE and e.iteration is not None}


def policy_history(rt: Runtime, campaign_id: str, iteration: int, snap: Snapshot, scored: Scored) -> list[ScoredIteration]:
    """What the policy decides on once `iteration` is scored: the completed iterations before it, then it (the
    decision and the `no_score_regression` check both read this)."""
    current = ScoredIteration(iteration=iteration, version_id=snap.version_id, objective=scored.objective,
                              train=scored.report.score.train, answered=answered_share(scored.report.questions))
    earlier = [h for h in rt.tracking.history(campaign_id) if h.iteration < iteration]
    return [*scored_points(earlier, inconclusive_shares(rt, campaign_id), surgical_iterations(rt, campaign_id)),
            current]


def _measure_previous_batch(rt: Runtime, campaign_id: str, history: list[ScoredIteration], decision: Decision) -> None:
    """Record the previous batch's effect on every fix in it, and mark it kept or reverted."""
    if len(history) < 2 or not history[-2].batch_applied:
        return
    prev, last = history[-2], history[-1]
    delta = (last.objective or 0.0) - (prev.objective or 0.0)
    delta_train = (last.train or 0.0) - (prev.train or 0.0)
    rt.tracking.set_batch_effect(campaign_id, prev.iteration, delta, delta_train)
    applied = [f.fix_id for f in rt.tracking.fixes(campaign_id, prev.iteration) if f.status == "applied"]
    if applied:
        status, why = ("reverted", decision.reason) if decision.rollback else ("kept", f"batch Δobjective {delta:+.3f}")
        rt.tracking.set_fix_status(applied, status, why)


def _rollback(
    rt: Runtime, campaign_id: str, iteration: int, snap: Snapshot, decision: Decision,
) -> tuple[SerializedSpace, str]:
    """Restore the best version's exact bytes on the live space; returns the restored space and its etag.

    Announced in the write-ahead row first, like a batch: a process killed after this write resumes by putting
    the iteration's snapshot back, so the redone iteration sees (and rolls back) the same config."""
    best = decision.best_version_id
    rt.tracking.write_pending_apply(campaign_id, iteration, snap.version_id, best, snap.etag)
    restored, new_etag = write_version(rt, best, campaign_id, iteration)
    rt.tracking.record_version(canonical_bytes(restored), parent_id=None, source="rollback", campaign_id=campaign_id,
                               iteration=iteration, etag=new_etag)
    rt.tracking.record_event(campaign_id, "rollback", decision.reason, iteration=iteration,
                             data={"restored_version_id": decision.best_version_id})
    if canonical_bytes(restored) != snap.data:
        record_write(rt, campaign_id, iteration, snap.space, restored, f"rollback to {best}")
    return restored, new_etag


def _results_of(rt: Runtime, campaign_id: str, iteration: int) -> list[tuple[QuestionResult, Diagnosis | None]]:
    """An earlier iteration's results and diagnoses, rebuilt from the tracking store."""
    pairs = []
    for r in rt.tracking.results(campaign_id, iteration):
        result = QuestionResult(
            id=r.question_id, question=r.question, label=r.label, role=r.role, expected_sql=r.expected_sql or "",
            generated_sql=r.generated_sql, verdict=r.verdict, reason=r.reason,
            category=FailureCategory(r.category) if r.category else None,
            details=r.details, latency_s=r.latency_s, genie_error=r.genie_error,
        )
        pairs.append((result, Diagnosis.model_validate(r.diagnosis) if r.diagnosis else None))
    return pairs


def train_failures(pairs: list[tuple[QuestionResult, Diagnosis | None]]) -> list[tuple[QuestionResult, Diagnosis]]:
    """Failed TRAIN questions with their diagnosis — the only thing proposers ever see."""
    return [(r, d) for r, d in pairs
            if r.role == "train" and r.verdict == Verdict.FAIL and d is not None and not r.is_service_failure]


def plan(rt: Runtime, campaign_id: str, iteration: int, snap: Snapshot, scored: Scored) -> Plan:
    """Decide (keep / roll back / stop) from the history, then propose the next batch from train failures."""
    history = policy_history(rt, campaign_id, iteration, snap, scored)
    current = history[-1]
    decision = decide(history, rt.settings.policy())
    gate = measure(rt, campaign_id, history, scored.report.questions, rt.settings.min_answered)
    decision = decide_gate(decision, history, gate.input, rt.settings.policy())
    if decision.inconclusive:  # nothing is judged, kept, reverted or proposed on too few answers
        rt.tracking.record_event(campaign_id, INCONCLUSIVE, decision.reason, iteration=iteration,
                                 data={"answered": current.answered, "api_errors": scored.report.counts["api_errors"]})
        return Plan(decision, snap.space, snap.etag, snap.version_id)
    _measure_previous_batch(rt, campaign_id, [h for h in history if h.answered >= rt.settings.min_answered], decision)
    record_gate(rt, campaign_id, iteration, gate, decision)
    if decision.surgical:  # no new proposals: the candidate is measured alone, so the next scoring judges it
        base, base_version, proposals = candidate(rt, campaign_id, iteration, gate, decision)
        return Plan(decision, base, snap.etag, base_version, proposals)
    space, etag, version = snap.space, snap.etag, snap.version_id
    pairs = [(r, scored.diagnoses.get(r.id)) for r in scored.report.questions]
    if decision.rollback:
        space, etag = _rollback(rt, campaign_id, iteration, snap, decision)
        version = decision.best_version_id
        pairs = _results_of(rt, campaign_id, decision.best_iteration)
    result = Plan(decision, space, etag, version)
    if decision.action is Action.STOP:
        return result
    result.proposals, result.rejected = propose(rt, campaign_id, iteration, space, train_failures(pairs),
                                                [r for r, _ in pairs if r.role == "train"])
    return result
