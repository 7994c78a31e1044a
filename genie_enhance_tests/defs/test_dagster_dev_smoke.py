"""`dagster dev` end to end: a campaign launched through the GraphQL API (the launchpad's path) is driven by the
daemon's campaign sensor, one iteration run per partition, to its stop reason; then the server stops cleanly.

The server is the session's shared one (`dagster_dev_session`: the UI module reuses it and then checks the clean
stop; the session's end checks it otherwise). Its project lives in a tmp directory (genie_enhance.yaml over a fresh
demo build, its own DAGSTER_HOME), so nothing is written into the repository.
"""

from __future__ import annotations

import json
import statistics
import time
from dataclasses import dataclass

import dagster
import pytest

from genie_enhance.defs.config import load_config
from genie_enhance.defs.jobs import ITERATION_JOB, START_JOB
from genie_enhance.defs.launch import CAMPAIGN_TAG, DRIVER_TAG, PREFIX_TAG, SPACE_TAG, START_TAG
from genie_enhance.defs.sensors import MIN_INTERVAL_S, SENSOR_NAME
from genie_enhance.engine.partition_keys import campaign_prefix
from genie_enhance.tracking import TrackingStore
from genie_enhance_tests.support.dagster_dev import SMOKE_SPACE, DagsterDev, DagsterDevError, SharedDagsterDev

pytestmark = pytest.mark.timeout(600)  # the module fixtures (server start, whole campaign) count into a test's time

MAX_ITERATIONS = 3
LAUNCH_CONFIG = {"space": SMOKE_SPACE, "target": 0.99, "max_iterations": MAX_ITERATIONS, "holdout": 0.3, "seed": 0}
CAMPAIGN_TIMEOUT_S = 300
LOOP_ASSETS = ["space_config", "benchmark_results", "proposed_fixes", "validated_config", "applied_config",
               "lessons_learned", "evolution_metrics"]


@dataclass
class Campaign:
    server: DagsterDev
    campaign_id: str
    prefix: str
    start_run: dict
    runs: list[dict]  # the iteration runs, oldest first
    metrics: list[dict]  # evolution_metrics materializations of the campaign, oldest first
    finished_note: str
    wall_s: float


def _tags(run: dict) -> dict[str, str]:
    return {tag["key"]: tag["value"] for tag in run["tags"]}


def _fail_on_failed_run(server: DagsterDev, runs: list[dict]) -> None:
    """A failed iteration is a bug here (the sensor would retry it): stop waiting and show why."""
    for run in runs:
        if run["status"] in ("FAILURE", "CANCELED"):
            raise DagsterDevError(f"iteration run {run['runId']} ({_tags(run).get('dagster/partition')}) "
                                  f"{run['status']}: {server.run_failures(run['runId'])}")


def _finished_note(server: DagsterDev, campaign_id: str) -> str | None:
    """The sensor's skip note once it saw the campaign finished (it reads only the instance), else None."""
    _fail_on_failed_run(server, server.runs(job=ITERATION_JOB, tags={CAMPAIGN_TAG: campaign_id}))
    for tick in server.sensor(SENSOR_NAME, ticks=5)["sensorState"]["ticks"]:
        for note in (tick["skipReason"] or "").split("; "):
            if note.startswith(f"{campaign_id}: finished"):
                return note
    return None


@pytest.fixture(scope="module")
def server(dagster_dev_session: SharedDagsterDev) -> DagsterDev:
    return dagster_dev_session.get()


@pytest.fixture(scope="module")
def campaign(server: DagsterDev) -> Campaign:
    """Launch start_campaign with run config and wait until the daemon's sensor reports the campaign finished."""
    started = time.monotonic()
    start_id = server.launch_run(START_JOB, {"ops": {"new_campaign": {"config": LAUNCH_CONFIG}}})
    start_run = server.wait_for_run(start_id, timeout_s=120)
    assert start_run["status"] == "SUCCESS", server.run_failures(start_id)
    tags = _tags(start_run)
    campaign_id = tags[CAMPAIGN_TAG]
    note = server.wait_until(lambda: _finished_note(server, campaign_id), CAMPAIGN_TIMEOUT_S,
                             f"the campaign sensor to finish campaign {campaign_id}", poll_s=1)
    runs = sorted(server.runs(job=ITERATION_JOB, tags={CAMPAIGN_TAG: campaign_id}), key=lambda r: r["creationTime"])
    metrics = sorted((m for m in server.materializations("evolution_metrics")
                      if m["partition"].startswith(tags[PREFIX_TAG] + "-i")), key=lambda m: int(m["timestamp"]))
    return Campaign(server, campaign_id, tags[PREFIX_TAG], start_run, runs, metrics, note, time.monotonic() - started)


def test_server_answers_graphql_with_the_project_loaded(server: DagsterDev):
    assert server.version() == dagster.__version__
    assert server.location == "genie_enhance"
    sensor = server.sensor(SENSOR_NAME)
    assert sensor["sensorState"]["status"] == "RUNNING"  # default_status: no manual start needed
    assert sensor["minIntervalSeconds"] == MIN_INTERVAL_S
    commands = " | ".join(p.command for p in server.processes_at_ready)
    for part in ("dagster dev", "dagster_webserver", "dagster._daemon", "dagster api grpc"):
        assert part in commands, f"{part} not among the server's processes: {commands}"


def test_the_launched_run_announces_the_campaign(campaign: Campaign):
    tags = _tags(campaign.start_run)
    assert tags[START_TAG] == "1" and tags[SPACE_TAG] == SMOKE_SPACE
    assert campaign.prefix == campaign_prefix(SMOKE_SPACE, campaign.campaign_id)
    assert tags[CAMPAIGN_TAG] == campaign.campaign_id


def test_the_sensor_drives_the_campaign_to_the_engines_stop_reason(campaign: Campaign,
                                                                   dagster_dev_session: SharedDagsterDev):
    """Which stop reason the demo reaches depends on the proposers; what must hold is that Dagster stopped exactly
    where the engine's policy (recorded in the tracking store) said stop, after at least one `continue`."""
    config = load_config(dagster_dev_session.project.config)
    store = TrackingStore(config.tracking_path)  # no run is active now: the DuckDB file is free
    record, history = store.campaign(campaign.campaign_id), store.history(campaign.campaign_id)
    decisions = [(m["metadata"]["decision"], m["metadata"]["stop_reason"] or None) for m in campaign.metrics]
    assert decisions == [(h.decision, h.stop_reason) for h in history]
    assert record.status == "finished" and decisions[-1] == ("stop", record.stop_reason)
    assert record.stop_reason in {"max_iterations", "no_fixes", "stalled", "converged"}  # no cost or time caps set
    assert all(decision in ("continue", "rollback") for decision, _ in decisions[:-1]) and len(decisions) >= 2
    if record.stop_reason == "max_iterations":
        assert len(decisions) == MAX_ITERATIONS
    else:
        assert len(decisions) < MAX_ITERATIONS
    last_key = f"{campaign.prefix}-i{len(decisions):04d}"
    assert campaign.finished_note == f"{campaign.campaign_id}: finished ({record.stop_reason}) at {last_key}"
    scores = [m["metadata"]["score_all"] for m in campaign.metrics]
    assert max(scores) > scores[0]  # the loop improved the bare demo config


def test_one_sensor_run_per_iteration_partition(campaign: Campaign):
    expected = [f"{campaign.prefix}-i{n:04d}" for n in range(1, len(campaign.metrics) + 1)]
    assert [_tags(run)["dagster/partition"] for run in campaign.runs] == expected
    assert [run["status"] for run in campaign.runs] == ["SUCCESS"] * len(expected)
    for run, key in zip(campaign.runs, expected):
        tags = _tags(run)
        assert tags["dagster/run_key"] == f"{key}#a0" and tags["dagster/sensor_name"] == SENSOR_NAME
        assert tags[DRIVER_TAG] == "sensor"
        assert run["stats"]["stepsSucceeded"] == len(LOOP_ASSETS) and run["stats"]["stepsFailed"] == 0
    assert [m["partition"] for m in campaign.metrics] == expected
    assert [k for k in campaign.server.partition_keys("space_config") if k.startswith(campaign.prefix)] == expected


def test_every_loop_asset_materialized_in_every_iteration(campaign: Campaign):
    expected = {f"{campaign.prefix}-i{n:04d}" for n in range(1, len(campaign.runs) + 1)}
    for asset in LOOP_ASSETS:
        assert {m["partition"] for m in campaign.server.materializations(asset)} == expected, asset


def test_per_iteration_time_under_dagster_dev(campaign: Campaign, record_property):
    runs = campaign.runs
    run_s = [run["endTime"] - run["startTime"] for run in runs]
    launch_s = [run["startTime"] - run["creationTime"] for run in runs]  # sensor request → run process started
    queued_s = [run["stats"]["launchTime"] - run["creationTime"] for run in runs]  # waiting for the run queue
    gaps_s = [after["creationTime"] - before["endTime"] for before, after in zip(runs, runs[1:])]  # sensor reaction
    measured = {
        "iterations": len(runs), "per_iteration_s_mean": round(statistics.mean(run_s), 2),
        "per_iteration_s_max": round(max(run_s), 2), "launch_latency_s_mean": round(statistics.mean(launch_s), 2),
        "queued_s_mean": round(statistics.mean(queued_s), 2),
        "sensor_gap_s_mean": round(statistics.mean(gaps_s), 2) if gaps_s else None,
        "campaign_wall_s": round(campaign.wall_s, 1),
    }
    print(f"\ndagster dev per-iteration time: {json.dumps(measured)}")
    record_property("dagster_dev_iteration_time", json.dumps(measured))
    assert all(0 < s < 120 for s in run_s + launch_s)
    assert all(gap >= 0 for gap in gaps_s)  # each iteration was requested only after the previous one ended

