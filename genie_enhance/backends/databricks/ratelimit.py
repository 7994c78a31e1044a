"""One question token bucket per workspace, shared by every `DatabricksGenie` that talks to it.

Why shared: the Conversation API's limit (about 5 questions per minute) is per *workspace*, across all spaces,
so two Genie objects for two spaces of one workspace must draw from one bucket. The bucket itself is
`core.ratelimit.TokenBucket`; `burst` defaults to 1 so that no 60-second window ever holds more than the rate.
"""

from __future__ import annotations

import threading

from genie_enhance.core.ratelimit import TokenBucket

DEFAULT_QUESTIONS_PER_MINUTE = 5.0

_buckets: dict[tuple[str, float, int], TokenBucket] = {}
_lock = threading.Lock()


def workspace_bucket(host: str, rate_per_minute: float = DEFAULT_QUESTIONS_PER_MINUTE, burst: int = 1) -> TokenBucket:
    """The process-wide bucket for questions to `host` at this rate (created on first use)."""
    key = (host.rstrip("/").lower(), float(rate_per_minute), int(burst))
    with _lock:
        bucket = _buckets.get(key)
        if bucket is None:
            bucket = _buckets[key] = TokenBucket(rate_per_minute, burst)
        return bucket
