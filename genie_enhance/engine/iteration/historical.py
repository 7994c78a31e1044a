"""The read-only path for an iteration that already completed (a "historical" iteration).

Re-running a completed iteration (e.g. re-materializing an old Dagster partition) must never re-apply an old
config to the live space nor rewrite what was recorded. So it re-scores THAT iteration's recorded config version
(its exact bytes from the tracking store) with a Genie answering from those bytes, against the warehouse, and
reports the recorded decision and fixes. The runtime it uses has a space store that refuses every update.
"""

from __future__ import annotations

from dataclasses import replace

from genie_enhance.core.protocols import Genie
from genie_enhance.diagnosis import diagnose_all
from genie_enhance.engine.iteration.score import Scored, objective_of
from genie_enhance.engine.iteration.snapshot import Snapshot
from genie_enhance.engine.iteration.state import IterationState, measured
from genie_enhance.engine.runtime import Runtime
from genie_enhance.errors import GenieEnhanceError
from genie_enhance.scoring.runner import score_benchmarks
from genie_enhance.space.io import canonical_bytes, parse_space
from genie_enhance.tracking import version_id_for


def is_complete(rt: Runtime, campaign_id: str, iteration: int) -> bool:
    """True when the iteration already completed: only the read-only path may touch it."""
    record = rt.tracking.iteration(campaign_id, iteration)
    return record is not None and record.complete


def guarded(rt: Runtime, campaign_id: str, iteration: int) -> Runtime:
    """The runtime with a space store that refuses writes (shares caches and the tracking store)."""
    why = f"iteration {iteration} of campaign {campaign_id} is complete; re-running it is read-only"
    return replace(rt, backend=rt.backend.read_only(why))


def open_recorded(rt: Runtime, campaign_id: str, iteration: int) -> IterationState:
    """A state holding the iteration's record and its recorded config version (nothing written)."""
    record = rt.tracking.iteration(campaign_id, iteration)
    if record is None or not record.complete:
        raise GenieEnhanceError(f"iteration {iteration} of campaign {campaign_id} is not complete")
    state = IterationState(campaign_id, iteration, record=record)
    with measured(rt, state, "snapshot"):
        data = rt.tracking.version_bytes(record.config_version_id)
        space = parse_space(data.decode("utf-8"), source=f"version {record.config_version_id}")
        state.snapshot = Snapshot(record.config_version_id, "", space, data, "recorded")
    return state


def _genie_for(rt: Runtime, state: IterationState) -> Genie:
    """A Genie answering from the recorded config; the live Genie only when the live config is those bytes."""
    snap = state.need_snapshot()
    if rt.backend.answer_for is not None:
        return rt.backend.answer_for(snap.space)
    live, _ = rt.backend.store.export()
    if version_id_for(canonical_bytes(live)) == snap.version_id:
        return rt.backend.genie
    raise GenieEnhanceError(
        f"cannot re-score version {snap.version_id} of iteration {state.iteration}: the "
        f"{rt.backend.name} backend answers only from the live space, and a completed iteration never writes it"
    )


def rescore(rt: Runtime, state: IterationState) -> IterationState:
    """Score the recorded config version again (results are reported, not recorded)."""
    state.require("record")
    snap = state.need_snapshot()
    with measured(rt, state, "score"):
        split = rt.split
        report = score_benchmarks(
            rt.benchmarks, _genie_for(rt, state), rt.backend.warehouse, split=split,
            concurrency=rt.settings.concurrency, rate_per_minute=rt.settings.rate_per_minute,
            options=rt.settings.compare_options(), expected_cache=rt.expected_cache,
            config_version=snap.version_id,
        )
        diagnoses = diagnose_all(report.questions, rt.catalog, snap.space)
        state.scored = Scored(report, diagnoses, objective_of(report.score, bool(split.holdout)))
    return state


def recorded_fixes(rt: Runtime, state: IterationState) -> IterationState:
    """The fixes the iteration proposed, with the status they ended in."""
    state.require("record")
    with measured(rt, state, "plan"):
        state.fixes = rt.tracking.fixes(state.campaign_id, state.iteration)
    return state
