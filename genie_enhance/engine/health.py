"""The nightly health check: score a space's live config as it is, outside any campaign, and never write it.

Drift (an external edit, a changed warehouse, new benchmarks) shows up as an objective below target; the caller
then starts a campaign through the same start path as the launchpad.
"""

from __future__ import annotations

import time

from genie_enhance.engine.iteration.score import objective_of
from genie_enhance.engine.runtime import Runtime
from genie_enhance.scoring.runner import score_benchmarks
from genie_enhance.space.io import canonical_bytes
from genie_enhance.tracking import HealthCheck, version_id_for


def check_live(rt: Runtime) -> HealthCheck:
    """Score the live config against the benchmarks (read-only: the space store is write-guarded)."""
    started = time.monotonic()
    backend = rt.backend.read_only("a health check only scores the live config")
    space, _ = backend.store.export()
    split = rt.split
    report = score_benchmarks(
        rt.benchmarks, backend.genie, backend.warehouse, split=split, concurrency=rt.settings.concurrency,
        rate_per_minute=rt.settings.rate_per_minute, options=rt.settings.compare_options(),
        expected_cache=rt.expected_cache, config_version=version_id_for(canonical_bytes(space)),
    )
    return HealthCheck(
        space_key=rt.settings.space_key, config_version_id=report.config_version,
        score_train=report.score.train, score_holdout=report.score.holdout,
        score_all=report.score.all, objective=objective_of(report.score, bool(split.holdout)),
        target=rt.settings.target, counts=report.counts, genie_calls=report.genie_calls,
        wall_s=time.monotonic() - started,
    )


def start_needed(rt: Runtime, check: HealthCheck) -> tuple[bool, str]:
    """Whether the check calls for a new campaign, and why (or why not)."""
    if not check.below_target:
        return False, f"objective {check.objective} meets the target {check.target}"
    running = rt.tracking.latest_campaign(rt.settings.space_key)
    if running is not None and running.status == "running":
        return False, f"below target, but campaign {running.campaign_id} is already running"
    return True, f"objective {check.objective} below the target {check.target}: starting a campaign"
