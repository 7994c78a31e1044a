"""The iteration's steps as the Dagster assets call them, one asset per step, each under the space's driver lease.

A live iteration (the campaign's next one) runs the real step; an iteration that already completed takes the
read-only path of `historical` (re-score its recorded config, report what was recorded, never write the live
space). The decision is taken exactly as in `run_iteration`, by the same pure policy over the same history.
"""

from __future__ import annotations

from genie_enhance.engine.campaign import begin_next_iteration, finish
from genie_enhance.engine.iteration import historical
from genie_enhance.engine.iteration.state import IterationState
from genie_enhance.engine.iteration.steps import (
    apply_step,
    complete_step,
    plan_step,
    score_step,
    snapshot_step,
    validate_step,
)
from genie_enhance.engine.lease import iteration_step
from genie_enhance.engine.partition_keys import partition_key
from genie_enhance.engine.policy import Action
from genie_enhance.engine.runtime import Runtime


def runtime_for(rt: Runtime, state: IterationState) -> Runtime:
    """The runtime a step of this iteration may use: write-guarded for a completed iteration."""
    return historical.guarded(rt, state.campaign_id, state.iteration) if state.historical else rt


def open_iteration(rt: Runtime, campaign_id: str, iteration: int) -> IterationState:
    """Snapshot the live config for the campaign's next iteration, or load a completed iteration's record."""
    if historical.is_complete(rt, campaign_id, iteration):
        return historical.open_recorded(rt, campaign_id, iteration)
    with _driver(rt, campaign_id, iteration):
        begin_next_iteration(rt, campaign_id, iteration)
        return snapshot_step(rt, campaign_id, iteration)


def _driver(rt: Runtime, campaign_id: str, iteration: int, *, last: bool = False):
    """The space's lease for one step of a live iteration (one driver per campaign; see `engine.lease`)."""
    return iteration_step(rt.tracking, rt.settings.space_key, campaign_id,
                          partition_key(rt.settings.space_key, campaign_id, iteration), last=last)


def score(rt: Runtime, state: IterationState) -> IterationState:
    if state.historical:
        return historical.rescore(runtime_for(rt, state), state)
    with _driver(rt, state.campaign_id, state.iteration):
        return score_step(rt, state)


def plan(rt: Runtime, state: IterationState) -> IterationState:
    if state.historical:
        return historical.recorded_fixes(runtime_for(rt, state), state)
    with _driver(rt, state.campaign_id, state.iteration):
        return plan_step(rt, state)


def validate(rt: Runtime, state: IterationState) -> IterationState:
    if state.historical:
        return state
    with _driver(rt, state.campaign_id, state.iteration):
        return validate_step(rt, state)


def apply(rt: Runtime, state: IterationState) -> IterationState:
    if state.historical:
        return state
    with _driver(rt, state.campaign_id, state.iteration):
        return apply_step(rt, state)


def complete(rt: Runtime, state: IterationState) -> IterationState:
    """Complete the iteration; a stop decision also finishes the campaign (idempotent)."""
    if state.historical:
        return state
    with _driver(rt, state.campaign_id, state.iteration, last=True):
        state = complete_step(rt, state)
        if state.need_decision().action is Action.STOP:
            finish(rt, state.campaign_id)
    return state
