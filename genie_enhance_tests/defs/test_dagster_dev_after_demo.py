"""`make demo` then `make dev`, for real: the CLI demo (a subprocess, as `make demo` runs it) in a fresh directory,
then `dagster dev` there with no genie_enhance.yaml (the built-in demo space over the demo's files and DAGSTER_HOME).
The daemon's sensor describes the CLI's campaign, and a campaign launched through GraphQL (the launchpad's path,
no config but a short max_iterations) starts from the bare demo space and applies fixes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from genie_enhance.defs.jobs import ITERATION_JOB, START_JOB
from genie_enhance.defs.launch import CAMPAIGN_TAG, PREFIX_TAG
from genie_enhance.defs.sensors import NO_START, SENSOR_NAME
from genie_enhance.engine.partition_keys import partition_key
from genie_enhance_tests.support.dagster_dev import (
    DagsterDev,
    DagsterDevError,
    prepare_home,
    start_dagster_dev,
    stop_problems,
)

pytestmark = pytest.mark.timeout(600)

GENIE_ENHANCE = Path(sys.executable).with_name("genie-enhance")
CAMPAIGN_TIMEOUT_S = 300


@pytest.fixture(scope="module")
def after_demo(tmp_path_factory: pytest.TempPathFactory):
    """(server, CLI demo summary): the demo run in `root`, then `dagster dev` started in `root`."""
    root = tmp_path_factory.mktemp("make-demo")
    home = root / "dagster_home"
    env = {**os.environ, "DAGSTER_HOME": str(home), "GENIE_ENHANCE_CONFIG": ""}
    demo = subprocess.run([str(GENIE_ENHANCE), "demo", "--out", "out/demo", "--json"], cwd=root, env=env,
                          capture_output=True, text=True, timeout=300)
    assert demo.returncode == 0, demo.stderr[-3000:]
    summary = json.loads(demo.stdout.strip().splitlines()[-1])
    prepare_home(home)
    server = start_dagster_dev(home, tmp_path_factory.mktemp("make-demo-logs"), env={"GENIE_ENHANCE_CONFIG": ""},
                               cwd=root)
    try:
        server.wait_ready(120)
        yield server, summary
    finally:
        assert stop_problems(server) == []


def _tags(run: dict) -> dict[str, str]:
    return {tag["key"]: tag["value"] for tag in run["tags"]}


def _skip_notes(server: DagsterDev) -> list[list[str]]:
    ticks = server.sensor(SENSOR_NAME, ticks=5)["sensorState"]["ticks"]
    return [tick["skipReason"].split("; ") for tick in ticks if tick["skipReason"]]


def _finished(server: DagsterDev, campaign_id: str) -> bool:
    for run in server.runs(job=ITERATION_JOB, tags={CAMPAIGN_TAG: campaign_id}):
        if run["status"] in ("FAILURE", "CANCELED"):
            raise DagsterDevError(f"iteration run {run['runId']} {run['status']}: {server.run_failures(run['runId'])}")
    return any(note.startswith(f"{campaign_id}: finished") for notes in _skip_notes(server) for note in notes)


def test_the_daemons_sensor_describes_the_cli_demo(after_demo):
    server, summary = after_demo
    expected = f"{summary['campaign']} (demo, run by the CLI): finished ({summary['stop_reason']}) at " \
               f"{partition_key('demo', summary['campaign'], summary['iterations'])}"
    notes = server.wait_until(lambda: next(iter(_skip_notes(server)), None), 60, "a sensor tick", poll_s=1)
    assert notes == [NO_START, expected]


def test_a_ui_campaign_after_make_demo_applies_fixes(after_demo):
    server, summary = after_demo
    start_id = server.launch_run(START_JOB, {"ops": {"new_campaign": {"config": {"max_iterations": 2}}}})
    start = server.wait_for_run(start_id, timeout_s=120)
    assert start["status"] == "SUCCESS", server.run_failures(start_id)
    campaign_id, prefix = _tags(start)[CAMPAIGN_TAG], _tags(start)[PREFIX_TAG]
    server.wait_until(lambda: _finished(server, campaign_id), CAMPAIGN_TIMEOUT_S, f"campaign {campaign_id}", poll_s=1)
    metrics = sorted((m for m in server.materializations("evolution_metrics") if m["partition"].startswith(prefix)),
                     key=lambda m: m["metadata"]["iteration"])
    assert [m["partition"] for m in metrics] == [f"{prefix}-i{n:04d}" for n in range(1, len(metrics) + 1)]
    applied = sum(m["metadata"]["fixes_applied"] for m in metrics)
    print(f"\nUI campaign after make demo: {len(metrics)} iterations, {applied} fixes applied, score_all "
          f"{[round(m['metadata']['score_all'], 3) for m in metrics]} (CLI demo final {summary['final']['all']:.3f})")
    assert applied >= 1
    assert metrics[0]["metadata"]["score_all"] < summary["final"]["all"]  # the bare space, not the tuned one
    trajectory = server.materializations(f"campaigns/{prefix}")  # the campaign's own asset: one line in its plots
    assert [m["metadata"]["iteration"] for m in reversed(trajectory)] == list(range(1, len(metrics) + 1))
    assert [m["metadata"]["score_all"] for m in reversed(trajectory)] == [m["metadata"]["score_all"] for m in metrics]
