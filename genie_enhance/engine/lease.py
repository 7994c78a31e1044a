"""One driver per campaign: a lease in the tracking store that `run`, `demo` and each Dagster iteration run take.

Why: two drivers on one space (two `run`s, or the sensor's run and a CLI run) would both run iteration 1 and
apply batches over each other, leaving a store that contradicts the live space. The lease names its owner (host,
pid, command) so the refusal says who holds it; a heartbeat thread renews it during long steps; a killed holder
stops renewing, and its lease is taken over once it expires — at once when it was a process of this host that no
longer exists. Inside one process the lease is re-entrant: the CLI runs the Dagster iteration job in-process
under its own lease.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, TypeVar

from genie_enhance.errors import GenieEnhanceError
from genie_enhance.tracking import TrackingStore
from genie_enhance.tracking.leases import LeaseRecord
from genie_enhance.tracking.timeutil import utc_now

DEFAULT_TTL_S = 60.0
TTL_ENV = "GENIE_ENHANCE_LEASE_TTL_S"  # shorter leases for tests that kill a holder
WAIT_POLL_S = 0.25
R = TypeVar("R")

_HELD: dict[tuple[str, str], str] = {}  # (store path, space key) → holder, for leases this process holds
_HELD_LOCK = threading.Lock()


class LeaseHeldError(GenieEnhanceError):
    """Another driver holds the space's lease."""


def lease_ttl_s() -> float:
    raw = os.environ.get(TTL_ENV, "").strip()
    try:
        return float(raw) if raw else DEFAULT_TTL_S
    except ValueError as exc:
        raise GenieEnhanceError(f"{TTL_ENV}={raw!r}: not a number of seconds") from exc


def process_identity() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _is_dead_process(holder: str) -> bool:
    """A holder that is a process of this host that no longer exists (killed): its lease need not expire first.
    Holders of other hosts, and Dagster iteration runs, are only ever taken over after expiry."""
    host, _, pid = holder.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def refusal(lease: LeaseRecord) -> str:
    """The one line a refused driver prints."""
    what = f"campaign {lease.campaign_id}" if lease.campaign_id else f"a campaign of space {lease.space_key}"
    return f"{what} is being run by {lease.owner} since {lease.acquired_at:%Y-%m-%d %H:%M:%S} UTC"


class DriverLease:
    """The lease of `space_key` in `store`, held as `holder` (default: this process)."""

    def __init__(self, store: TrackingStore, space_key: str, command: str, *, holder: str | None = None,
                 ttl_s: float | None = None, clock: Callable[[], datetime] = utc_now,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.store, self.space_key = store, space_key
        self.holder = holder or process_identity()
        self.owner = f"{process_identity()} ({command})"
        self.ttl_s = lease_ttl_s() if ttl_s is None else ttl_s
        self.clock, self.sleep = clock, sleep
        self.lost: LeaseRecord | None = None
        self._key = (str(store.path.resolve()), space_key)

    def held_here(self) -> bool:
        with _HELD_LOCK:
            return _HELD.get(self._key) == self.holder

    def acquire(self, wait_s: float | None = None, campaign_id: str | None = None) -> LeaseRecord:
        """Take the lease, waiting up to `wait_s` seconds for its holder to release it (or for it to expire);
        `LeaseHeldError` naming the holder otherwise."""
        deadline = None if wait_s is None else time.monotonic() + wait_s
        while True:
            taken, lease = self.store.take_lease(self.space_key, self.holder, self.owner, now=self.clock(),
                                                 ttl_s=self.ttl_s, campaign_id=campaign_id)
            if not taken and _is_dead_process(lease.holder):
                taken, lease = self.store.take_lease(self.space_key, self.holder, self.owner, now=self.clock(),
                                                     ttl_s=self.ttl_s, campaign_id=campaign_id,
                                                     dead_holder=lease.holder)
            if taken:
                with _HELD_LOCK:
                    _HELD[self._key] = self.holder
                return lease
            if deadline is None or time.monotonic() >= deadline:
                raise LeaseHeldError(refusal(lease))
            self.sleep(WAIT_POLL_S)

    def renew(self, campaign_id: str | None = None) -> None:
        """Push the expiry out; a lease taken over meanwhile (we stalled past expiry) is recorded in `lost`."""
        taken, lease = self.store.take_lease(self.space_key, self.holder, self.owner, now=self.clock(),
                                             ttl_s=self.ttl_s, campaign_id=campaign_id)
        if not taken:
            self.lost = lease

    def check(self) -> None:
        """Refuse to go on when another driver took the lease over."""
        if self.lost is not None:
            raise LeaseHeldError(f"lease lost: {refusal(self.lost)}")

    def forget(self) -> None:
        """Stop counting the lease as this process's (it stays in the store for the holder's next process)."""
        with _HELD_LOCK:
            if _HELD.get(self._key) == self.holder:
                del _HELD[self._key]

    def release(self) -> None:
        self.forget()
        self.store.release_lease(self.space_key, self.holder)

    @contextmanager
    def heartbeat(self) -> Iterator[None]:
        """Renew every third of the TTL in a daemon thread while the body runs (long scoring steps)."""
        stop = threading.Event()

        def beat() -> None:
            while not stop.wait(self.ttl_s / 3):
                try:
                    self.renew()
                except Exception:  # noqa: BLE001 - a missed beat is retried; expiry is the safety net
                    continue

        thread = threading.Thread(target=beat, name=f"lease-{self.space_key}", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()


@contextmanager
def driving(store: TrackingStore, space_key: str, command: str, *, wait_s: float | None = None) -> Iterator[DriverLease]:
    """Hold the space's lease (heartbeat on) for the body, then release it. Re-entrant within one process."""
    lease = DriverLease(store, space_key, command)
    if lease.held_here():
        yield lease
        return
    lease.acquire(wait_s)
    try:
        with lease.heartbeat():
            yield lease
    finally:
        lease.release()


def iteration_holder(partition: str) -> str:
    """A Dagster iteration run's identity: its partition, so a retry of the same iteration (another process)
    continues under the lease the failed attempt left, instead of waiting for it to expire."""
    return f"dagster:{partition}"


@contextmanager
def iteration_step(store: TrackingStore, space_key: str, campaign_id: str, partition: str, *,
                   last: bool = False) -> Iterator[None]:
    """One step of a Dagster iteration run: nothing when this process already drives the space (the CLI runs
    the job in-process); else take or renew the iteration's lease, heartbeat during the step, release after the
    last step."""
    if DriverLease(store, space_key, "").held_here():
        yield
        return
    lease = DriverLease(store, space_key, f"dagster iteration run {partition}", holder=iteration_holder(partition))
    lease.acquire(campaign_id=campaign_id)
    with lease.heartbeat():
        yield
    if last:
        lease.release()
    else:
        lease.forget()  # the next step may run in another process: it takes the lease by holder


def guarded(lease: DriverLease, run_one: Callable[[Any, str, int], R]) -> Callable[[Any, str, int], R]:
    """`run_one` that first names the campaign in the lease (so a refusal says which) and stops if it was lost."""
    def run(rt: Any, campaign_id: str, iteration: int) -> R:
        lease.check()
        lease.renew(campaign_id)
        lease.check()
        return run_one(rt, campaign_id, iteration)
    return run
