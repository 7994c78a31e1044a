"""Client-side throttling for Genie questions: a thread-safe token bucket.

Why on our side: the Conversation API allows about 5 questions per minute per workspace, and the SDK retries a
throttled POST silently for up to 5 minutes. Pacing the questions ourselves keeps every worker thread honest and
turns a burst of concurrent questions into a steady stream the service accepts.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class TokenBucket:
    """At most `burst` calls at once, refilled at `rate_per_minute`; `acquire()` blocks until a token is free.

    Callers reserve tokens in arrival order (the balance may go negative) and sleep outside the lock until their
    reservation is covered, so waiting threads neither spin nor overtake one another. In any interval of length
    T, at most `burst + rate·T` acquisitions complete.
    """

    def __init__(
        self,
        rate_per_minute: float,
        burst: int = 1,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate_per_minute <= 0:
            raise ValueError(f"rate_per_minute must be positive, got {rate_per_minute}")
        if burst < 1:
            raise ValueError(f"burst must be at least 1, got {burst}")
        self.rate_per_minute = float(rate_per_minute)
        self.burst = int(burst)
        self._per_second = self.rate_per_minute / 60.0
        self._clock = clock
        self._sleep = sleep
        self._tokens = float(burst)
        self._updated = clock()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Take one token, waiting as long as needed; returns the seconds waited."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._updated) * self._per_second)
            self._updated = now
            self._tokens -= 1.0
            wait = -self._tokens / self._per_second if self._tokens < 0 else 0.0
        if wait > 0:
            self._sleep(wait)
        return wait
