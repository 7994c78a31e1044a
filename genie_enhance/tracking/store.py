"""`TrackingStore`: the enhancement loop's memory in one DuckDB file of its own (e.g. `<out>/tracking.duckdb`).

It holds campaigns, iterations (complete only once their outcome is written), per-question results, fixes with
their status and measured effect, exact config bytes per version, LLM calls, an event log and the write-ahead
pending-apply row that makes a killed run resumable. Every public method opens a connection, runs one
transaction and closes it, so Dagster steps in other processes can open the file between calls; writes are
idempotent upserts and are scrubbed of secrets (see `store_writes`, `store_queries`).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from genie_enhance.tracking.database import Database
from genie_enhance.tracking.health import StoreHealth
from genie_enhance.tracking.leases import StoreLeases
from genie_enhance.tracking.store_queries import StoreQueries
from genie_enhance.tracking.store_writes import StoreWrites

DEFAULT_FILENAME = "tracking.duckdb"


class TrackingStore(StoreWrites, StoreQueries, StoreHealth, StoreLeases):
    """The tracking store at `path` (created with its schema if missing).

    `secrets`: values (API keys, tokens) that must never be written; any text equal to or containing one is
    redacted, on top of the key-name and token-shape rules of `genie_enhance.redact`.
    `lock_timeout_s`: how long to keep retrying while another process holds the file.
    """

    def __init__(self, path: str | Path, *, secrets: Iterable[str] = (), lock_timeout_s: float = 60.0) -> None:
        self._db = Database(path, lock_timeout_s=lock_timeout_s)
        self._secrets = frozenset(s for s in secrets if s)

    @property
    def path(self) -> Path:
        return self._db.path

    @classmethod
    def in_dir(
        cls, out_dir: str | Path, *, secrets: Iterable[str] = (), lock_timeout_s: float = 60.0
    ) -> TrackingStore:
        """The store at `<out_dir>/tracking.duckdb`."""
        return cls(Path(out_dir) / DEFAULT_FILENAME, secrets=secrets, lock_timeout_s=lock_timeout_s)

    def __repr__(self) -> str:
        return f"TrackingStore({str(self.path)!r})"
