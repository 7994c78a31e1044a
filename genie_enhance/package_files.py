"""Files shipped inside the package (prompts, demo benchmarks, report templates), found through the import system.

Why: a path computed from `__file__` up into the repository breaks once the package is installed from a wheel;
`importlib.resources` finds the files wherever the package was installed.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def package_dir(package: str, *parts: str) -> Path:
    """A directory of package data as a filesystem path (templates and benchmark loaders read real files)."""
    found = files(package).joinpath(*parts)
    if not isinstance(found, Path):
        raise RuntimeError(f"{package}/{'/'.join(parts)} is not on the filesystem ({found!r}); install unzipped")
    return found
