"""Atomic writes leave no temp file behind: an exception removes it, and a killed writer's one is swept later.

Through real entry points: the local space store's `update` (what every campaign write uses) and `write_space`.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from genie_enhance.backends.local.space_store import FileSpaceStore
from genie_enhance.demo.space_configs import BARE_SPACE, demo_space_text
from genie_enhance.fileio import STALE_TEMP_S, atomic_write
from genie_enhance.space.io import load_space, space_to_json, write_space


def _temps(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.tmp"))


@pytest.fixture()
def space_file(tmp_path: Path) -> Path:
    path = tmp_path / "space.json"
    path.write_text(demo_space_text(BARE_SPACE), encoding="utf-8")
    return path


def test_a_failure_before_replace_leaves_the_space_and_no_temp_file(space_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = FileSpaceStore(space_file)
    space, etag = store.export()
    before = space_file.read_bytes()
    other = (space_to_json(space, indent=None) + "\n").encode("utf-8")  # the same space, other bytes
    assert other != before

    def crash(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        store.restore_bytes(other, etag)
    monkeypatch.undo()
    assert space_file.read_bytes() == before
    assert _temps(space_file.parent) == []


def test_a_failure_while_writing_removes_the_temp_file(tmp_path: Path, space_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "final_space.json"

    class Boom(Exception):
        pass

    def broken_fsync(fd: int) -> None:
        raise Boom("disk gone")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(Boom):
        atomic_write(target, b"{}", fsync=True)
    assert not target.exists() and _temps(tmp_path) == []


def test_a_killed_writers_temp_file_is_swept_by_the_next_write(tmp_path: Path, space_file: Path) -> None:
    out = tmp_path / "copy.json"
    stale = tmp_path / ".copy.json.abc123.tmp"  # what a SIGKILL between mkstemp and os.replace leaves
    fresh = tmp_path / ".copy.json.def456.tmp"  # a writer still at work: left alone
    for path in (stale, fresh):
        path.write_text("half", encoding="utf-8")
    old = time.time() - STALE_TEMP_S - 5
    os.utime(stale, (old, old))
    write_space(out, load_space(space_file))
    assert load_space(out) == load_space(space_file)
    assert _temps(tmp_path) == [fresh]
