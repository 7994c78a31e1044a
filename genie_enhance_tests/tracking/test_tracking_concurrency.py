"""The store never holds its file between calls, waits for another process's lock, and serializes threads."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time

import duckdb

from genie_enhance_tests.tracking.tracking_helpers import run_iteration, spec, store_at


def test_another_process_can_write_the_file_between_calls(tmp_path):
    store = store_at(tmp_path)
    store.start_campaign(spec())
    run_iteration(store, "camp-1", 0, 0.5)
    script = textwrap.dedent(f"""
        import duckdb
        conn = duckdb.connect({str(store.path)!r})  # read-write: fails if any other process holds the file
        conn.execute("CREATE TABLE other_writer AS SELECT 42 AS answer")
        print(conn.execute("SELECT count(*) FROM iterations").fetchone()[0])
        conn.close()
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "1"
    # and we can use the file again afterwards, seeing the other writer's change
    assert store.last_complete_iteration("camp-1") == 0
    with duckdb.connect(str(store.path), read_only=True) as conn:
        assert conn.execute("SELECT answer FROM other_writer").fetchone() == (42,)


def test_a_write_waits_for_another_process_holding_the_lock(tmp_path):
    store = store_at(tmp_path)
    store.start_campaign(spec())
    script = textwrap.dedent(f"""
        import sys, time, duckdb
        conn = duckdb.connect({str(store.path)!r})
        print("locked", flush=True)
        time.sleep(1.0)
        conn.close()
    """)
    holder = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        started = time.perf_counter()
        assert store.record_event("camp-1", "k", "written after the other process let go") == 1
        waited = time.perf_counter() - started
    finally:
        holder.wait(timeout=30)
    assert holder.returncode == 0
    assert waited > 0.3  # it really had to wait for the holder
    assert [e.message for e in store.events("camp-1")] == ["written after the other process let go"]


def test_threads_recording_events_at_once_do_not_corrupt(tmp_path):
    store = store_at(tmp_path)
    store.start_campaign(spec())
    other = type(store)(store.path)  # a second store object on the same file shares the process lock
    errors: list[BaseException] = []
    per_thread = 15

    def record(target, name):
        try:
            for i in range(per_thread):
                target.record_event("camp-1", name, f"{name} {i}", data={"i": i})
        except BaseException as exc:  # noqa: BLE001 - surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=record, args=(s, n)) for s, n in ((store, "a"), (other, "b"), (store, "c"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    events = store.events("camp-1")
    assert [e.seq for e in events] == list(range(1, 3 * per_thread + 1))  # no gaps, no duplicates
    for name in "abc":
        mine = [e for e in events if e.kind == name]
        assert [e.data["i"] for e in mine] == list(range(per_thread))  # each thread's order is preserved
