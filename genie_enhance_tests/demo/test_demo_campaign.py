"""`genie-enhance demo`: from the bare space, one offline campaign at the default settings (holdout 0.3, seed 0,
at most 6 iterations, no LLM) reaches holdout >= 0.8 and all >= 0.9, and nothing of the holdout — question text,
expected SQL, or a literal only holdout answers use — reaches any config the campaign applied.

One demo run (the real command, through the same code path as `run`) is shared by every test of the module.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import genie_enhance.cli  # noqa: F401 - registers the commands
from genie_enhance.benchmarks import BenchmarkSplit, load_benchmarks, split_benchmarks
from genie_enhance.cli.app import app
from genie_enhance.demo.build import DEMO_BENCHMARKS
from genie_enhance.demo.space_configs import BARE_SPACE, demo_space_text
from genie_enhance.proposers.guard import assert_no_leakage, distinctive_literals
from genie_enhance.space.fixes import AddExampleSql, SetColumnDescription
from genie_enhance.space.io import load_space, parse_space, space_to_json
from genie_enhance.tracking import TrackingStore, version_id_for

SUMMARY_KEYS = {"campaign", "stop_reason", "iterations", "initial", "final", "best_version", "fixes_applied",
                "final_version", "fixes_rejected", "rollbacks", "genie_calls", "llm_calls", "cost_usd", "holdout_ids",
                "final_space", "report", "leak_guard"}


@dataclass
class DemoRun:
    out: Path
    summary: dict[str, Any]
    stdout: str
    split: BenchmarkSplit


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    root = tmp_path_factory.mktemp("demo-campaign")
    out = root / "demo"
    env = {"DAGSTER_HOME": str(root / "dagster_home"), "OPENAI_API_KEY": None, "OPENAI_BASE_URL": None}
    result = CliRunner().invoke(app, ["demo", "--out", str(out), "--json"], env=env)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    return DemoRun(out, summary, result.stdout, split_benchmarks(load_benchmarks(DEMO_BENCHMARKS), 0.3, 0))


def test_demo_campaign_meets_the_target_offline_at_the_default_settings(demo_run: DemoRun) -> None:
    s = demo_run.summary
    assert s["initial"]["holdout"] < 0.5 and s["initial"]["all"] < 0.5  # the bare space starts poorly
    assert s["iterations"] <= 6
    assert s["final"]["holdout"] >= 0.8 and s["final"]["all"] >= 0.9, s
    assert s["llm_calls"] == 0 and s["cost_usd"] == 0
    campaign = TrackingStore(demo_run.out / "tracking.duckdb").campaign(s["campaign"])
    assert (campaign.holdout_fraction, campaign.seed, campaign.max_iterations) == (0.3, 0, 6)
    assert campaign.settings["use_llm"] is False and campaign.settings["backend"] == "local"
    assert sorted(s["holdout_ids"]) == sorted(demo_run.split.holdout_ids)


def test_no_holdout_question_sql_or_literal_reaches_any_applied_config(demo_run: DemoRun) -> None:
    split = demo_run.split
    final = load_space(demo_run.summary["final_space"])
    assert assert_no_leakage(final, split.holdout, split.train) == []
    store = TrackingStore(demo_run.out / "tracking.duckdb")
    versions = store.versions(demo_run.summary["campaign"])
    assert len(versions) >= 2  # the bare space and at least one applied batch
    for version in versions:
        space = parse_space(store.version_bytes(version.version_id).decode("utf-8"))
        assert assert_no_leakage(space, split.holdout, split.train) == [], version.version_id


def test_the_campaign_checked_its_final_space_for_leaks_and_recorded_it(demo_run: DemoRun) -> None:
    """The final-space check is an engine step of every campaign (not only this test's): its `leak_check` event
    names the final version and found nothing; `run --json` says so, and how many proposals the guard inspected."""
    store = TrackingStore(demo_run.out / "tracking.duckdb")
    [check] = [e for e in store.events(demo_run.summary["campaign"]) if e.kind == "leak_check"]
    final_version = version_id_for(space_to_json(load_space(demo_run.summary["final_space"])).encode("utf-8"))
    assert check.data["leaks"] == [] and check.data["version_id"] == final_version
    guard = demo_run.summary["leak_guard"]
    assert guard["final_check"] == {"version_id": final_version, "leaks": 0, "added": 0, "rules": {}}
    assert guard["checked"] >= demo_run.summary["fixes_applied"]


def test_the_leakage_check_would_catch_a_planted_leak(demo_run: DemoRun) -> None:
    split = demo_run.split
    final = load_space(demo_run.summary["final_space"])
    holdout = split.holdout[0]
    copied = AddExampleSql(question=f"{holdout.question} Please", sql=holdout.expected_sql).apply(final)
    assert any(holdout.id in problem for problem in assert_no_leakage(copied, split.holdout, split.train))
    literal, owner = next(iter(distinctive_literals(split.holdout, split.train).items()))
    table = final.data_sources.tables[0]
    named = SetColumnDescription(table=table.identifier, column=table.column_configs[0].column_name,
                                 description=f"Values such as {literal}.").apply(final)
    assert [p for p in assert_no_leakage(named, split.holdout, split.train) if owner in p and literal in p]


def test_demo_json_is_the_run_summary_and_names_an_existing_report(demo_run: DemoRun) -> None:
    s = demo_run.summary
    assert SUMMARY_KEYS <= set(s)
    assert s["stop_reason"] in {"converged", "stalled", "max_iterations", "no_fixes", "budget"}
    assert Path(s["report"]).is_file() and Path(s["report"]).stat().st_size > 10_000
    assert Path(s["final_space"]).is_file()
    # the campaign edited the working copy, never the bare space it was copied from
    assert load_space(demo_run.out / "space.json") == load_space(s["final_space"])
    assert (demo_run.out / BARE_SPACE).read_text(encoding="utf-8") == demo_space_text(BARE_SPACE)
    assert demo_run.stdout.strip().splitlines()[-1].startswith("{")


def test_demo_materializes_the_lineage_root_in_its_dagster_instance(demo_run: DemoRun) -> None:
    """In the demo's fresh instance, `benchmarks` is materialized (by the CLI, before the first iteration), so the
    UI's lineage root is not "never materialized"."""
    import dagster as dg

    with dg.DagsterInstance.from_config(str(demo_run.out.parent / "dagster_home")) as instance:
        events = instance.fetch_materializations(dg.AssetKey("benchmarks"), limit=10).records
        assert len(events) == 1
        run = instance.get_run_by_id(events[0].run_id)
        assert run.status == dg.DagsterRunStatus.SUCCESS and run.tags["genie_enhance/driver"] == "cli"
        meta = events[0].asset_materialization.metadata
        total = len(demo_run.split.train) + len(demo_run.split.holdout)
        assert meta["demo/questions"].value == total and meta["demo/holdout"].value == len(demo_run.split.holdout)
        assert meta["demo/warnings"].value == 0
        first = instance.fetch_materializations(dg.AssetKey("space_config"), limit=100).records[-1]
        assert events[0].timestamp < first.timestamp  # materialized before the first iteration ran
