"""A file the OS refuses to write ends the command in one line naming the path, exit 2, no traceback (issue 10,
finding 10): a full disk (ENOSPC injected at the space store's write helper, and a real 64 KiB tmpfs when this
machine can mount one), a read-only output folder and a read-only folder holding the space file."""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from typer.testing import CliRunner

import genie_enhance.cli  # noqa: F401  (registers every command on the app)
from genie_enhance.backends.local import space_store
from genie_enhance.benchmarks import load_benchmarks
from genie_enhance.cli.app import app
from genie_enhance.demo.build import DEMO_BENCHMARKS
from genie_enhance.demo.space_configs import BARE_SPACE, demo_space_text


def can_mount() -> bool:
    return os.geteuid() == 0 and shutil.which("mount") is not None


@contextmanager
def filesystem(path: Path, *, size: str = "4m", read_only: bool = False) -> Iterator[Path]:
    """`path` as its own small tmpfs (optionally remounted read-only after `fill`), unmounted after."""
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], check=True)
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def make_read_only(path: Path) -> None:
    if os.geteuid() == 0:
        subprocess.run(["mount", "-o", "remount,ro", str(path)], check=True)
    else:
        path.chmod(0o555)


@pytest.fixture()
def world(demo_db: Path, tmp_path: Path) -> dict:
    items = [{"id": b.id, "question": b.question, "expected_sql": b.expected_sql}
             for b in load_benchmarks(DEMO_BENCHMARKS / "commerce.md")[:4]]
    benchmarks = tmp_path / "four.json"
    benchmarks.write_text(json.dumps({"benchmarks": items}), encoding="utf-8")
    space = tmp_path / "space.json"
    space.write_text(demo_space_text(BARE_SPACE), encoding="utf-8")
    return {"root": tmp_path, "warehouse": demo_db, "space": space, "benchmarks": benchmarks}


def run(world: dict, space: Path, out: Path) -> object:
    args = ["run", "--backend", "local", "--warehouse", str(world["warehouse"]), "--space", str(space),
            "--benchmarks", str(world["benchmarks"]), "--out", str(out), "--llm", "off", "--json",
            "--max-iterations", "2"]
    return CliRunner().invoke(app, args, env={"DAGSTER_HOME": str(world["root"] / "dagster_home"),
                                              "OPENAI_API_KEY": None})


def assert_one_line(result, *needles: str) -> None:
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr, result.exception)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    for needle in needles:
        assert needle in lines[0], lines[0]


def test_disk_full_while_writing_the_space(world: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    real = space_store._atomic_write

    def full(target: Path, data: bytes, **kwargs) -> None:
        if target.name == world["space"].name:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(target))
        real(target, data, **kwargs)

    monkeypatch.setattr(space_store, "_atomic_write", full)
    before = world["space"].read_bytes()
    result = run(world, world["space"], world["root"] / "out")
    assert_one_line(result, str(world["space"]), "No space left on device", "disk is full")
    assert world["space"].read_bytes() == before  # nothing half-written


@pytest.mark.skipif(not can_mount(), reason="needs mount (root) for a real tiny filesystem")
def test_disk_full_for_real_on_a_tiny_filesystem(world: dict) -> None:
    with filesystem(world["root"] / "tiny", size="64k") as tiny:
        result = run(world, world["space"], tiny / "out")
    assert_one_line(result, str(tiny / "out"))


@pytest.mark.skipif(os.geteuid() == 0 and not can_mount(), reason="root ignores permissions and cannot mount")
def test_read_only_out_dir(world: dict) -> None:
    with filesystem(world["root"] / "ro-out") as out:
        make_read_only(out)
        result = run(world, world["space"], out)
    assert_one_line(result, str(out / "tracking.duckdb"))


@pytest.mark.skipif(os.geteuid() == 0 and not can_mount(), reason="root ignores permissions and cannot mount")
def test_read_only_space_dir(world: dict) -> None:
    with filesystem(world["root"] / "ro-space") as folder:
        space = folder / "space.json"
        shutil.copy(world["space"], space)
        make_read_only(folder)
        result = run(world, space, world["root"] / "out")
        assert space.read_bytes() == world["space"].read_bytes()
    assert_one_line(result, str(folder))
