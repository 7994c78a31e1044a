"""The campaign sensor: drives every started campaign, one iteration partition at a time, to its stop reason.

It reads only the Dagster instance — runs tagged as campaign starts, the `iterations` partitions, runs of the
iteration job, and the latest `evolution_metrics` materialization of a campaign's newest partition — and never
the tracking store or an LLM (it runs in the daemon, under a gRPC timeout). Campaigns the CLI ran through the same
job (runs tagged `driver=cli`) are not driven here but described in the skip reason, so it never says "no
campaign" while the UI shows the CLI's iterations. The decision itself was taken inside the run by the engine's
policy and recorded as metadata (`decision`, `stop_reason`); the sensor only follows it.

Per campaign, its newest partition is in one of these states:
- materialized with decision `stop` → finished (nothing to do);
- materialized with `continue`/`rollback` → add the next partition and request its run (attempt 0);
- a run queued or in progress → wait;
- no run yet, or failed runs fewer than 1 + MAX_RETRIES → request attempt = number of failed runs;
- failed 1 + MAX_RETRIES times → halted: logged, reported in the skip reason, never requested again.
Run keys are `<partition>#a<attempt>` (unique per campaign, iteration and attempt: Dagster dedupes run keys
forever per sensor).
"""

import logging
from dataclasses import dataclass, field

import dagster as dg

from genie_enhance.defs.jobs import ITERATION_JOB, iteration_job
from genie_enhance.defs.launch import (
    ATTEMPT_TAG,
    CAMPAIGN_TAG,
    DRIVER_TAG,
    ITERATION_TAG,
    PREFIX_TAG,
    SPACE_TAG,
    START_TAG,
)
from genie_enhance.defs.partitions import ITERATIONS, iterations
from genie_enhance.engine.partition_keys import next_partition, split_partition

SENSOR_NAME = "campaign_sensor"
MIN_INTERVAL_S = 5
MAX_RETRIES = 2
RECENT_STARTS = 50  # campaigns looked at per tick (newest starts first)
CLI_SHOWN = 3  # CLI campaigns described in the skip reason (newest first)
PARTITION_TAG = "dagster/partition"
NO_START = "no campaign started from Dagster yet (launch the start_campaign job)"
METRICS = dg.AssetKey("evolution_metrics")
IN_FLIGHT = {dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING,
             dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING, dg.DagsterRunStatus.MANAGED}
FAILED = {dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED}


@dataclass(frozen=True)
class Campaign:
    campaign_id: str
    space_key: str
    prefix: str


@dataclass
class Tick:
    requests: list[dg.RunRequest] = field(default_factory=list)
    new_partitions: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def started_campaigns(instance: dg.DagsterInstance) -> list[Campaign]:
    """Campaigns announced by a successful start run (launchpad job or health check), oldest first."""
    records = instance.get_run_records(
        dg.RunsFilter(tags={START_TAG: "1"}, statuses=[dg.DagsterRunStatus.SUCCESS]), limit=RECENT_STARTS)
    found = {}
    for record in reversed(records):
        tags = record.dagster_run.tags
        if PREFIX_TAG in tags and CAMPAIGN_TAG in tags:
            found[tags[PREFIX_TAG]] = Campaign(tags[CAMPAIGN_TAG], tags.get(SPACE_TAG, ""), tags[PREFIX_TAG])
    return list(found.values())


def cli_campaigns(instance: dg.DagsterInstance, started: list[Campaign]) -> list[Campaign]:
    """Campaigns the CLI ran through the iteration job (`genie-enhance run`/`demo`), newest first, at most
    CLI_SHOWN: the sensor does not drive them, but says they exist and where they stand."""
    records = instance.get_run_records(dg.RunsFilter(job_name=ITERATION_JOB, tags={DRIVER_TAG: "cli"}),
                                       limit=RECENT_STARTS)
    known = {campaign.campaign_id for campaign in started}
    found: dict[str, Campaign] = {}
    for record in records:
        tags = record.dagster_run.tags
        campaign_id, key = tags.get(CAMPAIGN_TAG), tags.get(PARTITION_TAG)
        if campaign_id and key and campaign_id not in known and campaign_id not in found:
            found[campaign_id] = Campaign(campaign_id, tags.get(SPACE_TAG, ""), split_partition(key)[0])
    return list(found.values())[:CLI_SHOWN]


def newest_partition(campaign: Campaign, keys: list[str]) -> str | None:
    """The campaign's partition with the highest iteration number."""
    mine = [key for key in keys if split_partition(key)[0] == campaign.prefix]
    return max(mine, key=lambda key: split_partition(key)[1]) if mine else None


def latest_decision(instance: dg.DagsterInstance, key: str) -> tuple[str, str] | None:
    """(decision, stop_reason) of the partition's latest evolution_metrics materialization, if any."""
    result = instance.fetch_materializations(dg.AssetRecordsFilter(asset_key=METRICS, asset_partitions=[key]), limit=1)
    if not result.records:
        return None
    materialization = result.records[0].asset_materialization
    if materialization is None:
        return None
    meta = materialization.metadata
    value = lambda name: str(meta[name].value) if name in meta else ""  # noqa: E731
    return value("decision"), value("stop_reason")


def run_request(campaign: Campaign, key: str, attempt: int) -> dg.RunRequest:
    _, iteration = split_partition(key)
    return dg.RunRequest(
        run_key=f"{key}#a{attempt}", partition_key=key,
        tags={CAMPAIGN_TAG: campaign.campaign_id, SPACE_TAG: campaign.space_key, ITERATION_TAG: str(iteration),
              ATTEMPT_TAG: str(attempt), DRIVER_TAG: "sensor"},
    )


def advance(instance: dg.DagsterInstance, campaign: Campaign, keys: list[str], tick: Tick,
            log: logging.Logger | None = None) -> None:
    """Add to `tick` what this campaign needs now (see the module docstring)."""
    key = newest_partition(campaign, keys)
    if key is None:
        tick.notes.append(f"{campaign.campaign_id}: no partition yet")
        return
    decided = latest_decision(instance, key)
    if decided is not None:
        decision, stop_reason = decided
        if decision == "stop":
            tick.notes.append(f"{campaign.campaign_id}: finished ({stop_reason or 'stopped'}) at {key}")
            return
        following = next_partition(key)
        tick.new_partitions.append(following)
        tick.requests.append(run_request(campaign, following, 0))
        return
    runs = instance.get_runs(dg.RunsFilter(job_name=ITERATION_JOB, tags={"dagster/partition": key}))
    if any(run.status in IN_FLIGHT for run in runs):
        tick.notes.append(f"{campaign.campaign_id}: {key} running")
        return
    failed = sum(run.status in FAILED for run in runs)
    if failed > MAX_RETRIES:
        message = (f"{campaign.campaign_id}: halted, {key} failed {failed} times (1 try + {MAX_RETRIES} retries); "
                   f"fix the cause, then start a new campaign (start_campaign with supersede_running) or "
                   f"re-execute {key} from the UI")
        if log is not None:
            log.warning(message)
        tick.notes.append(message)
        return
    tick.requests.append(run_request(campaign, key, failed))


def describe_cli(instance: dg.DagsterInstance, campaign: Campaign, keys: list[str]) -> str:
    """Where a CLI campaign stands, from its newest partition's latest decision."""
    key = newest_partition(campaign, keys)
    decided = latest_decision(instance, key) if key else None
    where = f"{campaign.campaign_id} ({campaign.space_key}, run by the CLI)"
    if decided is None:
        return f"{where}: {key or 'no partition'} has no evolution_metrics (the CLI run stopped before it)"
    decision, stop_reason = decided
    if decision == "stop":
        return f"{where}: finished ({stop_reason or 'stopped'}) at {key}"
    return f"{where}: last iteration {key} decided {decision} (the CLI drives it: resume with `genie-enhance run`)"


def evaluate(instance: dg.DagsterInstance, log: logging.Logger | None = None) -> Tick:
    """What every started campaign needs now, and where the CLI's campaigns stand."""
    tick = Tick()
    keys = list(instance.get_dynamic_partitions(ITERATIONS))
    started = started_campaigns(instance)
    if not started:
        tick.notes.append(NO_START)
    for campaign in started:
        advance(instance, campaign, keys, tick, log)
    tick.notes += [describe_cli(instance, campaign, keys) for campaign in cli_campaigns(instance, started)]
    return tick


@dg.sensor(name=SENSOR_NAME, job=iteration_job, minimum_interval_seconds=MIN_INTERVAL_S,
           default_status=dg.DefaultSensorStatus.RUNNING,
           description="Drives started campaigns: requests each next iteration partition until evolution_metrics "
                       "says stop; retries a failed iteration at most twice, then halts.")
def campaign_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
    tick = evaluate(context.instance, context.log)
    if not tick.requests:
        return dg.SkipReason("; ".join(tick.notes))
    return dg.SensorResult(run_requests=tick.requests,
                           dynamic_partitions_requests=[iterations.build_add_request(tick.new_partitions)]
                           if tick.new_partitions else [])
