"""Monitoring assets: the nightly health check of each space and the daily history roll-up per space.

`space_health` (per space) scores the live config read-only and records it; below target it starts a campaign
through the same start path as the launchpad. `space_history` (day × space) rolls up a day's campaigns,
iterations and health checks from the tracking store; past days can be backfilled at any time.
"""

from collections.abc import Sequence
from datetime import date

import dagster as dg
from dagster_duckdb import DuckDBResource

from genie_enhance.defs import metadata as md
from genie_enhance.defs.launch import launch_campaign
from genie_enhance.defs.partitions import days_by_space, spaces
from genie_enhance.defs.resources import RuntimeProvider
from genie_enhance.engine.health import check_live, start_needed
from genie_enhance.tracking import DailyRollup, TrackingStore
from genie_enhance.tracking.health import daily_rollup

MONITORING = "monitoring"


def _num(value: float | None) -> dg.MetadataValue:
    return dg.MetadataValue.text("n/a") if value is None else dg.MetadataValue.float(float(value))


def build_health_asset(space_keys: Sequence[str]) -> dg.AssetsDefinition:
    @dg.asset(name="space_health", partitions_def=spaces(space_keys), group_name=MONITORING, kinds={"python"})
    def space_health(context: dg.AssetExecutionContext,
                     genie: dg.ResourceParam[RuntimeProvider]) -> dg.MaterializeResult:
        """The live config's scores right now (never written); below target starts a campaign."""
        rt = genie.runtime(genie.settings(context.partition_key))
        check = check_live(rt)
        start, note = start_needed(rt, check)
        started = launch_campaign(context.instance, context.run.run_id, genie, check.space_key) if start else None
        check = check.model_copy(update={"note": note, "started_campaign_id": started.campaign_id if started else None})
        rt.tracking.record_health_check(check)
        context.log.info(f"{check.space_key}: {note}")
        return dg.MaterializeResult(metadata={
            "score_train": _num(check.score_train), "score_holdout": _num(check.score_holdout),
            "score_all": _num(check.score_all), "objective": _num(check.objective), "target": _num(check.target),
            "below_target": dg.MetadataValue.bool(check.below_target), "genie_calls": check.genie_calls,
            "version_id": check.config_version_id, "note": note,
            "started_campaign": started.campaign_id if started else "none",
        })

    return space_health


def rollup_metadata(roll: DailyRollup) -> dict:
    finished = [(cid, reason) for cid, reason in roll.campaigns_finished.items()]
    return {
        "campaigns_started": dg.MetadataValue.int(len(roll.campaigns_started)),
        "campaigns_finished": dg.MetadataValue.int(len(roll.campaigns_finished)),
        "iterations_completed": dg.MetadataValue.int(roll.iterations_completed),
        "best_objective": _num(roll.best_objective), "last_objective": _num(roll.last_objective),
        "fixes_applied": dg.MetadataValue.int(roll.fixes_applied),
        "genie_calls": dg.MetadataValue.int(roll.genie_calls),
        "llm_calls": dg.MetadataValue.int(roll.llm_calls), "cost_usd": dg.MetadataValue.float(round(roll.cost_usd, 6)),
        "health_checks": dg.MetadataValue.int(roll.health_checks),
        "health_below_target": dg.MetadataValue.int(roll.health_below_target),
        "last_health_objective": _num(roll.last_health_objective),
        "finished": md.md_table(["campaign", "stop reason"], finished),
    }


def build_history_asset(space_keys: Sequence[str], start: date) -> dg.AssetsDefinition:
    @dg.asset(name="space_history", partitions_def=days_by_space(space_keys, start), group_name=MONITORING,
              kinds={"duckdb"})
    def space_history(context: dg.AssetExecutionContext, tracking_db: DuckDBResource) -> dg.MaterializeResult:
        """One space's day: campaigns started/finished, iterations, best objective, cost, health checks."""
        keys = context.partition_key.keys_by_dimension
        TrackingStore(tracking_db.database)  # creates or migrates the schema before the read
        with tracking_db.get_connection() as conn:
            roll = daily_rollup(conn, keys["space"], date.fromisoformat(keys["date"]))
        return dg.MaterializeResult(metadata=rollup_metadata(roll))

    return space_history
