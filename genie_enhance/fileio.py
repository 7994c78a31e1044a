"""Atomic file writes: a temp file next to the target, then `os.replace`, so readers never see half a file.

Why one helper: every file the tool writes (the local space, reports, the LLM cache, the final space, proposals)
must be either the old bytes or the new ones, and must leave no temp file behind — removed on any exception, and
swept on the next write when a killed process (SIGKILL, power loss) could not remove it itself.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

STALE_TEMP_S = 600.0  # a temp file this old belongs to a writer that died: no write takes that long


def temp_prefix(target: Path) -> str:
    return f".{target.name}."


def atomic_write(target: str | Path, data: bytes | str, *, mode: int | None = None, fsync: bool = False) -> Path:
    """Write `data` to `target` atomically (str as UTF-8); `mode` sets the permission bits, `fsync` makes the
    bytes durable before they become visible. On any exception the target is unchanged and the temp file gone."""
    path = Path(target)
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    sweep_stale_temps(path)
    fd, tmp = tempfile.mkstemp(prefix=temp_prefix(path), suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(raw)
            if fsync:
                handle.flush()
                os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def sweep_stale_temps(target: Path, *, older_than_s: float = STALE_TEMP_S) -> list[Path]:
    """Remove temp files of `target` left by a writer that was killed (older than `older_than_s`)."""
    removed: list[Path] = []
    cutoff = time.time() - older_than_s
    try:
        candidates = list(target.parent.glob(f"{temp_prefix(target)}*.tmp"))
    except OSError:
        return removed
    for tmp in candidates:
        try:
            if tmp.stat().st_mtime < cutoff:
                tmp.unlink()
                removed.append(tmp)
        except OSError:
            continue  # another writer finished or swept it meanwhile
    return removed
