"""One driver per campaign (issue 10, finding 3): the lease in the tracking store.

Unit level with an injected clock (refusal names the owner, expiry, takeover, a lost lease stops its old holder,
waiting); then through the real entry points: two concurrent `genie-enhance run` subprocesses on one space and
out dir, `--wait-for-lease`, a SIGKILLed holder taken over after expiry, the Dagster iteration job against a CLI
run and a CLI run against a Dagster iteration run, and `run --new-campaign` / `demo` next to a running campaign.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from genie_enhance.benchmarks import load_benchmarks
from genie_enhance.demo.build import DEMO_BENCHMARKS
from genie_enhance.demo.space_configs import BARE_SPACE, demo_space_text
from genie_enhance.engine.lease import DriverLease, LeaseHeldError
from genie_enhance.space.io import canonical_bytes, load_space
from genie_enhance.tracking import TrackingStore

CLI = [str(Path(sys.executable).parent / "genie-enhance")]  # the installed entry point


# ------------------------------------------------------------------------------------------------- unit, fake clock
class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, 12, 0, 0)

    def __call__(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def test_a_second_holder_is_refused_until_the_lease_expires(tmp_path: Path) -> None:
    store, clock = TrackingStore(tmp_path / "t.duckdb"), Clock()
    a = DriverLease(store, "sales", "run", holder="host-a:1", ttl_s=10, clock=clock)
    b = DriverLease(store, "sales", "run", holder="host-b:2", ttl_s=10, clock=clock)
    a.acquire(campaign_id="c1")
    with pytest.raises(LeaseHeldError, match=r"campaign c1 is being run by .* \(run\) since 2026-01-01 12:00:00 UTC"):
        b.acquire()
    clock.now += timedelta(seconds=9)
    a.renew()  # the heartbeat pushes the expiry out
    clock.now += timedelta(seconds=9)
    with pytest.raises(LeaseHeldError):
        b.acquire()
    clock.now += timedelta(seconds=2)  # a stopped beating 11 s ago: expired
    taken = b.acquire()
    assert taken.holder == "host-b:2" and taken.campaign_id is None
    a.renew()
    with pytest.raises(LeaseHeldError, match="lease lost"):
        a.check()  # the old holder stops instead of writing over the new one
    b.release()
    assert store.lease("sales") is None


def test_a_dead_process_of_this_host_loses_its_lease_at_once(tmp_path: Path) -> None:
    store, clock = TrackingStore(tmp_path / "t.duckdb"), Clock()
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    DriverLease(store, "sales", "run", holder=f"{socket.gethostname()}:{gone.pid}", ttl_s=600, clock=clock).acquire()
    assert DriverLease(store, "sales", "run", holder="me:2", ttl_s=600, clock=clock).acquire().holder == "me:2"
    alive = DriverLease(store, "other", "run", ttl_s=600, clock=clock)  # this very process: alive
    alive.acquire()
    with pytest.raises(LeaseHeldError):
        DriverLease(store, "other", "run", holder="me:2", ttl_s=600, clock=clock).acquire()
    alive.release()


def test_waiting_for_the_lease_takes_it_once_it_expires(tmp_path: Path) -> None:
    store, clock = TrackingStore(tmp_path / "t.duckdb"), Clock()
    DriverLease(store, "sales", "run", holder="dead:1", ttl_s=5, clock=clock).acquire()
    waiter = DriverLease(store, "sales", "run", holder="me:2", ttl_s=5, clock=clock, sleep=clock.sleep)
    assert waiter.acquire(wait_s=60).holder == "me:2"
    assert clock.now >= datetime(2026, 1, 1, 12, 0, 5)


# ------------------------------------------------------------------------------------------------- CLI processes
@pytest.fixture(scope="module")
def world(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("lease")
    warehouse = root / "demo.duckdb"
    shutil.copy(demo_db, warehouse)
    bare = root / "space_bare.json"
    bare.write_text(demo_space_text(BARE_SPACE), encoding="utf-8")
    items = [{"id": b.id, "question": b.question, "expected_sql": b.expected_sql}
             for b in load_benchmarks(DEMO_BENCHMARKS / "commerce.md")[:8]]
    benchmarks = root / "first_8.json"
    benchmarks.write_text(json.dumps({"benchmarks": items}), encoding="utf-8")
    return {"root": root, "warehouse": warehouse, "bare": bare, "benchmarks": benchmarks}


def case(world: dict, name: str) -> tuple[Path, Path]:
    space, out = world["root"] / f"{name}.json", world["root"] / f"out-{name}"
    shutil.copy(world["bare"], space)
    return space, out


def run_args(world: dict, space: Path, out: Path, *extra: str, latency_ms: int = 0) -> list[str]:
    return [*CLI, "run", "--backend", "local", "--warehouse", str(world["warehouse"]), "--space", str(space),
            "--space-key", "sales", "--benchmarks", str(world["benchmarks"]), "--out", str(out), "--llm", "off",
            "--json", "--max-iterations", "2", "--genie-latency-ms", str(latency_ms), *extra]


def start(world: dict, args: list[str], **env: str) -> subprocess.Popen:
    environ = {**os.environ, "DAGSTER_HOME": str(world["root"] / "dagster_home"), "OPENAI_API_KEY": "", **env}
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environ,
                            cwd=world["root"])


def wait_for_holder(out: Path, prefix: str = "", timeout_s: float = 60, *, campaign: bool = False) -> str:
    """The owner of the space's lease once a holder (whose name starts with `prefix`) has it — and, with
    `campaign`, once it names the campaign it drives."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if (out / "tracking.duckdb").exists():
            lease = TrackingStore(out / "tracking.duckdb").lease("sales")
            if lease is not None and lease.holder.startswith(prefix) and (lease.campaign_id or not campaign):
                return lease.owner
        time.sleep(0.1)
    raise AssertionError(f"no lease appeared in {out}")


def finish(proc: subprocess.Popen, timeout_s: float = 240) -> tuple[int, str, str]:
    stdout, stderr = proc.communicate(timeout=timeout_s)
    return proc.returncode, stdout, stderr


def assert_one_consistent_campaign(out: Path, space: Path) -> None:
    """What the store says matches the live space: one finished campaign, its applied fixes counted, and the
    live config is the campaign's last recorded config."""
    store = TrackingStore(out / "tracking.duckdb")
    campaigns = store.campaigns("sales")
    assert [c.status for c in campaigns] == ["finished"]
    cid = campaigns[0].campaign_id
    history = store.history(cid)
    assert [h.iteration for h in history] == list(range(1, len(history) + 1))
    applied = sum(h.fixes_applied for h in history)
    measured = [f for f in store.fixes(cid) if f.status in ("applied", "kept", "reverted")]
    assert applied == len(measured) > 0
    last = history[-1].applied_version_id or history[-1].config_version_id
    assert store.version_bytes(last) == canonical_bytes(load_space(space))
    assert store.lease("sales") is None  # released at the end


def test_two_concurrent_runs_one_runs_the_other_is_refused(world: dict) -> None:
    space, out = case(world, "concurrent")
    first = start(world, run_args(world, space, out, latency_ms=1500))
    owner = wait_for_holder(out)
    second = start(world, run_args(world, space, out))
    code, _, err = finish(second)
    assert code == 2, err
    assert "is being run by" in err and f":{first.pid} (run)" in err and owner in err
    assert "Traceback" not in err
    code, stdout, err = finish(first)
    assert code == 0, err
    assert_one_consistent_campaign(out, space)


def test_with_wait_for_lease_both_finish_one_after_the_other(world: dict) -> None:
    space, out = case(world, "waiting")
    first = start(world, run_args(world, space, out, latency_ms=1000))
    wait_for_holder(out)
    second = start(world, run_args(world, space, out, "--wait-for-lease", "240"))
    results = [finish(first), finish(second)]
    assert [r[0] for r in results] == [0, 0], [r[2] for r in results]
    store = TrackingStore(out / "tracking.duckdb")
    first_c, second_c = store.campaigns("sales")
    assert first_c.status == second_c.status == "finished"
    # the second run started from what the first left live, not from the bare config over it
    left = json.loads(results[0][1].strip().splitlines()[-1])["final_space"]
    assert store.history(second_c.campaign_id)[0].config_version_id == store.record_version(
        Path(left).read_bytes().rstrip(b"\n"), source="snapshot")
    assert sum(h.fixes_applied for h in store.history(first_c.campaign_id)) > 0
    last = store.history(second_c.campaign_id)[-1]
    assert store.version_bytes(last.applied_version_id or last.config_version_id) == canonical_bytes(load_space(space))


def test_a_killed_holders_lease_is_taken_over_after_it_expires(world: dict) -> None:
    space, out = case(world, "killed")
    victim = start(world, run_args(world, space, out, latency_ms=4000), GENIE_ENHANCE_LEASE_TTL_S="3")
    wait_for_holder(out)
    time.sleep(0.5)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    killed = TrackingStore(out / "tracking.duckdb").lease("sales")
    assert killed is not None and f":{victim.pid} " in killed.owner  # left behind by the killed process
    taker = start(world, run_args(world, space, out, "--wait-for-lease", "60"), GENIE_ENHANCE_LEASE_TTL_S="3")
    code, _, err = finish(taker)
    assert code == 0, err
    assert_one_consistent_campaign(out, space)  # the killed run's campaign, resumed to its end


def test_dagster_iteration_run_is_refused_while_a_cli_run_drives(world: dict) -> None:
    import dagster as dg

    from genie_enhance.cli.campaign_io import open_runtime
    from genie_enhance.defs.local_run import JobIterationRunner, open_instance
    from genie_enhance.engine.runtime import CampaignSettings

    space, out = case(world, "sensor-vs-cli")
    cli = start(world, run_args(world, space, out, latency_ms=2500))
    wait_for_holder(out, campaign=True)
    campaign_id = TrackingStore(out / "tracking.duckdb").lease("sales").campaign_id
    settings = CampaignSettings(space_key="sales", benchmarks=str(world["benchmarks"]), max_iterations=2)
    rt = open_runtime(settings, out, warehouse=world["warehouse"], space=space, space_id=None, warehouse_id=None)
    try:
        with open_instance(world["root"] / "dagster_home-test") as instance:
            with pytest.raises(LeaseHeldError, match=f"campaign {campaign_id} is being run by .*:{cli.pid} \\(run\\)"):
                JobIterationRunner(rt, instance)(rt, campaign_id, 1)  # the sensor's run of iteration 1
            runs = instance.get_runs(dg.RunsFilter(job_name="enhancement_iteration"))
            assert [r.status for r in runs] == [dg.DagsterRunStatus.FAILURE]
    finally:
        rt.close()
    code, _, err = finish(cli)
    assert code == 0, err
    assert_one_consistent_campaign(out, space)


def test_cli_run_is_refused_while_a_dagster_iteration_run_drives(world: dict) -> None:
    from genie_enhance.cli.campaign_io import open_runtime
    from genie_enhance.defs.local_run import JobIterationRunner, open_instance
    from genie_enhance.engine.campaign import start_or_resume
    from genie_enhance.engine.runtime import CampaignSettings

    space, out = case(world, "cli-vs-sensor")
    settings = CampaignSettings(space_key="sales", benchmarks=str(world["benchmarks"]), max_iterations=2)
    rt = open_runtime(settings, out, warehouse=world["warehouse"], space=space, space_id=None, warehouse_id=None,
                      genie_latency_ms=6000)
    campaign_id = start_or_resume(rt)
    errors: list[BaseException] = []

    def dagster_run() -> None:
        try:
            with open_instance(world["root"] / "dagster_home-test2") as instance:
                JobIterationRunner(rt, instance)(rt, campaign_id, 1)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    thread = threading.Thread(target=dagster_run)
    thread.start()
    try:
        owner = wait_for_holder(out, prefix="dagster:")
        code, _, err = finish(start(world, run_args(world, space, out)))
    finally:
        thread.join()
        rt.close()
    assert not errors
    assert code == 2 and f"campaign {campaign_id} is being run by {owner}" in " ".join(err.split())
    assert "dagster iteration run" in owner
    store = TrackingStore(out / "tracking.duckdb")
    assert [h.iteration for h in store.history(campaign_id)] == [1] and store.lease("sales") is None


def test_new_campaign_next_to_a_running_campaign_refuses_unless_superseding(world: dict) -> None:
    space, out = case(world, "supersede")
    killed = start(world, run_args(world, space, out, latency_ms=4000), GENIE_ENHANCE_LEASE_TTL_S="1")
    wait_for_holder(out, campaign=True)
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    time.sleep(1.2)  # its lease expired; its campaign is still `running`
    env = {"GENIE_ENHANCE_LEASE_TTL_S": "1"}
    code, _, err = finish(start(world, run_args(world, space, out, "--new-campaign"), **env))
    assert code == 2 and "already has a running campaign" in err and "--supersede" in err
    code, _, err = finish(start(world, run_args(world, space, out, "--new-campaign", "--supersede",
                                                "--max-iterations", "1"), **env))
    assert code == 0, err
    statuses = [(c.status, c.stop_reason) for c in TrackingStore(out / "tracking.duckdb").campaigns("sales")]
    assert statuses[0] == ("failed", "superseded") and statuses[1][0] == "finished"


def test_demo_never_overwrites_space_json_without_the_lease(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    import genie_enhance.cli  # noqa: F401
    from genie_enhance.cli.app import app
    from genie_enhance.tracking import CampaignSpec

    out = tmp_path / "demo"
    out.mkdir()
    (out / "space.json").write_text("what a running demo works on", encoding="utf-8")
    store = TrackingStore(out / "tracking.duckdb")
    other = DriverLease(store, "demo", "demo", holder="otherhost:4242")
    other.acquire()
    refused = CliRunner().invoke(app, ["demo", "--out", str(out)])
    assert refused.exit_code == 2 and "a campaign of space demo is being run by" in refused.stderr
    assert "Traceback" not in refused.stderr
    other.release()
    running = store.start_campaign(CampaignSpec(space_key="demo", backend="local"))
    refused = CliRunner().invoke(app, ["demo", "--out", str(out)])
    assert refused.exit_code == 2 and f"already has a running campaign {running}" in refused.stderr
    assert "--supersede" in refused.stderr
    assert (out / "space.json").read_text(encoding="utf-8") == "what a running demo works on"
    assert not (out / "demo.duckdb").exists()
