"""The clock and the sleep of propagation waits, injected through the runtime so tests need not wait.

Why its own module: the runtime holds one, and `propagation` (which reads the runtime) uses it, so it sits below
both.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Settler:
    """The clock and the sleep of propagation waits (wall-clock seconds: a Dagster step may wait for a write
    another process made)."""

    clock: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep
    waits: list[float] = field(default_factory=list)

    def wait_until(self, deadline: float) -> float:
        """Sleep until `deadline` (clock seconds); returns the seconds waited (0 when it has passed)."""
        remaining = deadline - self.clock()
        if remaining <= 0:
            return 0.0
        self.sleep(remaining)
        self.waits.append(remaining)
        return remaining
