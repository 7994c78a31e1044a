"""`genie-enhance run` killed mid-iteration (SIGKILL) resumes cleanly when the same command runs again.

One world, three runs of the same command, two of them real subprocesses killed at a known step:
1. killed after iteration 1's batch reached the live space but before the iteration completed (the write-ahead
   `pending_applies` path): the test holds the file space store's write lock, so the run stops just before
   writing the space; once the write-ahead row is there, the test takes the tracking file's lock (a read-only
   DuckDB connection), releases the space, and kills the run while it waits to record that the write happened;
2. the rerun resumes the same campaign (undoing that write, redoing iteration 1) and is killed while scoring
   iteration 2: the offline Genie's latency keeps it asking questions for a second, and the test kills it once the
   tracking file shows iteration 2 begun without results (read under the lock, so none can be recorded meanwhile);
3. the last rerun finishes.
It must be the same campaign throughout, with no half iteration, the scores and config of a run never killed,
and the live space equal to the recorded best version.
"""

from __future__ import annotations

import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from genie_enhance.space.io import canonical_bytes, load_space
from genie_enhance.tracking import TrackingStore, version_id_for
from genie_enhance_tests.support.loop_world import (
    RUN_FLAGS,
    CliCampaign,
    SpaceWriteLock,
    TrackingPeek,
    World,
    cli_command,
    cli_env,
    make_world,
    run_cli,
)

SLOW = ("--genie-latency-ms", "100", "--concurrency", "1")  # about one second of scoring per iteration
QUESTIONS = 10
APPLYING = "SELECT campaign_id, base_version_id, candidate_version_id FROM pending_applies WHERE iteration = 1"
SCORING_2 = ("SELECT i.campaign_id FROM iterations i WHERE i.iteration = 2 AND i.completed_at IS NULL AND NOT EXISTS "
             "(SELECT 1 FROM question_results r WHERE r.campaign_id = i.campaign_id AND r.iteration = 2)")


def start(world: World) -> subprocess.Popen:
    with open(world.root / "stderr.txt", "ab") as stderr:  # a file, not a pipe nobody reads
        return subprocess.Popen([*cli_command(), *world.run_args(*RUN_FLAGS, *SLOW)], stdout=subprocess.DEVNULL,
                                stderr=stderr, env=cli_env(world), cwd=world.root)


def kill(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(timeout=20) == -signal.SIGKILL


@dataclass
class Chain:
    world: World
    seen: dict = field(default_factory=dict)  # what the test saw at each kill, under the tracking lock
    summary: dict = field(default_factory=dict)


def kill_after_the_live_write(world: World, seen: dict) -> None:
    space_lock = SpaceWriteLock(world.space)  # the run's first write to the space (iteration 1's batch) waits
    proc = start(world)
    try:
        with TrackingPeek(world.tracking).hold_when(APPLYING, process=proc) as conn:
            seen["campaign"], seen["base"], seen["candidate"] = conn.execute(APPLYING).fetchone()
            blob = "SELECT bytes FROM config_blobs WHERE version_id = ?"
            wanted = conn.execute(blob, [seen["candidate"]]).fetchone()[0]
            space_lock.release()  # the batch goes to the live space; recording that it did waits for `conn`
            deadline = time.monotonic() + 30
            while canonical_bytes(load_space(world.space)) != wanted:
                assert time.monotonic() < deadline and proc.poll() is None, "the batch never reached the live space"
                time.sleep(0.01)
            kill(proc)
            done = conn.execute("SELECT completed_at FROM iterations WHERE iteration = 1").fetchone()
            seen["iteration_1_done"] = done[0]
        seen["live_after_first_kill"] = version_id_for(canonical_bytes(load_space(world.space)))
    finally:
        space_lock.release()
        if proc.poll() is None:
            proc.kill()


def kill_while_scoring(world: World, seen: dict) -> None:
    proc = start(world)
    try:
        with TrackingPeek(world.tracking).hold_when(SCORING_2, process=proc) as conn:  # it is asking Genie now
            seen["second_campaign"] = conn.execute(SCORING_2).fetchone()[0]
            kill(proc)
            seen["iterations_at_second_kill"] = conn.execute(
                "SELECT iteration, completed_at IS NOT NULL FROM iterations ORDER BY iteration").fetchall()
    finally:
        if proc.poll() is None:
            proc.kill()


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory, demo_db: Path) -> Chain:
    world = make_world(tmp_path_factory.mktemp("resume"), demo_db)
    done = Chain(world)
    kill_after_the_live_write(world, done.seen)
    kill_while_scoring(world, done.seen)
    done.summary = run_cli(world, *SLOW)
    return done


def test_first_kill_lands_after_the_live_write_and_before_the_iteration_completed(chain: Chain) -> None:
    seen = chain.seen
    assert seen["iteration_1_done"] is None
    assert seen["live_after_first_kill"] == seen["candidate"] != seen["base"]


def test_the_rerun_undid_the_write_resumed_the_campaign_and_was_killed_while_scoring(chain: Chain) -> None:
    seen = chain.seen
    assert seen["second_campaign"] == seen["campaign"]
    assert seen["iterations_at_second_kill"] == [(1, True), (2, False)]  # iteration 1 redone and complete
    events = [e for e in TrackingStore(chain.world.tracking).events(seen["campaign"]) if e.kind == "resume"]
    first, second, third = events
    assert first.data["outcome"] == "applied" and first.data["restored_version_id"] == seen["base"]
    assert second.message == "discarded incomplete iterations [1]"
    assert third.message == "discarded incomplete iterations [2]"
    trail = [p.read_bytes() for p in sorted((chain.world.root / "space.versions").glob("*.json"))]
    assert trail[2] == trail[0] != trail[1] == trail[3]  # bare → batch (killed) → bare (undone) → batch (redone)


def test_the_last_rerun_ends_like_a_run_that_was_never_killed(chain: Chain, loop_campaign: CliCampaign) -> None:
    assert_clean_resume(chain.world, chain.seen["campaign"], chain.summary, loop_campaign)


def assert_clean_resume(world: World, campaign_id: str, summary: dict, reference: CliCampaign) -> TrackingStore:
    """Same campaign, contiguous complete iterations recorded once each, the uninterrupted run's result."""
    assert summary["campaign"] == campaign_id
    ref = reference.summary
    for key in ("stop_reason", "iterations", "initial", "final", "best_version", "fixes_applied", "rollbacks",
                "fixes_rejected"):
        assert summary[key] == ref[key], key
    store = TrackingStore(world.tracking)
    n = summary["iterations"]
    assert [h.iteration for h in store.history(campaign_id)] == list(range(1, n + 1))  # complete, contiguous
    assert store.iteration(campaign_id, n + 1) is None  # and no half iteration after them
    for it in range(1, n + 1):
        ids = [r.question_id for r in store.results(campaign_id, it)]
        assert len(ids) == len(set(ids)) == QUESTIONS
    assert store.pending_apply(campaign_id) is None
    for it in range(1, n + 1):
        keys = [f.fix_key for f in store.fixes(campaign_id, it)]
        assert len(keys) == len(set(keys)), f"iteration {it} recorded a fix twice"
    # the live space is the recorded best version, byte for byte, and the same config as the uninterrupted run's
    live = canonical_bytes(load_space(world.space))
    assert live == store.version_bytes(summary["best_version"]) and version_id_for(live) == summary["best_version"]
    final = Path(summary["final_space"]).read_bytes()
    assert final == Path(ref["final_space"]).read_bytes() == world.space.read_bytes()
    return store
