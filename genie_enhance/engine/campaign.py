"""A whole campaign: iterations until the policy stops it, resumable after a crash.

An iteration is marked complete only at its very end, and every write to the live space (a batch, a rollback) is
announced in a write-ahead row first, so a process killed at any point resumes cleanly: whatever the unfinished
iteration wrote to the live space is undone (its snapshot version is put back, byte for byte), the iteration's
rows are discarded, and it is redone from the same config, deciding exactly as an uninterrupted run would.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from genie_enhance.engine.admission import SPACE_WARNING
from genie_enhance.engine.iteration.apply import apply_batch
from genie_enhance.engine.iteration.plan import inconclusive_shares, scored_points
from genie_enhance.engine.iteration.state import IterationOutcome
from genie_enhance.engine.iteration.steps import run_iteration
from genie_enhance.engine.leakage import check_final_space
from genie_enhance.engine.policy import Action, best_iteration, conclusive
from genie_enhance.engine.propagation import record_write
from genie_enhance.engine.runtime import Runtime
from genie_enhance.engine.versions import write_version
from genie_enhance.errors import GenieEnhanceError
from genie_enhance.space.io import canonical_bytes
from genie_enhance.space.model import SerializedSpace
from genie_enhance.tracking import CampaignSpec, PendingApplyRecord

BENCHMARK_WARNING = "benchmark_warning"  # event kind: something in the benchmark files was skipped or kept as metadata

__all__ = ["BENCHMARK_WARNING", "IterationOutcome", "IterationRunner", "apply_batch", "begin_next_iteration", "finish",
           "resume", "run_campaign", "run_iteration", "start_or_resume"]


def start_or_resume(rt: Runtime, *, new: bool = False) -> str:
    """The running campaign of this space (resumed), or a new one; either way, the warnings of the benchmark
    files it runs on and of its starting config are recorded as its events."""
    latest = None if new else rt.tracking.latest_campaign(rt.settings.space_key)
    if latest is not None and latest.status == "running":
        resume(rt, latest.campaign_id)
        campaign_id = latest.campaign_id
    else:
        spec = CampaignSpec(
            space_key=rt.settings.space_key, backend=rt.settings.backend, target=rt.settings.target,
            max_iterations=rt.settings.max_iterations, holdout_fraction=rt.settings.holdout, seed=rt.settings.seed,
            settings=rt.settings.model_dump(mode="json"), holdout_ids=sorted(rt.split.holdout_ids),
        )
        campaign_id = rt.tracking.start_campaign(spec)
    for warning in rt.benchmark_warnings:
        rt.tracking.record_event(campaign_id, BENCHMARK_WARNING, str(warning), data=warning.to_dict())
    for problem in rt.space_warnings:
        rt.tracking.record_event(campaign_id, SPACE_WARNING, str(problem), data=problem.to_dict())
    return campaign_id


def resume(rt: Runtime, campaign_id: str) -> None:
    """Undo what a killed process wrote to the live space in an iteration it never completed, then drop that
    iteration's rows so it is redone from the config it started with."""
    pending = rt.tracking.pending_apply(campaign_id)
    note: tuple[str, dict] | None = None
    written: tuple[SerializedSpace, SerializedSpace] | None = None  # (before, after) of a restoring write
    if pending is not None:
        space, _ = rt.backend.store.export()
        outcome = pending.outcome(canonical_bytes(space))
        data: dict[str, Any] = {"iteration": pending.iteration, "outcome": outcome,
                "candidate_version_id": pending.candidate_version_id}
        message = (f"iteration {pending.iteration} was interrupted; its write to the live space was "
                   f"{outcome.replace('_', ' ')}")
        if outcome != "external":  # an outside edit since then wins: the redo snapshots it as `external`
            data["restored_version_id"] = _start_version(rt, campaign_id, pending)
            restored, _ = write_version(rt, data["restored_version_id"], campaign_id)
            message += f"; restored the iteration's starting version {data['restored_version_id']}"
            if canonical_bytes(restored) != canonical_bytes(space):
                written = (space, restored)
        note = (message, data)
        rt.tracking.clear_pending_apply(campaign_id)
    dropped = rt.tracking.discard_incomplete(campaign_id)  # drops those iterations' events too: record after it
    if note is not None:
        rt.tracking.record_event(campaign_id, "resume", note[0], data=note[1])
    if written is not None and note is not None:  # a restoring write always comes with its note
        record_write(rt, campaign_id, None, *written, f"version {note[1]['restored_version_id']}")
    if dropped:
        rt.tracking.record_event(campaign_id, "resume", f"discarded incomplete iterations {dropped}",
                                 data={"iterations": dropped})


def _start_version(rt: Runtime, campaign_id: str, pending: PendingApplyRecord) -> str:
    """The config the interrupted iteration started from (its snapshot; it may have rolled back and then applied
    a batch on top), or the write-ahead row's base when the iteration row is missing or the base is someone
    else's edit the batch was rebased onto."""
    external = {v.version_id for v in rt.tracking.versions(campaign_id) if v.source == "external"}
    if pending.base_version_id in external:  # a batch rebased onto someone else's edit: keep their edit live
        return pending.base_version_id
    started = rt.tracking.iteration(campaign_id, pending.iteration)
    if started is not None and not started.complete:
        return started.config_version_id
    return pending.base_version_id


IterationRunner = Callable[[Runtime, str, int], IterationOutcome]


def run_campaign(
    rt: Runtime, *, new: bool = False, on_iteration: Callable[[IterationOutcome], None] | None = None,
    run_one: IterationRunner = run_iteration,
) -> str:
    """Run (or resume) the space's campaign until the policy stops it; returns the campaign id.

    `run_one(rt, campaign_id, iteration)` runs one iteration: in-process by default; the Dagster front end passes
    one that materializes the iteration's partition, so both take the same decisions from the same history."""
    campaign_id = start_or_resume(rt, new=new)
    last = rt.tracking.last_complete_iteration(campaign_id) or 0
    finished = _stopped(rt, campaign_id)
    iteration = last
    while not finished:
        iteration += 1
        outcome = run_one(rt, campaign_id, iteration)
        if on_iteration is not None:
            on_iteration(outcome)
        finished = outcome.decision.action is Action.STOP
    finish(rt, campaign_id)
    return campaign_id


def begin_next_iteration(rt: Runtime, campaign_id: str, iteration: int) -> None:
    """Check that `iteration` is the campaign's next one, then settle what a failed earlier attempt left behind
    (a pending batch, incomplete rows), so a retried iteration starts from the same config."""
    campaign = rt.tracking.campaign(campaign_id)
    if campaign.status != "running":
        raise GenieEnhanceError(f"campaign {campaign_id} is {campaign.status} ({campaign.stop_reason}); "
                                f"iteration {iteration} cannot run")
    last = rt.tracking.last_complete_iteration(campaign_id) or 0
    if iteration != last + 1:
        raise GenieEnhanceError(f"campaign {campaign_id}: iteration {iteration} cannot run next; "
                                f"the last complete iteration is {last}, so the next one is {last + 1}")
    if _stopped(rt, campaign_id):
        finish(rt, campaign_id)  # a driver died between the stop decision and finishing the campaign
        raise GenieEnhanceError(f"campaign {campaign_id} already stopped after iteration {last}")
    resume(rt, campaign_id)


def _stopped(rt: Runtime, campaign_id: str) -> bool:
    history = rt.tracking.history(campaign_id)
    return bool(history) and history[-1].decision == "stop"


def finish(rt: Runtime, campaign_id: str) -> None:
    """Mark the campaign finished with its stop reason and best version, after checking the config it leaves
    live for leaks of the holdout (recorded as the `leak_check` event)."""
    history = rt.tracking.history(campaign_id)
    if not history:
        return
    check_final_space(rt, campaign_id)
    points = scored_points(history, inconclusive_shares(rt, campaign_id))
    best = best_iteration(conclusive(points, rt.settings.policy()) or points)
    rt.tracking.finish_campaign(campaign_id, history[-1].stop_reason or "stopped", best.version_id)
