"""A space config in a JSON file, behaving like the Genie space API: etags, no lost updates, full history.

Why this much care for a local file: the improvement loop exports a config, works on it for minutes, then applies
a batch. If anything (a person, a second run) changed the file meanwhile, writing would silently discard that
edit, so `update` refuses a stale etag exactly as the Databricks API does. Writes are atomic (temp file in the
same directory + `os.replace`) and serialized across processes by an `fcntl` lock, and every version ever
written or replaced is kept byte for byte under `<stem>.versions/` so a rollback restores the exact bytes.
"""

from __future__ import annotations

import fcntl
import hashlib
import re
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from genie_enhance.errors import ConcurrentEditError
from genie_enhance.fileio import atomic_write
from genie_enhance.space.io import SpaceDocument, decode_text, parse_document
from genie_enhance.space.model import SerializedSpace

_VERSION_NAME = re.compile(r"^(?P<number>\d{4,})-(?P<etag>[0-9a-f]{32})\.json$")


def etag_of(data: bytes) -> str:
    """The etag of a file's bytes: the first 32 hex digits of their SHA-256."""
    return hashlib.sha256(data).hexdigest()[:32]


@dataclass(frozen=True)
class SpaceVersion:
    """One kept version: its sequence number (1 = oldest), etag and file."""

    number: int
    etag: str
    path: Path


class FileSpaceStore:
    """`SpaceStore` over one space file (bare `serialized_space` or the export wrapper, which is kept)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.versions_dir = self.path.with_name(f"{self.path.stem}.versions")

    # ------------------------------------------------------------------------------------------ reading
    def read_bytes(self) -> bytes:
        if not self.path.is_file():
            raise FileNotFoundError(f"space file not found: {self.path}")
        return self.path.read_bytes()

    def current_etag(self) -> str:
        return etag_of(self.read_bytes())

    def export(self) -> tuple[SerializedSpace, str]:
        """The space in the file and its etag (one read, so the two always belong together)."""
        document, etag = self.export_document()
        return document.space, etag

    def export_document(self) -> tuple[SpaceDocument, str]:
        """Like `export`, with the export wrapper (if the file has one)."""
        data = self.read_bytes()
        return parse_document(decode_text(data, str(self.path)), source=str(self.path)), etag_of(data)

    # ------------------------------------------------------------------------------------------ writing
    def update(self, space: SerializedSpace, etag: str) -> str:
        """Replace the space if `etag` is still current (else `ConcurrentEditError`, file untouched)."""
        with self._locked():
            current = self._check_etag(etag)
            wrapper = parse_document(current.decode("utf-8"), source=str(self.path)).export
            data = (SpaceDocument(space, wrapper).to_json() + "\n").encode("utf-8")
            return self._replace(current, data)

    def restore_bytes(self, data: bytes, etag: str) -> str:
        """Write exactly `data` (a kept version, for rollback) if `etag` is current; returns the new etag."""
        parse_document(data.decode("utf-8"), source=f"{self.path} (restored bytes)")  # never write an invalid space
        with self._locked():
            current = self._check_etag(etag)
            return self._replace(current, data)

    # ------------------------------------------------------------------------------------------ history
    def versions(self) -> list[SpaceVersion]:
        """Every kept version, oldest first."""
        if not self.versions_dir.is_dir():
            return []
        found = []
        for entry in self.versions_dir.iterdir():
            match = _VERSION_NAME.match(entry.name)
            if match:
                found.append(SpaceVersion(int(match["number"]), match["etag"], entry))
        return sorted(found, key=lambda v: v.number)

    def read_version(self, etag: str) -> bytes:
        """The exact bytes of a kept version."""
        for version in reversed(self.versions()):
            if version.etag == etag:
                return version.path.read_bytes()
        raise KeyError(f"{self.path}: no kept version with etag {etag}")

    # ------------------------------------------------------------------------------------------ internals
    def _check_etag(self, etag: str) -> bytes:
        current = self.read_bytes()
        current_etag = etag_of(current)
        if current_etag != etag:
            raise ConcurrentEditError(
                f"{self.path}: the space changed since it was exported (etag {etag} is stale, "
                f"current {current_etag}); nothing was written"
            )
        return current

    def _replace(self, current: bytes, data: bytes) -> str:
        """Keep the replaced bytes and the new ones as versions, then swap the file in atomically."""
        if data == current:
            return etag_of(data)
        self._keep(current, only_if_new=True)
        _atomic_write(self.path, data, mode_from=self.path)
        self._keep(data)
        return etag_of(data)

    def _keep(self, data: bytes, *, only_if_new: bool = False) -> None:
        etag = etag_of(data)
        versions = self.versions()
        if only_if_new and versions and versions[-1].etag == etag:
            return
        number = versions[-1].number + 1 if versions else 1
        _atomic_write(self.versions_dir / f"{number:04d}-{etag}.json", data)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """An exclusive inter-process lock on a side file (the space file itself is swapped, so it cannot hold one)."""
        self.versions_dir.mkdir(parents=True, exist_ok=True)
        with open(self.versions_dir / ".lock", "a+b") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _atomic_write(target: Path, data: bytes, *, mode_from: Path | None = None) -> None:
    """Write a temp file next to `target`, fsync it, and `os.replace` it over `target` (readers never see a half)."""
    mode = stat.S_IMODE(mode_from.stat().st_mode) if mode_from is not None and mode_from.exists() else None
    atomic_write(target, data, mode=mode, fsync=True)
