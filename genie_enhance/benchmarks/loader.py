"""One entry point for every benchmark source: a markdown file, a JSON benchmark file, a Genie space document, or
a directory of those (`*.md` and `*.json`, not recursive, loaded in file-name order).

A `.json` file is a space document when it is an object with `serialized_space` (the export wrapper), or with
`data_sources`/`config`/`instructions`, or whose `benchmarks` is an object (`{"questions": [...]}`); it is a benchmark
file when it is a list or its `benchmarks` is a list. Ids must be unique across everything loaded together.

A markdown file without any question (an INDEX.md, notes) is skipped with a warning when it was found in a
directory, and is an error when it was named on its own: then it is surely not what the user meant to load.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from genie_enhance.benchmarks.checks import ensure_unique_ids
from genie_enhance.benchmarks.json_source import json_benchmarks, read_json
from genie_enhance.benchmarks.loaded import BenchmarkWarning, LoadedBenchmarks
from genie_enhance.benchmarks.markdown import read_markdown
from genie_enhance.benchmarks.model import Benchmark
from genie_enhance.benchmarks.space_source import SkippedQuestion, space_benchmarks
from genie_enhance.errors import BenchmarkError, SpaceFormatError
from genie_enhance.space.io import parse_document

SUFFIXES = (".md", ".json")
_SPACE_KEYS = {"serialized_space", "data_sources", "config", "instructions"}
_NO_QUESTIONS = ("no benchmark questions: no section is a question (a `## ` heading with a **Question:** line, or "
                 "a numbered heading such as `### 1. <question>`) with a ```sql block")

log = logging.getLogger(__name__)


def load_benchmarks(path: str | Path) -> list[Benchmark]:
    """Every benchmark under `path` (file or directory); warnings (skipped questions and files, fields kept as
    metadata) are logged — use `load_benchmark_set` to show them yourself."""
    loaded = load_benchmark_set(path)
    for warning in loaded.warnings:
        log.warning("%s", warning)
    return loaded.benchmarks


def load_benchmark_set(path: str | Path) -> LoadedBenchmarks:
    """Like `load_benchmarks`, also returning the warnings, the skipped space questions and the files read."""
    return load_benchmark_paths([path])


def load_benchmark_paths(paths: Sequence[str | Path]) -> LoadedBenchmarks:
    """Everything under several files and directories, as one set (ids unique across all of them)."""
    result = LoadedBenchmarks()
    for path in map(Path, paths):
        result.extend(_load_path(path))
    ensure_unique_ids(result.benchmarks)
    return result


def _load_path(path: Path) -> LoadedBenchmarks:
    if path.is_file():
        return _load_file(path, alone=True)
    if not path.is_dir():
        raise BenchmarkError(str(path), None, "no such benchmark file or directory")
    files = sorted((p for p in path.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES), key=lambda p: p.name)
    if not files:
        raise BenchmarkError(str(path), None, "directory has no *.md or *.json benchmark files")
    result = LoadedBenchmarks()
    for file in files:
        result.extend(_load_file(file, alone=False))
    if not result.benchmarks and not result.skipped:
        why = "".join(f"; {w}" for w in result.warnings)
        raise BenchmarkError(str(path), None, f"directory has no benchmark questions{why}")
    return result


def _load_file(path: Path, *, alone: bool) -> LoadedBenchmarks:
    suffix = path.suffix.lower()
    if suffix == ".md":
        loaded = _markdown_file(path, alone=alone)
        if not loaded.benchmarks:
            return loaded  # skipped, with its warning
    elif suffix == ".json":
        text, data = read_json(path)
        if is_space_document(data):
            loaded = _from_space_text(text, str(path))
        else:
            loaded = json_benchmarks(data, str(path), text)
    else:
        raise BenchmarkError(str(path), None, f"unsupported benchmark file type {suffix!r} (use .md or .json)")
    loaded.files.append(str(path))
    return loaded


def _markdown_file(path: Path, *, alone: bool) -> LoadedBenchmarks:
    """A markdown file's benchmarks; one without any is an error on its own, else skipped with one warning."""
    loaded = read_markdown(path)
    if loaded.benchmarks:
        return loaded
    if alone:
        why = f"; {loaded.warnings[0]}" if loaded.warnings else ""
        more = f" (and {len(loaded.warnings) - 1} more)" if len(loaded.warnings) > 1 else ""
        raise BenchmarkError(str(path), None, f"{_NO_QUESTIONS}{why}{more}")
    return LoadedBenchmarks(warnings=[BenchmarkWarning(str(path), None, f"skipped, {_NO_QUESTIONS}")])


def is_space_document(data: Any) -> bool:
    """True for a Genie space (bare `serialized_space` or the export wrapper), False for a benchmark file."""
    if not isinstance(data, dict) or isinstance(data.get("benchmarks"), list):
        return False
    return bool(_SPACE_KEYS & data.keys()) or isinstance(data.get("benchmarks"), dict)


def _from_space_text(text: str, path: str) -> LoadedBenchmarks:
    try:
        document = parse_document(text, source=path)
    except SpaceFormatError as exc:
        raise BenchmarkError(path, None, "invalid Genie space: " + "; ".join(exc.problems)) from exc
    found = space_benchmarks(document.space, path)
    return LoadedBenchmarks(found.benchmarks, [_skipped_warning(s) for s in found.skipped], found.skipped)


def _skipped_warning(skipped: SkippedQuestion) -> BenchmarkWarning:
    return BenchmarkWarning(skipped.source, None, f"benchmark question skipped ({skipped.reason}): "
                                                  f"{skipped.question[:80]}")

