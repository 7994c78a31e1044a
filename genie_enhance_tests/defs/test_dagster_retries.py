"""A failing iteration is retried at most twice by the campaign sensor, then the campaign halts (and stays halted)
with a clear reason; a retry after a transient failure resumes the campaign from the same config."""

from __future__ import annotations

import dagster as dg
import pytest

from genie_enhance.defs.sensors import MAX_RETRIES
from genie_enhance.tracking import TrackingStore
from genie_enhance_tests.support.dagster_world import demo_dir, drive, make_world, metadata, start_campaign, tick


def test_a_failing_iteration_is_retried_twice_then_the_campaign_halts(tmp_path, tmp_path_factory):
    world = make_world(tmp_path, demo_dir(tmp_path_factory), {"shop": {"limits": {"max_iterations": 3}}})
    assert start_campaign(world.defs, world.instance).success
    space_file = tmp_path / "shop.json"
    space_file.write_text("{ this is not a space", encoding="utf-8")  # every attempt fails reading it

    driven = drive(world.defs, world.instance)
    key = world.instance.get_dynamic_partitions("iterations")[0]
    assert driven.run_keys == [f"{key}#a{n}" for n in range(MAX_RETRIES + 1)]
    assert not any(run.success for _, run, _ in driven.runs)
    assert f"halted, {key} failed 3 times" in driven.skip
    for _ in range(2):  # halted stays halted: no new run, no new partition
        again = tick(world.instance)
        assert isinstance(again, dg.SkipReason) and "halted" in again.skip_message
    runs = world.instance.get_runs(dg.RunsFilter(job_name="enhancement_iteration"))
    assert len(runs) == MAX_RETRIES + 1
    assert sorted(r.tags["genie_enhance/attempt"] for r in runs) == ["0", "1", "2"]
    assert world.instance.get_dynamic_partitions("iterations") == [key]
    assert space_file.read_text(encoding="utf-8") == "{ this is not a space"  # nothing wrote the space


def test_a_retry_after_a_transient_failure_completes_the_iteration(tmp_path, tmp_path_factory):
    demo = demo_dir(tmp_path_factory)
    world = make_world(tmp_path, demo, {"shop": {"target": 0.0, "limits": {"max_iterations": 2}}})
    assert start_campaign(world.defs, world.instance).success
    space_file = tmp_path / "shop.json"
    good = space_file.read_bytes()
    space_file.write_text("[]", encoding="utf-8")
    first = tick(world.instance)
    key = first.run_requests[0].partition_key
    job = world.defs.resolve_job_def("enhancement_iteration")
    assert not job.execute_in_process(instance=world.instance, partition_key=key, tags=first.run_requests[0].tags,
                                      raise_on_error=False).success
    space_file.write_bytes(good)  # the cause is fixed before the retry
    driven = drive(world.defs, world.instance)
    assert driven.run_keys[0] == f"{key}#a1"
    assert driven.runs[0][1].success
    assert metadata(world.instance, "evolution_metrics", key)["decision"] == "stop"  # target 0.0 reached
    store = TrackingStore(tmp_path / "state" / "tracking.duckdb")
    campaign = store.latest_campaign("shop")
    assert (campaign.status, campaign.stop_reason) == ("finished", "converged")
    assert [h.iteration for h in store.history(campaign.campaign_id)] == [1]


@pytest.mark.parametrize("supersede", [False, True])
def test_a_second_campaign_on_a_space_needs_supersede(tmp_path, tmp_path_factory, supersede):
    world = make_world(tmp_path, demo_dir(tmp_path_factory), {"shop": {}})
    assert start_campaign(world.defs, world.instance).success
    second = world.defs.resolve_job_def("start_campaign").execute_in_process(
        instance=world.instance, raise_on_error=False,
        run_config={"ops": {"new_campaign": {"config": {"supersede_running": supersede}}}})
    store = TrackingStore(tmp_path / "state" / "tracking.duckdb")
    campaigns = store.campaigns("shop")
    if supersede:
        assert second.success and [c.status for c in campaigns] == ["failed", "running"]
        assert campaigns[0].stop_reason == "superseded"
    else:
        assert not second.success and len(campaigns) == 1
        failure = next(e for e in second.all_events if e.event_type_value == "STEP_FAILURE")
        assert "already has a running campaign" in failure.step_failure_data.error.cause.message


def test_an_iteration_out_of_order_fails_before_touching_anything(tmp_path, tmp_path_factory):
    world = make_world(tmp_path, demo_dir(tmp_path_factory), {"shop": {}})
    assert start_campaign(world.defs, world.instance).success
    first = world.instance.get_dynamic_partitions("iterations")[0]
    third = first.replace("-i0001", "-i0003")
    world.instance.add_dynamic_partitions("iterations", [third])
    before = (tmp_path / "shop.json").read_bytes()
    run = world.defs.resolve_job_def("enhancement_iteration").execute_in_process(
        instance=world.instance, partition_key=third, raise_on_error=False)
    failure = next(e for e in run.all_events if e.event_type_value == "STEP_FAILURE")
    assert "iteration 3 cannot run next; the last complete iteration is 0, so the next one is 1" in (
        failure.step_failure_data.error.cause.message)
    assert (tmp_path / "shop.json").read_bytes() == before
    campaign = TrackingStore(tmp_path / "state" / "tracking.duckdb").latest_campaign("shop")
    assert TrackingStore(tmp_path / "state" / "tracking.duckdb").versions(campaign.campaign_id) == []
