"""Short-lived, serialized DuckDB transactions on the tracking file.

Why: DuckDB lets one process at a time hold a file open for writing, and Dagster steps (other processes) open the
same file between our calls. So every operation opens a connection, runs ONE transaction and closes it; nothing
is held across slow work. Inside this process, a lock per file serializes operations so two threads never race
on the same rows; across processes, opening retries with exponential backoff while another holder has the file.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
from tenacity import Retrying, retry_if_exception, stop_after_delay, wait_exponential

from genie_enhance.tracking.schema import ensure_schema

_LOCKS: dict[str, threading.RLock] = {}
UPSERT_CHUNK = 500  # rows per INSERT statement of `upsert`
_LOCKS_GUARD = threading.Lock()


def _path_lock(path: str) -> threading.RLock:
    """One lock per store file in this process, shared by every `Database` on that file."""
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(path, threading.RLock())


def is_lock_conflict(exc: BaseException) -> bool:
    """DuckDB's error when another process holds the file (`Could not set lock on file ... Conflicting lock`)."""
    return isinstance(exc, duckdb.IOException) and "lock" in str(exc).lower()


class Database:
    """The tracking file: `transaction()` yields a fresh connection inside BEGIN … COMMIT and closes it after."""

    def __init__(self, path: str | Path, *, lock_timeout_s: float = 60.0) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.lock_timeout_s = lock_timeout_s
        self._lock = _path_lock(str(self.path.resolve()))
        with self.transaction() as conn:
            ensure_schema(conn, str(self.path))

    def _connect(self) -> duckdb.DuckDBPyConnection:
        retrying = Retrying(
            retry=retry_if_exception(is_lock_conflict),
            wait=wait_exponential(multiplier=0.05, max=2.0),
            stop=stop_after_delay(self.lock_timeout_s),
            reraise=True,
        )
        return retrying(duckdb.connect, str(self.path))

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One transaction on a new connection; committed on success, rolled back on error, always closed."""
        with self._lock:
            conn = self._connect()
            try:
                conn.execute("BEGIN TRANSACTION")
                try:
                    yield conn
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
            finally:
                conn.close()


def fetch_dicts(conn: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    """Rows of a query as dicts keyed by column name."""
    cursor = conn.execute(sql, list(params))
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def upsert(
    conn: duckdb.DuckDBPyConnection,
    table: str,
    rows: Sequence[dict[str, Any]],
    key: Sequence[str],
    update: Sequence[str] | None = None,
    chunk: int = 0,
) -> None:
    """Insert `rows` (all with the same columns); on a key conflict update the `update` columns (default: every
    non-key column), or leave the existing row alone when `update` is empty.

    Why multi-row VALUES and not `executemany`: DuckDB runs `executemany` as one statement per row, ~10 ms each
    on a tracking file, so 10,000 question results took minutes; chunks of `chunk` (default
    `UPSERT_CHUNK`) rows take a second."""
    if not rows:
        return
    columns = list(rows[0])
    changed = [c for c in columns if c not in key] if update is None else list(update)
    action = (
        "DO UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in changed) if changed else "DO NOTHING"
    )
    row_marks = f"({', '.join('?' for _ in columns)})"
    head = f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
    tail = f" ON CONFLICT ({', '.join(key)}) {action}"
    if len(rows) == 1:
        conn.execute(head + row_marks + tail, [rows[0][c] for c in columns])
        return
    merged = _one_row_per_key(rows, key, changed)
    size = chunk or UPSERT_CHUNK
    for start in range(0, len(merged), size):
        part = merged[start:start + size]
        conn.execute(head + ", ".join([row_marks] * len(part)) + tail, [row[c] for row in part for c in columns])


def _one_row_per_key(rows: Sequence[dict[str, Any]], key: Sequence[str], changed: Sequence[str]) -> list[dict[str, Any]]:
    """The rows as inserting them one by one would leave them: the first row of a key, its `changed` columns
    taken from the key's last row (one multi-row INSERT may not touch a key twice)."""
    by_key: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        k = tuple(row[c] for c in key)
        if k in by_key:
            by_key[k].update({c: row[c] for c in changed})
        else:
            by_key[k] = dict(row)
    return list(by_key.values())
