"""Build every demo artefact into one directory: the warehouse file and the two space configs (and, for a demo
campaign, the working copy of the bare space it edits)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from genie_enhance.demo.space_configs import BARE_SPACE, TUNED_SPACE, demo_space_text
from genie_enhance.demo.warehouse import DEFAULT_SEED, build_demo_warehouse
from genie_enhance.fileio import atomic_write
from genie_enhance.package_files import package_dir


@dataclass(frozen=True)
class DemoFiles:
    """Where `build_demo` wrote the demo: `demo.duckdb`, `space_bare.json`, `space_tuned.json`."""

    warehouse: Path
    bare_space: Path
    tuned_space: Path

    def paths(self) -> list[Path]:
        return [self.warehouse, self.bare_space, self.tuned_space]


def _write_atomically(path: Path, text: str) -> None:
    atomic_write(path, text)


DEMO_BENCHMARKS = package_dir("genie_enhance.demo", "benchmarks")  # the demo benchmark files (package data)
WORKING_SPACE = "space.json"  # the space a demo campaign edits (`dagster dev` on the demo uses the same file)


def fresh_working_space(files: DemoFiles) -> Path:
    """`space.json` next to the demo files, a fresh copy of the bare space: a new demo campaign starts from day one,
    never from what an earlier campaign left."""
    target = files.bare_space.parent / WORKING_SPACE
    _write_atomically(target, files.bare_space.read_text(encoding="utf-8"))
    return target


def build_demo(out_dir: str | Path, seed: int = DEFAULT_SEED) -> DemoFiles:
    """Write the demo warehouse (built from `seed`) and copies of the packaged space configs into `out_dir`."""
    out_dir = Path(out_dir)
    warehouse = build_demo_warehouse(out_dir, seed)
    spaces = []
    for name in (BARE_SPACE, TUNED_SPACE):
        target = out_dir / name
        _write_atomically(target, demo_space_text(name))
        spaces.append(target)
    return DemoFiles(warehouse, spaces[0], spaces[1])
