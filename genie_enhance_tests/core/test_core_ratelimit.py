"""TokenBucket: concurrent callers never exceed `burst + rate·T` in any window, and are not slowed needlessly."""

from __future__ import annotations

import threading
import time

import pytest

from genie_enhance.core.ratelimit import TokenBucket


def _max_in_window(stamps: list[float], window: float) -> int:
    stamps = sorted(stamps)
    best = 0
    for i, start in enumerate(stamps):
        best = max(best, sum(1 for t in stamps[i:] if t < start + window))
    return best


def _hammer(bucket: TokenBucket, threads: int, per_thread: int) -> list[float]:
    stamps: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(per_thread):
            bucket.acquire()
            with lock:
                stamps.append(time.monotonic())

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return stamps


def test_concurrent_acquisitions_never_exceed_the_rate() -> None:
    rate_per_minute, burst = 1200.0, 2  # 20 per second
    bucket = TokenBucket(rate_per_minute, burst)
    started = time.monotonic()
    stamps = _hammer(bucket, threads=6, per_thread=5)
    elapsed = time.monotonic() - started
    assert len(stamps) == 30
    per_second = rate_per_minute / 60
    for window in (0.1, 0.25, 0.5, 1.0):
        allowed = burst + per_second * window
        assert _max_in_window(stamps, window) <= allowed + 1e-9, window
    # 30 calls with 2 free at the start need (30 - 2) / 20 s; the bucket must not be much slower than that
    assert (30 - burst) / per_second - 0.05 <= elapsed <= (30 - burst) / per_second + 0.6


def test_burst_is_immediate_then_paced() -> None:
    bucket = TokenBucket(600.0, burst=3)  # 10 per second
    waits = [bucket.acquire() for _ in range(5)]
    assert waits[:3] == [0.0, 0.0, 0.0]
    assert waits[3] == pytest.approx(0.1, abs=0.03)
    assert waits[4] == pytest.approx(0.1, abs=0.03)


def test_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        TokenBucket(0)
    with pytest.raises(ValueError):
        TokenBucket(10, burst=0)
