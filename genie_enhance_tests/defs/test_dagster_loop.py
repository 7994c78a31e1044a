"""The loop in Dagster, in-process on a real instance: a campaign started from the launchpad job and driven by the
campaign sensor (called directly) to its stop reason; the assets' metadata against the tracking store; and the
historical-partition rule (re-running a completed iteration re-scores its recorded version, never writes).
"""

from __future__ import annotations

from dataclasses import dataclass

import dagster as dg
import pytest

from genie_enhance.backends.local.space_store import FileSpaceStore
from genie_enhance.defs.jobs import ITERATION_JOB
from genie_enhance.defs.launch import START_TAG
from genie_enhance.engine.iteration import historical
from genie_enhance.engine.launch import campaign_of
from genie_enhance.errors import GenieEnhanceError
from genie_enhance.tracking import TrackingStore
from genie_enhance_tests.support.dagster_world import World, demo_dir, drive, make_world, metadata, start_campaign, tick

LOOP = ["space_config", "benchmark_results", "proposed_fixes", "validated_config", "applied_config",
        "lessons_learned", "evolution_metrics"]


@dataclass
class Campaign:
    world: World
    campaign_id: str
    partitions: list[str]
    driven: object

    @property
    def store(self) -> TrackingStore:
        return TrackingStore(self.world.root / "state" / "tracking.duckdb")


@pytest.fixture(scope="module")
def campaign(tmp_path_factory: pytest.TempPathFactory) -> Campaign:
    world = make_world(tmp_path_factory.mktemp("dagster-loop"), demo_dir(tmp_path_factory),
                       {"shop": {"target": 0.99, "limits": {"max_iterations": 4}}})
    started = start_campaign(world.defs, world.instance, space="shop", max_iterations=4, holdout=0.3, seed=0)
    assert started.success
    campaign_id = started.output_for_node("new_campaign")
    driven = drive(world.defs, world.instance)
    return Campaign(world, campaign_id, sorted(world.instance.get_dynamic_partitions("iterations")), driven)


def test_start_job_records_the_campaign_and_its_first_partition(campaign: Campaign):
    record = campaign.store.campaign(campaign.campaign_id)
    assert record.space_key == "shop" and record.max_iterations == 4 and record.target == 0.99  # launchpad + file
    first = campaign.partitions[0]
    cid = campaign.campaign_id  # c<yyyymmdd>T<hhmmss>-<6 hex>: the key spells it readably, losslessly
    assert first == f"shop-{cid[1:9]}-{cid[10:16]}-{cid[17:]}-i0001"
    starts = campaign.world.instance.get_runs(dg.RunsFilter(tags={START_TAG: "1"}))
    assert [run.tags["genie_enhance/partition_prefix"] for run in starts] == [first.removesuffix("-i0001")]


def test_sensor_drives_the_campaign_to_its_stop_reason(campaign: Campaign):
    history = campaign.store.history(campaign.campaign_id)
    record = campaign.store.campaign(campaign.campaign_id)
    assert record.status == "finished" and record.stop_reason in ("no_fixes", "max_iterations", "stalled")
    assert len(history) >= 2, "the sensor went past the first iteration"
    assert campaign.partitions == [f"{campaign.partitions[0][:-6]}-i{n:04d}" for n in range(1, len(history) + 1)]
    assert campaign.driven.run_keys == [f"{key}#a0" for key in campaign.partitions]
    assert all(run.success for _, run, _ in campaign.driven.runs)
    last = metadata(campaign.world.instance, "evolution_metrics", campaign.partitions[-1])
    assert (last["decision"], last["stop_reason"]) == ("stop", record.stop_reason)
    assert all(metadata(campaign.world.instance, "evolution_metrics", key)["decision"] in ("continue", "rollback")
               for key in campaign.partitions[:-1])
    assert f"finished ({record.stop_reason})" in campaign.driven.skip
    again = tick(campaign.world.instance)
    assert isinstance(again, dg.SkipReason), "a finished campaign is never requested again"


def test_every_materialization_carries_metadata_matching_the_tracking_store(campaign: Campaign):
    instance, key = campaign.world.instance, campaign.partitions[0]
    recorded = campaign.store.history(campaign.campaign_id)[0]
    scored = metadata(instance, "benchmark_results", key)
    assert scored["score_all"] == pytest.approx(recorded.score_all)
    assert scored["score_holdout"] == pytest.approx(recorded.score_holdout)
    assert scored["count_fail"] == recorded.counts["fail"] and scored["genie_calls"] == recorded.genie_calls
    assert scored["failures"].startswith("| id | label | role | verdict | category | question |")
    metrics = metadata(instance, "evolution_metrics", key)
    assert metrics["campaign"] == campaign.campaign_id and metrics["iteration"] == 1 and metrics["space"] == "shop"
    for name in ("fixes_proposed", "fixes_applied", "fixes_rejected", "genie_calls", "llm_calls"):
        assert metrics[name] == getattr(recorded, name), name
    assert metrics["fixes_applied"] > 0 and metrics["cost_usd"] == 0.0 and metrics["wall_s"] > 0
    assert metrics["historical"] is False
    fixes = metadata(instance, "proposed_fixes", key)
    assert fixes["fixes_proposed"] == recorded.fixes_proposed and "| type | proposer |" in fixes["fixes"]
    applied = metadata(instance, "applied_config", key)
    assert applied["applied"] is True and applied["applied_version_id"] == recorded.applied_version_id
    assert metadata(instance, "space_config", key)["version_id"] == recorded.config_version_id
    assert metadata(instance, "lessons_learned", key)["lessons"] >= 0
    for asset in LOOP:
        assert isinstance(metadata(instance, asset, key).get("duration_s", 0.0), float), asset


def test_asset_checks_ran_in_every_iteration(campaign: Campaign):
    for _, run, _ in campaign.driven.runs:
        evaluations = {e.check_name: e.passed for e in run.get_asset_check_evaluations()}
        assert evaluations["valid"] is True
        assert "no_score_regression" in evaluations


def test_the_regression_check_fails_exactly_when_the_policy_rolls_back(campaign: Campaign):
    """Dagster's `no_score_regression` evaluation and the recorded decision come from one rule (the policy's)."""
    rolled_back = {e.iteration for e in campaign.store.events(campaign.campaign_id) if e.kind == "rollback"}
    for request, run, _ in campaign.driven.runs:
        _, iteration = campaign_of(campaign.store, request.partition_key)
        evaluations = {e.check_name: e.passed for e in run.get_asset_check_evaluations()}
        assert evaluations["no_score_regression"] is (iteration not in rolled_back), iteration


def test_rematerializing_a_completed_iteration_rescores_its_version_and_writes_nothing(campaign: Campaign):
    world, store, key = campaign.world, campaign.store, campaign.partitions[0]
    space_file = world.root / "shop.json"
    live_bytes, live_etag = space_file.read_bytes(), FileSpaceStore(space_file).export()[1]
    versions, history = store.versions(campaign.campaign_id), store.history(campaign.campaign_id)
    run = world.defs.resolve_job_def(ITERATION_JOB).execute_in_process(instance=world.instance, partition_key=key)
    assert run.success
    assert space_file.read_bytes() == live_bytes and FileSpaceStore(space_file).export()[1] == live_etag
    assert store.versions(campaign.campaign_id) == versions and store.history(campaign.campaign_id) == history
    assert metadata(world.instance, "space_config", key)["version_id"] == history[0].config_version_id
    assert metadata(world.instance, "space_config", key)["historical"] is True
    rescored = metadata(world.instance, "benchmark_results", key)
    assert rescored["score_all"] == pytest.approx(history[0].score_all)  # THAT version, not today's live config
    assert rescored["recorded_objective"] == pytest.approx(history[0].objective)
    assert metadata(world.instance, "applied_config", key)["applied"] is False
    metrics = metadata(world.instance, "evolution_metrics", key)
    assert (metrics["historical"], metrics["decision"]) == (True, history[0].decision)
    checks = {e.check_name: e.passed for e in run.get_asset_check_evaluations()}
    assert checks == {"valid": True, "no_score_regression": True}
    assert isinstance(tick(world.instance), dg.SkipReason), "a historical re-run does not restart the campaign"


def test_the_read_only_path_refuses_writes_in_code(campaign: Campaign):
    world = campaign.world
    genie = world.defs.resources["genie"]
    rt = genie.campaign_runtime(campaign.campaign_id)
    try:
        assert historical.is_complete(rt, campaign.campaign_id, 1)
        guarded = historical.guarded(rt, campaign.campaign_id, 1)
        space, etag = guarded.backend.store.export()
        with pytest.raises(GenieEnhanceError, match="refused to write the live space"):
            guarded.backend.store.update(space, etag)
    finally:
        genie.teardown_after_execution(None)


def test_an_iteration_past_a_finished_campaign_fails_without_touching_the_space(campaign: Campaign):
    world, key = campaign.world, campaign.partitions[-1]
    skipped = key[:-4] + f"{int(key[-4:]) + 2:04d}"
    world.instance.add_dynamic_partitions("iterations", [skipped])
    space_file = world.root / "shop.json"
    before = space_file.read_bytes()
    run = world.defs.resolve_job_def(ITERATION_JOB).execute_in_process(
        instance=world.instance, partition_key=skipped, raise_on_error=False)
    assert not run.success
    failure = next(e for e in run.all_events if e.event_type_value == "STEP_FAILURE")
    assert f"campaign {campaign.campaign_id} is finished" in failure.step_failure_data.error.cause.message
    assert space_file.read_bytes() == before
    world.instance.delete_dynamic_partition("iterations", skipped)


def test_partition_key_names_its_campaign(campaign: Campaign):
    record, iteration = campaign_of(campaign.store, campaign.partitions[-1])
    assert (record.campaign_id, iteration) == (campaign.campaign_id, len(campaign.partitions))
    with pytest.raises(GenieEnhanceError, match="no campaign"):
        campaign_of(campaign.store, "shop-20260101-000000-abcdef-i0001")
    with pytest.raises(GenieEnhanceError, match="not an iteration partition key"):
        campaign_of(campaign.store, "shop")


def test_per_iteration_time_in_process(campaign: Campaign, record_property):
    times = [seconds for _, _, seconds in campaign.driven.runs]
    record_property("iteration_seconds", [round(t, 2) for t in times])
    assert max(times) < 60
