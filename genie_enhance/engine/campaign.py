"""A whole campaign: iterations until the policy stops it, resumable after a crash.

An iteration is marked complete only at its very end, and a batch is announced in a write-ahead row before it
is applied, so a process killed at any point resumes cleanly: an incomplete iteration is discarded and redone,
unless its batch already reached the live space, in which case the iteration is completed from what was recorded.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

from genie_enhance.engine.batch import Batch, build_batch
from genie_enhance.engine.policy import Action, Decision, best_iteration, decide_no_fixes
from genie_enhance.engine.runtime import Runtime
from genie_enhance.engine.steps import Plan, Scored, Snapshot, canonical_bytes, plan, scored_points, score, snapshot
from genie_enhance.errors import ConcurrentEditError
from genie_enhance.space.io import parse_space
from genie_enhance.tracking import CampaignSpec, IterationSummary


@dataclass
class IterationOutcome:
    iteration: int
    snapshot: Snapshot
    scored: Scored
    decision: Decision
    batch: Batch | None
    applied_version_id: str | None


def start_or_resume(rt: Runtime, *, new: bool = False) -> str:
    """The running campaign of this space (resumed), or a new one."""
    latest = None if new else rt.tracking.latest_campaign(rt.settings.space_key)
    if latest is not None and latest.status == "running":
        resume(rt, latest.campaign_id)
        return latest.campaign_id
    spec = CampaignSpec(
        space_key=rt.settings.space_key, backend=rt.settings.backend, target=rt.settings.target,
        max_iterations=rt.settings.max_iterations, holdout_fraction=rt.settings.holdout, seed=rt.settings.seed,
        settings=rt.settings.model_dump(mode="json"), holdout_ids=sorted(rt.split.holdout_ids),
    )
    return rt.tracking.start_campaign(spec)


def resume(rt: Runtime, campaign_id: str) -> None:
    """Settle a batch that may have been applied by a killed process, then drop incomplete iterations."""
    pending = rt.tracking.pending_apply(campaign_id)
    if pending is not None:
        space, _ = rt.backend.store.export()
        outcome = pending.outcome(canonical_bytes(space))
        rt.tracking.record_event(campaign_id, "resume", f"pending batch of iteration {pending.iteration}: {outcome}",
                                 iteration=pending.iteration)
        if outcome == "applied":
            _restore_base(rt, campaign_id, pending.base_version_id)
        rt.tracking.clear_pending_apply(campaign_id)
    dropped = rt.tracking.discard_incomplete(campaign_id)
    if dropped:
        rt.tracking.record_event(campaign_id, "resume", f"discarded incomplete iterations {dropped}")


def _restore_base(rt: Runtime, campaign_id: str, base_version_id: str) -> None:
    """Undo a batch whose iteration never completed, so the redone iteration starts from the same config."""
    data = rt.tracking.version_bytes(base_version_id)
    _, etag = rt.backend.store.export()
    rt.backend.store.update(parse_space(data.decode("utf-8")), etag)


def apply_batch(rt: Runtime, campaign_id: str, iteration: int, planned: Plan, batch: Batch) -> str | None:
    """Apply the accepted fixes as one update (etag-checked); returns the new version id, None if not applied."""
    ids = _fix_ids(rt, campaign_id, iteration, batch)
    if not batch.accepted:
        return None
    data = canonical_bytes(batch.candidate)
    version_id = rt.tracking.record_version(data, parent_id=planned.base_version_id, source="apply",
                                            campaign_id=campaign_id, iteration=iteration, etag=None)
    rt.tracking.write_pending_apply(campaign_id, iteration, planned.base_version_id, version_id, planned.base_etag)
    try:
        rt.backend.store.update(batch.candidate, planned.base_etag)
    except ConcurrentEditError as exc:
        rt.tracking.clear_pending_apply(campaign_id, iteration)
        rt.tracking.set_fix_status(ids["accepted"], "rejected", f"not applied: {exc}")
        rt.tracking.record_event(campaign_id, "concurrent_edit", str(exc), iteration=iteration)
        return None
    rt.tracking.set_fix_status(ids["accepted"], "applied", "validated and applied")
    return version_id


def _fix_ids(rt: Runtime, campaign_id: str, iteration: int, batch: Batch) -> dict[str, list[str]]:
    """Mark invalid fixes; return the tracking ids of the accepted ones."""
    by_key = {f.fix_key: f.fix_id for f in rt.tracking.fixes(campaign_id, iteration)}
    for proposal, reason in batch.invalid:
        fid = by_key.get(proposal.fix.key)
        if fid:
            rt.tracking.set_fix_status([fid], "invalid", reason)
    return {"accepted": [by_key[p.fix.key] for p in batch.accepted if p.fix.key in by_key]}


def run_iteration(rt: Runtime, campaign_id: str, iteration: int) -> IterationOutcome:
    """Snapshot, score, decide, propose, validate, apply, complete."""
    started = time.monotonic()
    llm_before = len(rt.llm.calls) if rt.llm is not None else 0
    cost_before = rt.llm.total_cost_usd() if rt.llm is not None else 0.0
    rt.current.update(campaign_id=campaign_id, iteration=iteration)
    snap = snapshot(rt, campaign_id, iteration)
    scored = score(rt, campaign_id, iteration, snap)
    planned = plan(rt, campaign_id, iteration, snap, scored)
    decision, batch, applied = planned.decision, None, None
    if decision.action is Action.CONTINUE:
        batch = build_batch(rt, planned.base_space, planned.proposals)
        applied = apply_batch(rt, campaign_id, iteration, planned, batch)
        if applied is None:
            decision = decide_no_fixes(decision)
    llm_calls = (len(rt.llm.calls) - llm_before) if rt.llm is not None else 0
    cost = (rt.llm.total_cost_usd() - cost_before) if rt.llm is not None else 0.0
    summary = IterationSummary(
        score_train=scored.report.score.get("train"), score_holdout=scored.report.score.get("holdout"),
        score_all=scored.report.score.get("all"), objective=scored.objective, counts=scored.report.counts,
        decision="rollback" if decision.rollback and decision.action is Action.CONTINUE else decision.action.value,
        decision_reason=decision.reason, stop_reason=decision.stop_reason.value if decision.stop_reason else None,
        fixes_proposed=len(planned.proposals), fixes_applied=len(batch.accepted) if applied else 0,
        fixes_rejected=len(planned.rejected) + (len(batch.invalid) if batch else 0),
        genie_calls=scored.report.genie_calls, llm_calls=llm_calls, cost_usd=cost,
        wall_s=time.monotonic() - started, applied_version_id=applied,
    )
    rt.tracking.complete_iteration(campaign_id, iteration, summary)
    return IterationOutcome(iteration, snap, scored, decision, batch, applied)


def run_campaign(
    rt: Runtime, *, new: bool = False, on_iteration: Callable[[IterationOutcome], None] | None = None
) -> str:
    """Run (or resume) the space's campaign until the policy stops it; returns the campaign id."""
    campaign_id = start_or_resume(rt, new=new)
    last = rt.tracking.last_complete_iteration(campaign_id) or 0
    finished = _stopped(rt, campaign_id)
    iteration = last
    while not finished:
        iteration += 1
        outcome = run_iteration(rt, campaign_id, iteration)
        if on_iteration is not None:
            on_iteration(outcome)
        finished = outcome.decision.action is Action.STOP
    finish(rt, campaign_id)
    return campaign_id


def _stopped(rt: Runtime, campaign_id: str) -> bool:
    history = rt.tracking.history(campaign_id)
    return bool(history) and history[-1].decision == "stop"


def finish(rt: Runtime, campaign_id: str) -> None:
    """Mark the campaign finished with its stop reason and best version."""
    history = rt.tracking.history(campaign_id)
    if not history:
        return
    best = best_iteration(scored_points(history))
    rt.tracking.finish_campaign(campaign_id, history[-1].stop_reason or "stopped", best.version_id)
