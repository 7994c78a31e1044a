"""Schedules: the nightly health check of every space, and the daily history roll-up of the previous day."""

from collections.abc import Sequence
from datetime import date, timedelta

import dagster as dg

from genie_enhance.defs.jobs import health_job, history_job

HEALTH_SCHEDULE = "nightly_health_check"
HISTORY_SCHEDULE = "daily_history_schedule"


def build_health_schedule(space_keys: Sequence[str], cron: str) -> dg.ScheduleDefinition:
    keys = list(space_keys)

    @dg.schedule(name=HEALTH_SCHEDULE, cron_schedule=cron, job=health_job,
                 default_status=dg.DefaultScheduleStatus.RUNNING,
                 description="Score each space's live config; a score below target starts a campaign.")
    def nightly_health_check(context: dg.ScheduleEvaluationContext) -> list[dg.RunRequest]:
        day = context.scheduled_execution_time.date().isoformat()
        return [dg.RunRequest(run_key=f"health-{key}-{day}", partition_key=key, tags={"genie_enhance/space": key})
                for key in keys]

    return nightly_health_check


def build_history_schedule(space_keys: Sequence[str], start: date) -> dg.ScheduleDefinition:
    """Every day at 03:00, the previous day's roll-up for every space (past days: backfill the partitions)."""
    keys = list(space_keys)

    @dg.schedule(name=HISTORY_SCHEDULE, cron_schedule="0 3 * * *", job=history_job,
                 default_status=dg.DefaultScheduleStatus.RUNNING,
                 description="Roll up the previous day's campaigns and health checks of every space.")
    def daily_history_schedule(context: dg.ScheduleEvaluationContext) -> list[dg.RunRequest] | dg.SkipReason:
        day = (context.scheduled_execution_time - timedelta(days=1)).date()
        if day < start:
            return dg.SkipReason(f"{day} is before history_start {start}")
        return [dg.RunRequest(run_key=f"history-{day}-{key}",
                              partition_key=dg.MultiPartitionKey({"date": day.isoformat(), "space": key}))
                for key in keys]

    return daily_history_schedule
