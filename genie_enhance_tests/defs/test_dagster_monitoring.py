"""Monitoring in Dagster: the nightly health-check schedule, the health asset (below target → a campaign through
the launchpad's start path), and the daily history asset backfilled for past days."""

from __future__ import annotations

from datetime import UTC, date, datetime

import dagster as dg
import pytest

from genie_enhance.benchmarks import load_benchmarks
from genie_enhance.defs.jobs import HEALTH_JOB, HISTORY_JOB
from genie_enhance.defs.launch import START_TAG
from genie_enhance.defs.schedules import HEALTH_SCHEDULE, HISTORY_SCHEDULE
from genie_enhance.engine.partition_keys import partition_key
from genie_enhance.tracking import CampaignSpec, HealthCheck, IterationSummary, TrackingStore
from genie_enhance_tests.support.dagster_world import (
    BENCHMARKS,
    TUNED_SPACE,
    World,
    demo_dir,
    make_world,
    metadata,
    tick,
)

NIGHT = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    """Two spaces: `shop` (bare config, target 0.9: below) and `tuned` (tuned config, target 0.3: met)."""
    return make_world(tmp_path_factory.mktemp("dagster-monitoring"), demo_dir(tmp_path_factory),
                      {"shop": {"target": 0.9}, "tuned": {"source": TUNED_SPACE, "target": 0.3}},
                      history_start="2026-11-01")


def store(world: World) -> TrackingStore:
    return TrackingStore(world.root / "state" / "tracking.duckdb")


def test_nightly_schedule_requests_one_health_check_per_space(world: World):
    schedule = world.defs.resolve_schedule_def(HEALTH_SCHEDULE)
    assert schedule.job_name == HEALTH_JOB and schedule.cron_schedule == "0 2 * * *"
    requests = schedule(dg.build_schedule_context(instance=world.instance, scheduled_execution_time=NIGHT))
    assert [(r.partition_key, r.run_key) for r in requests] == [
        ("shop", "health-shop-2026-11-30"), ("tuned", "health-tuned-2026-11-30")]


def test_history_schedule_rolls_up_the_previous_day_for_every_space(world: World):
    schedule = world.defs.resolve_schedule_def(HISTORY_SCHEDULE)
    assert schedule.job_name == HISTORY_JOB
    context = dg.build_schedule_context(instance=world.instance, scheduled_execution_time=NIGHT.replace(hour=3))
    requests = schedule(context)
    assert sorted(str(r.partition_key) for r in requests) == ["2026-11-29|shop", "2026-11-29|tuned"]
    early = schedule(dg.build_schedule_context(instance=world.instance,
                                               scheduled_execution_time=datetime(2026, 11, 1, 3, tzinfo=UTC)))
    assert isinstance(early, dg.SkipReason) and "before history_start" in early.skip_message


def test_health_check_below_target_starts_a_campaign_through_the_start_path(world: World):
    job = world.defs.resolve_job_def(HEALTH_JOB)
    for space in ("shop", "tuned"):
        assert job.execute_in_process(instance=world.instance, partition_key=space).success
    checks = {c.space_key: c for c in store(world).health_checks()}
    assert checks["shop"].objective < 0.9 and checks["shop"].started_campaign_id is not None
    assert checks["tuned"].objective >= 0.3 and checks["tuned"].started_campaign_id is None
    shop = metadata(world.instance, "space_health", "shop")
    assert shop["below_target"] is True and shop["started_campaign"] == checks["shop"].started_campaign_id
    assert metadata(world.instance, "space_health", "tuned")["started_campaign"] == "none"
    started = world.instance.get_runs(dg.RunsFilter(tags={START_TAG: "1"}))
    assert [r.tags["genie_enhance/space"] for r in started] == ["shop"]
    campaign = store(world).campaign(checks["shop"].started_campaign_id)
    assert campaign.status == "running" and campaign.target == 0.9
    result = tick(world.instance)  # the campaign sensor picks it up like a launchpad start
    assert [r.run_key for r in result.run_requests] == [
        f"{partition_key('shop', campaign.campaign_id, 1)}#a0"]

    assert job.execute_in_process(instance=world.instance, partition_key="shop").success  # the next night
    again = store(world).health_checks("shop")[-1]
    assert again.started_campaign_id is None and "already running" in again.note
    assert len(world.instance.get_runs(dg.RunsFilter(tags={START_TAG: "1"}))) == 1


def _seed_past_days(tracking: TrackingStore) -> None:
    day = lambda d, h=12: datetime(2026, 11, d, h, 0, tzinfo=UTC)  # noqa: E731
    tracking.start_campaign(CampaignSpec(campaign_id="past-1", space_key="shop", backend="local", started_at=day(10)))
    for n, (objective, when) in enumerate([(0.4, day(10, 13)), (0.7, day(10, 14)), (0.8, day(11, 9))], start=1):
        version = tracking.record_version(f"v{n}".encode(), source="snapshot", campaign_id="past-1", iteration=n)
        tracking.begin_iteration("past-1", n, f"k{n}", version)
        tracking.complete_iteration("past-1", n, IterationSummary(
            objective=objective, fixes_applied=n, genie_calls=10, cost_usd=0.01, completed_at=when))
    tracking.record_health_check(HealthCheck(space_key="shop", config_version_id="v0", objective=0.3, target=0.9,
                                             checked_at=day(10, 2).replace(tzinfo=None)))
    tracking.record_health_check(HealthCheck(space_key="tuned", config_version_id="t0", objective=0.95, target=0.3,
                                             checked_at=day(11, 2).replace(tzinfo=None)))


def test_daily_history_backfills_past_days(world: World):
    _seed_past_days(store(world))
    job = world.defs.resolve_job_def(HISTORY_JOB)
    days = ["2026-11-09", "2026-11-10", "2026-11-11"]
    for day in days:  # a backfill: one run per past (date, space) partition
        for space in ("shop", "tuned"):
            key = dg.MultiPartitionKey({"date": day, "space": space})
            assert job.execute_in_process(instance=world.instance, partition_key=key).success
    shop10 = metadata(world.instance, "space_history", "2026-11-10|shop")
    assert (shop10["campaigns_started"], shop10["iterations_completed"], shop10["fixes_applied"]) == (1, 2, 3)
    assert shop10["best_objective"] == pytest.approx(0.7) and shop10["last_objective"] == pytest.approx(0.7)
    assert (shop10["health_checks"], shop10["health_below_target"]) == (1, 1)
    assert shop10["genie_calls"] == 20 and shop10["cost_usd"] == pytest.approx(0.02)
    shop11 = metadata(world.instance, "space_history", "2026-11-11|shop")
    assert (shop11["campaigns_started"], shop11["iterations_completed"], shop11["best_objective"]) == (0, 1, 0.8)
    tuned11 = metadata(world.instance, "space_history", "2026-11-11|tuned")
    assert (tuned11["health_checks"], tuned11["health_below_target"], tuned11["last_health_objective"]) == (1, 0, 0.95)
    empty = metadata(world.instance, "space_history", "2026-11-09|shop")
    assert (empty["iterations_completed"], empty["health_checks"], empty["best_objective"]) == (0, 0, "n/a")
    materialized = world.instance.get_materialized_partitions(dg.AssetKey("space_history"))
    assert len(materialized) == 6


def test_daily_rollup_counts_only_its_own_space_and_day(tmp_path):
    tracking = TrackingStore(tmp_path / "t.duckdb")
    _seed_past_days(tracking)
    assert tracking.daily_rollup("tuned", date(2026, 11, 10)).iterations_completed == 0
    assert tracking.daily_rollup("shop", date(2026, 11, 12)).campaigns_started == []


def test_benchmarks_asset_reports_each_spaces_split(world: World):
    result = dg.materialize([world.defs.get_assets_def("benchmarks")], instance=world.instance,
                            resources={"genie": world.defs.resources["genie"]})
    assert result.success
    meta = metadata(world.instance, "benchmarks")
    total = len(load_benchmarks(str(BENCHMARKS)))
    for space in ("shop", "tuned"):
        assert meta[f"{space}/questions"] == total == meta[f"{space}/train"] + meta[f"{space}/holdout"]
        assert 0 < meta[f"{space}/holdout"] < total
    assert meta["questions"] == 2 * total and meta["benchmarks"].startswith("| space | id | label | role | question |")
    assert meta["shop/warnings"] == 0 and meta["warnings"] == "_none_"  # the demo benchmarks read cleanly
