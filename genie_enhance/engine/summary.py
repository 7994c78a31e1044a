"""The machine-readable summary of a campaign (what `run --json` prints), built from the tracking store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from genie_enhance.engine.leakage import guard_summary
from genie_enhance.engine.runtime import Runtime
from genie_enhance.space.io import canonical_bytes
from genie_enhance.tracking import IterationRecord, version_id_for


def _scores(it: IterationRecord | None) -> dict[str, float | None]:
    if it is None:
        return {"train": None, "holdout": None, "all": None}
    return {"train": it.score_train, "holdout": it.score_holdout, "all": it.score_all}


def final_iteration(history: list[IterationRecord], live_version_id: str) -> IterationRecord | None:
    """The last iteration that scored the config now live (after a final rollback: the best one)."""
    matching = [h for h in history if h.config_version_id == live_version_id]
    return matching[-1] if matching else (history[-1] if history else None)


def campaign_summary(rt: Runtime, campaign_id: str, *, final_space: Path | None, report: Path | None) -> dict[str, Any]:
    """Exactly the keys `run --json` promises: `campaign`, `stop_reason`, `iterations`, `initial`/`final` scores
    (train, holdout, all), `best_version`, fix counts, `rollbacks`, Genie/LLM calls, `cost_usd`, `api_errors`,
    `holdout_ids`, `leak_guard` (proposals the leakage guard inspected and stopped, by rule, and the final-space
    check), and the `final_space`/`report` paths."""
    camp = rt.tracking.campaign(campaign_id)
    history = rt.tracking.history(campaign_id)
    space, _ = rt.backend.store.export()
    live = version_id_for(canonical_bytes(space))
    statuses = [f.status for f in rt.tracking.fixes(campaign_id)]
    calls = rt.tracking.llm_calls(campaign_id)
    return {
        "campaign": campaign_id,
        "stop_reason": camp.stop_reason,
        "iterations": len(history),
        "initial": _scores(history[0] if history else None),
        "final": _scores(final_iteration(history, live)),
        "best_version": camp.best_version_id,
        "fixes_applied": sum(s in ("applied", "kept") for s in statuses),
        "fixes_rejected": sum(s in ("invalid", "rejected") for s in statuses),
        "rollbacks": sum(e.kind == "rollback" for e in rt.tracking.events(campaign_id)),
        "genie_calls": sum(h.genie_calls for h in history),
        "llm_calls": len(calls),
        "cost_usd": round(sum(c.cost_usd for c in calls), 6),
        "api_errors": sum(h.counts.get("api_errors", 0) for h in history),
        "holdout_ids": camp.holdout_ids,
        "leak_guard": guard_summary(rt, campaign_id),
        "final_space": str(final_space) if final_space else None,
        "report": str(report) if report else None,
    }
