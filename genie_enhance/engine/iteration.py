"""One iteration as six steps handing an `IterationState` along: snapshot → score → plan → validate → apply →
complete.

Why steps with an explicit state: the CLI chains them in one call (`run_iteration`), while Dagster runs each as
its own asset and passes the state between assets through its IO manager, so a step may run in another process
than the one before it. Each step therefore measures its own duration, LLM calls and cost and adds them to the
state, instead of diffing counters across the whole iteration.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import NoReturn

from genie_enhance.engine.batch import Batch, build_batch
from genie_enhance.engine.policy import Action, Decision, decide_concurrent_edit, decide_no_fixes
from genie_enhance.engine.propagation import record_write, wait_for_propagation
from genie_enhance.engine.rebase import BatchNotRebased, adopt, rebased_batch, record_external
from genie_enhance.engine.runtime import Runtime
from genie_enhance.engine.steps import Plan, Scored, Snapshot, canonical_bytes, plan, score, snapshot
from genie_enhance.errors import ConcurrentEditError
from genie_enhance.tracking import FixRecord, IterationRecord, IterationSummary

STEPS = ("snapshot", "score", "plan", "validate", "apply", "complete")


@dataclass
class IterationOutcome:
    iteration: int
    snapshot: Snapshot
    scored: Scored
    decision: Decision
    batch: Batch | None
    applied_version_id: str | None


@dataclass
class IterationState:
    """What the steps of one iteration have produced so far (picklable: Dagster stores it between assets)."""

    campaign_id: str
    iteration: int
    snapshot: Snapshot | None = None
    scored: Scored | None = None
    planned: Plan | None = None
    batch: Batch | None = None
    decision: Decision | None = None
    applied_version_id: str | None = None
    outcome: IterationOutcome | None = None
    record: IterationRecord | None = None  # set when the iteration had completed before: the read-only path
    fixes: list[FixRecord] | None = None  # the recorded fixes (read-only path)
    llm_calls: int = 0
    cost_usd: float = 0.0
    durations: dict[str, float] = field(default_factory=dict)

    @property
    def historical(self) -> bool:
        return self.record is not None

    @property
    def wall_s(self) -> float:
        return sum(self.durations.values())

    def require(self, *names: str) -> None:
        """Fail clearly when a step runs before the steps it depends on."""
        missing = [n for n in names if getattr(self, n) is None]
        if missing:
            self._missing(*missing)

    def _missing(self, *names: str) -> NoReturn:
        raise ValueError(f"iteration {self.iteration} of {self.campaign_id}: step needs {', '.join(names)} first")

    # typed reads of what an earlier step produced (each fails like `require` when that step has not run)
    def need_snapshot(self) -> Snapshot:
        return self.snapshot if self.snapshot is not None else self._missing("snapshot")

    def need_scored(self) -> Scored:
        return self.scored if self.scored is not None else self._missing("scored")

    def need_plan(self) -> Plan:
        return self.planned if self.planned is not None else self._missing("planned")

    def need_decision(self) -> Decision:
        return self.decision if self.decision is not None else self._missing("decision")

    def need_record(self) -> IterationRecord:
        return self.record if self.record is not None else self._missing("record")

    def need_outcome(self) -> IterationOutcome:
        return self.outcome if self.outcome is not None else self._missing("outcome")


@contextmanager
def measured(rt: Runtime, state: IterationState, step: str) -> Iterator[None]:
    """Attribute LLM calls to this iteration and add the step's time, calls and cost to the state."""
    rt.current.update(campaign_id=state.campaign_id, iteration=state.iteration)
    started = time.monotonic()
    calls = len(rt.llm.calls) if rt.llm is not None else 0
    cost = rt.llm.total_cost_usd() if rt.llm is not None else 0.0
    try:
        yield
    finally:
        state.durations[step] = state.durations.get(step, 0.0) + time.monotonic() - started
        if rt.llm is not None:
            state.llm_calls += len(rt.llm.calls) - calls
            state.cost_usd += rt.llm.total_cost_usd() - cost


# --------------------------------------------------------------------------------------------------- steps
def snapshot_step(rt: Runtime, campaign_id: str, iteration: int) -> IterationState:
    """Export the live config and record it as the iteration's config version."""
    state = IterationState(campaign_id, iteration)
    with measured(rt, state, "snapshot"):
        state.snapshot = snapshot(rt, campaign_id, iteration)
    return state


def score_step(rt: Runtime, state: IterationState) -> IterationState:
    """Wait until the campaign's last write of the live space took effect, then score the config."""
    snap = state.need_snapshot()
    state.durations["settle"] = state.durations.get("settle", 0.0) + wait_for_propagation(
        rt, state.campaign_id, state.iteration)
    with measured(rt, state, "score"):
        state.scored = score(rt, state.campaign_id, state.iteration, snap)
    return state


def plan_step(rt: Runtime, state: IterationState) -> IterationState:
    """Decide from the history (maybe rolling back), then propose the next batch."""
    snap, scored = state.need_snapshot(), state.need_scored()
    with measured(rt, state, "plan"):
        state.planned = plan(rt, state.campaign_id, state.iteration, snap, scored)
        state.decision = state.planned.decision
    return state


def validate_step(rt: Runtime, state: IterationState) -> IterationState:
    """Build the candidate config from the proposals, dropping every fix that fails validation."""
    planned, decision = state.need_plan(), state.need_decision()
    with measured(rt, state, "validate"):
        if decision.action is Action.CONTINUE and not decision.inconclusive:
            state.batch = build_batch(rt, planned.base_space, planned.proposals)
    return state


def apply_step(rt: Runtime, state: IterationState) -> IterationState:
    """Apply the validated batch as one etag-checked update; nothing valid to apply stops the campaign."""
    planned, decision = state.need_plan(), state.need_decision()
    with measured(rt, state, "apply"):
        if state.batch is not None:
            try:
                state.applied_version_id = apply_batch(rt, state.campaign_id, state.iteration, planned,
                                                       state.batch)
            except BatchNotRebased as exc:
                state.decision = decide_concurrent_edit(decision, str(exc))
            else:
                if state.applied_version_id is None:
                    state.decision = decide_no_fixes(decision)
    return state


def complete_step(rt: Runtime, state: IterationState) -> IterationState:
    """Write the iteration's summary and decision, marking it complete."""
    state.require("snapshot", "scored", "planned", "decision")
    with measured(rt, state, "complete"):
        rt.tracking.complete_iteration(state.campaign_id, state.iteration, iteration_summary(state))
    state.outcome = IterationOutcome(state.iteration, state.need_snapshot(), state.need_scored(),
                                     state.need_decision(), state.batch, state.applied_version_id)
    return state


def iteration_summary(state: IterationState) -> IterationSummary:
    """The row the tracking store keeps for the iteration (and the policy reads back)."""
    scored, planned, decision, batch, applied = (state.need_scored(), state.need_plan(), state.need_decision(),
                                                 state.batch, state.applied_version_id)
    return IterationSummary(
        score_train=scored.report.score.train, score_holdout=scored.report.score.holdout,
        score_all=scored.report.score.all, objective=scored.objective, counts=scored.report.counts,
        decision="rollback" if decision.rollback and decision.action is Action.CONTINUE else decision.action.value,
        decision_reason=decision.reason, stop_reason=decision.stop_reason.value if decision.stop_reason else None,
        fixes_proposed=len(planned.proposals), fixes_applied=len(batch.accepted) if applied and batch else 0,
        fixes_rejected=len(planned.rejected) + (len(batch.invalid) if batch else 0),
        genie_calls=scored.report.genie_calls, llm_calls=state.llm_calls, cost_usd=state.cost_usd,
        wall_s=state.wall_s, applied_version_id=applied,
    )


def run_iteration(rt: Runtime, campaign_id: str, iteration: int) -> IterationOutcome:
    """Snapshot, score, decide, propose, validate, apply, complete."""
    state = snapshot_step(rt, campaign_id, iteration)
    for step in (score_step, plan_step, validate_step, apply_step, complete_step):
        state = step(rt, state)
    return state.need_outcome()


# --------------------------------------------------------------------------------------------------- apply
def apply_batch(rt: Runtime, campaign_id: str, iteration: int, planned: Plan, batch: Batch) -> str | None:
    """Apply the accepted fixes as one update (etag-checked); returns the new version id, None if not applied.

    When someone else edited the live space since it was exported, their edit is recorded (`external`) and the
    batch is rebased onto it (re-validated, applied with the new etag; `batch` becomes the rebased one). Raises
    `BatchNotRebased` when that fails: nothing of the batch was written."""
    ids = _fix_ids(rt, campaign_id, iteration, batch)
    if not batch.accepted:
        return None
    try:
        return _write_batch(rt, campaign_id, iteration, planned.base_version_id, planned.base_etag, batch, ids)
    except ConcurrentEditError as exc:
        rt.tracking.clear_pending_apply(campaign_id, iteration)
        rt.tracking.record_event(campaign_id, "concurrent_edit", f"{exc}; rebasing the batch onto the edit",
                                 iteration=iteration)
    human, etag, live = record_external(rt, campaign_id, iteration)
    adopt(batch, rebased_batch(rt, batch, live))
    ids = _fix_ids(rt, campaign_id, iteration, batch)
    why = None
    if batch.accepted:
        try:
            return _write_batch(rt, campaign_id, iteration, human, etag, batch, ids)
        except ConcurrentEditError as exc:
            rt.tracking.clear_pending_apply(campaign_id, iteration)
            why = f"the live space changed again while the batch was rebased onto version {human}: {exc}"
    why = why or f"no fix of the batch applies on top of someone else's edit (version {human})"
    rt.tracking.set_fix_status(ids["accepted"], "rejected", f"not applied: {why}")
    rt.tracking.record_event(campaign_id, "concurrent_edit", why, iteration=iteration, data={"version_id": human})
    raise BatchNotRebased(why)


def _write_batch(rt: Runtime, campaign_id: str, iteration: int, base_version_id: str, base_etag: str, batch: Batch,
                 ids: dict[str, list[str]]) -> str:
    """Announce the write (write-ahead row), then put the candidate on the live space with `base_etag`."""
    data = canonical_bytes(batch.candidate)
    version_id = rt.tracking.record_version(data, parent_id=base_version_id, source="apply",
                                            campaign_id=campaign_id, iteration=iteration, etag=None)
    rt.tracking.write_pending_apply(campaign_id, iteration, base_version_id, version_id, base_etag)
    rt.backend.store.update(batch.candidate, base_etag)
    rt.tracking.set_fix_status(ids["accepted"], "applied", "validated and applied")
    record_write(rt, campaign_id, iteration, batch.base, batch.candidate, f"batch {version_id}")
    return version_id


def _fix_ids(rt: Runtime, campaign_id: str, iteration: int, batch: Batch) -> dict[str, list[str]]:
    """Mark invalid fixes; return the tracking ids of the accepted ones."""
    by_key = {f.fix_key: f.fix_id for f in rt.tracking.fixes(campaign_id, iteration)}
    for proposal, reason in batch.invalid:
        fid = by_key.get(proposal.fix.key)
        if fid:
            rt.tracking.set_fix_status([fid], "invalid", reason)
    return {"accepted": [by_key[p.fix.key] for p in batch.accepted if p.fix.key in by_key]}
