"""The six steps of one iteration, each measured into the `IterationState`, and `run_iteration`, which chains them.

The CLI runs `run_iteration` (through the Dagster job, one asset per step: see `asset_steps`); each step checks
that the steps it depends on ran first.
"""

from __future__ import annotations

from genie_enhance.engine.batch import build_batch
from genie_enhance.engine.iteration.apply import apply_batch
from genie_enhance.engine.iteration.plan import plan
from genie_enhance.engine.iteration.score import score
from genie_enhance.engine.iteration.snapshot import snapshot
from genie_enhance.engine.iteration.state import IterationOutcome, IterationState, iteration_summary, measured
from genie_enhance.engine.policy import Action, decide_concurrent_edit, decide_no_fixes
from genie_enhance.engine.propagation import wait_for_propagation
from genie_enhance.engine.rebase import BatchNotRebased
from genie_enhance.engine.runtime import Runtime


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


def run_iteration(rt: Runtime, campaign_id: str, iteration: int) -> IterationOutcome:
    """Snapshot, score, decide, propose, validate, apply, complete."""
    state = snapshot_step(rt, campaign_id, iteration)
    for step in (score_step, plan_step, validate_step, apply_step, complete_step):
        state = step(rt, state)
    return state.need_outcome()
