"""`genie-enhance run` executes the Dagster iteration job in-process, partition by partition, against a persistent
DAGSTER_HOME: the instance afterwards holds every iteration, and the result is the engine's own.

The runs use the session's DAGSTER_HOME (conftest), as successive CLI runs share one home; a new home costs
seconds of SQLite migrations."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import dagster as dg
import pytest
from typer.testing import CliRunner

from genie_enhance.cli import app
from genie_enhance.defs.local_run import dagster_home
from genie_enhance.demo.space_configs import BARE_SPACE
from genie_enhance.engine.build import build_runtime, local_backend
from genie_enhance.engine.campaign import run_campaign
from genie_enhance.engine.partition_keys import partition_key
from genie_enhance.engine.runtime import CampaignSettings
from genie_enhance.engine.summary import campaign_summary
from genie_enhance.tracking import TrackingStore
from genie_enhance_tests.support.dagster_world import BENCHMARKS, demo_dir, metadata
from genie_enhance_tests.support.paths import KPI_PROJECT

FLAGS = ["--max-iterations", "2", "--target", "0.99", "--llm", "off", "--space-key", "shop"]
SAME = ("stop_reason", "iterations", "initial", "final", "best_version", "fixes_applied",
        "fixes_rejected", "rollbacks", "genie_calls", "llm_calls", "holdout_ids")


def cli_run(tmp: Path, demo: Path, *extra: str):
    space = tmp / "space.json"
    shutil.copyfile(demo / BARE_SPACE, space)
    args = ["run", "--benchmarks", str(BENCHMARKS), "--warehouse", str(demo / "demo.duckdb"), "--space", str(space),
            "--out", str(tmp / "out"), *FLAGS, *extra]
    return CliRunner().invoke(app, args)


def instance() -> dg.DagsterInstance:
    return dg.DagsterInstance.from_config(str(dagster_home()))


def job_runs(campaign_id: str) -> list[dg.DagsterRun]:
    return instance().get_runs(dg.RunsFilter(job_name="enhancement_iteration",
                                             tags={"genie_enhance/campaign": campaign_id}))


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory):
    tmp, demo = tmp_path_factory.mktemp("dagster-cli"), demo_dir(tmp_path_factory)
    result = cli_run(tmp, demo, "--json")
    assert result.exit_code == 0, result.output
    return tmp, demo, json.loads(result.stdout.strip().splitlines()[-1])


def test_cli_run_records_every_iteration_in_the_dagster_instance(cli):
    tmp, _, summary = cli
    assert (dagster_home() / "dagster.yaml").read_text().startswith("telemetry:\n  enabled: false")
    store = TrackingStore(tmp / "out" / "tracking.duckdb")
    history = store.history(summary["campaign"])
    prefix = partition_key("shop", summary["campaign"], 1).removesuffix("0001")
    keys = sorted(k for k in instance().get_dynamic_partitions("iterations") if k.startswith(prefix))
    assert keys == [h.partition_key for h in history] and len(keys) == summary["iterations"] == 2
    for record in history:
        metrics = metadata(instance(), "evolution_metrics", record.partition_key)
        assert (metrics["campaign"], metrics["iteration"], metrics["decision"]) == (
            summary["campaign"], record.iteration, record.decision)
        assert metrics["score_all"] == pytest.approx(record.score_all)
    runs = job_runs(summary["campaign"])
    assert len(runs) == 2 and all(r.status == dg.DagsterRunStatus.SUCCESS for r in runs)
    assert {r.tags["genie_enhance/driver"] for r in runs} == {"cli"}
    assert sorted(r.tags["dagster/partition"] for r in runs) == keys
    assert summary["stop_reason"] == "max_iterations"


def test_cli_result_is_the_engines_own(cli, tmp_path):
    _, demo, summary = cli
    space = tmp_path / "space.json"
    shutil.copyfile(demo / BARE_SPACE, space)
    settings = CampaignSettings(space_key="shop", benchmarks=str(BENCHMARKS), max_iterations=2, target=0.99)
    rt = build_runtime(settings, local_backend(demo / "demo.duckdb", space), tmp_path / "out")
    try:
        direct = campaign_summary(rt, run_campaign(rt), final_space=None, report=None)
    finally:
        rt.close()
    assert {k: summary[k] for k in SAME} == {k: direct[k] for k in SAME}


def test_cli_progress_output_is_unchanged(tmp_path, tmp_path_factory):
    result = cli_run(tmp_path, demo_dir(tmp_path_factory), "--max-iterations", "1")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert any(line.startswith("iteration 1: train ") for line in lines)
    assert "dagster" not in result.output.lower(), "Dagster's own logs stay in the instance"
    assert any("campaign c" in line and "max_iterations" in result.output for line in lines)


def test_dry_run_runs_no_job(tmp_path, tmp_path_factory):
    result = cli_run(tmp_path, demo_dir(tmp_path_factory), "--dry-run", "--json")
    assert result.exit_code == 0, result.output
    campaign = TrackingStore(tmp_path / "out" / "tracking.duckdb").latest_campaign("shop")
    assert campaign.stop_reason == "dry_run" and job_runs(campaign.campaign_id) == []


def test_dagster_home_defaults_to_the_working_directory(tmp_path):
    assert dagster_home({}, cwd=tmp_path) == tmp_path / "dagster_home"
    assert dagster_home({"DAGSTER_HOME": str(tmp_path / "h")}, cwd=Path("/")) == tmp_path / "h"


PROJECT = KPI_PROJECT


def test_cli_run_on_user_files_materializes_benchmarks_and_shows_labels_and_warnings(tmp_path, tmp_path_factory):
    """A campaign on a real project's files (JSON lists with `kpi_001` ids, numbered Korean markdown, an INDEX.md):
    the `benchmarks` asset is materialized by this run with the labels; each warning is printed once on stderr and
    recorded as a campaign event; the labels reach the tracking store and the report."""
    from genie_enhance.benchmarks import load_benchmark_set
    from genie_enhance.defs.launch import DRIVER_TAG, SPACE_TAG

    demo = demo_dir(tmp_path_factory)
    space = tmp_path / "space.json"
    shutil.copyfile(demo / BARE_SPACE, space)
    args = ["run", "--benchmarks", str(PROJECT), "--warehouse", str(demo / "demo.duckdb"), "--space", str(space),
            "--out", str(tmp_path / "out"), "--max-iterations", "1", "--llm", "off", "--space-key", "kpi-project",
            "--json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    warnings = [str(w) for w in load_benchmark_set(PROJECT).warnings]
    assert [line for line in result.stderr.splitlines() if line.startswith("warning: ")] == [
        f"warning: {w}" for w in warnings]

    records = instance().fetch_materializations(dg.AssetKey("benchmarks"), limit=50).records
    ours = [r for r in records if instance().get_run_by_id(r.run_id).tags.get(SPACE_TAG) == "kpi-project"]
    assert len(ours) == 1 and instance().get_run_by_id(ours[0].run_id).tags[DRIVER_TAG] == "cli"
    meta = {k: v.value for k, v in ours[0].asset_materialization.metadata.items()}
    assert (meta["kpi-project/questions"], meta["kpi-project/warnings"]) == (11, 7)
    assert "| kpi_001 |" in meta["benchmarks"] and "INDEX.md" in meta["warnings"]

    store = TrackingStore(tmp_path / "out" / "tracking.duckdb")
    events = [e for e in store.events(summary["campaign"]) if e.kind == "benchmark_warning"]
    assert [e.message for e in events] == warnings
    assert events[0].data["file"].endswith("INDEX.md")
    rows = {r.label: r for r in store.results(summary["campaign"], 1)}
    assert {"kpi_001", "kpi_004", "kpi_101", None} <= set(rows) and len(store.results(summary["campaign"], 1)) == 11
    assert rows["kpi_001"].question == "What is the total revenue?"
    (first,) = store.history(summary["campaign"])
    failures = metadata(instance(), "benchmark_results", first.partition_key)["failures"]
    failing = [r for r in store.results(summary["campaign"], 1) if r.verdict != "pass" and r.label]
    assert failing and all(f"| {r.question_id[:8]} | {r.label} |" in failures for r in failing)
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert '<span class="label">kpi_001</span> What is the total revenue?' in html
