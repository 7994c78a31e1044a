"""One entry point for every benchmark source: a markdown file, a JSON benchmark file, a Genie space document, or
a directory of those (`*.md` and `*.json`, not recursive, loaded in file-name order).

A `.json` file is a space document when it is an object with `serialized_space` (the export wrapper), or with
`data_sources`/`config`/`instructions`, or whose `benchmarks` is an object (`{"questions": [...]}`); it is a benchmark
file when `benchmarks` is a list. Ids must be unique across everything loaded together.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from genie_enhance.benchmarks.checks import ensure_unique_ids
from genie_enhance.benchmarks.json_source import benchmarks_from_json, read_json
from genie_enhance.benchmarks.markdown import load_markdown
from genie_enhance.benchmarks.model import Benchmark
from genie_enhance.benchmarks.space_source import SkippedQuestion, log_skipped, space_benchmarks
from genie_enhance.errors import BenchmarkError, SpaceFormatError
from genie_enhance.space.io import parse_document

SUFFIXES = (".md", ".json")
_SPACE_KEYS = {"serialized_space", "data_sources", "config", "instructions"}


@dataclass
class LoadedBenchmarks:
    """What a load produced: the benchmarks, the space questions skipped as unscorable, and the files read."""

    benchmarks: list[Benchmark] = field(default_factory=list)
    skipped: list[SkippedQuestion] = field(default_factory=list)
    files: list[str] = field(default_factory=list)


def load_benchmarks(path: str | Path) -> list[Benchmark]:
    """Every benchmark under `path` (file or directory); skipped space questions are logged."""
    loaded = load_benchmark_set(path)
    log_skipped(loaded.skipped)
    return loaded.benchmarks


def load_benchmark_set(path: str | Path) -> LoadedBenchmarks:
    """Like `load_benchmarks`, also returning the skipped questions and the files read."""
    path = Path(path)
    if path.is_dir():
        files = sorted(
            (p for p in path.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES), key=lambda p: p.name
        )
        if not files:
            raise BenchmarkError(str(path), None, "directory has no *.md or *.json benchmark files")
    elif path.is_file():
        files = [path]
    else:
        raise BenchmarkError(str(path), None, "no such benchmark file or directory")
    result = LoadedBenchmarks()
    for file in files:
        part = _load_file(file)
        result.benchmarks.extend(part.benchmarks)
        result.skipped.extend(part.skipped)
        result.files.append(str(file))
    ensure_unique_ids(result.benchmarks)
    return result


def _load_file(path: Path) -> LoadedBenchmarks:
    suffix = path.suffix.lower()
    if suffix == ".md":
        return LoadedBenchmarks(load_markdown(path))
    if suffix != ".json":
        raise BenchmarkError(str(path), None, f"unsupported benchmark file type {suffix!r} (use .md or .json)")
    text, data = read_json(path)
    if is_space_document(data):
        return _from_space_text(text, str(path))
    return LoadedBenchmarks(benchmarks_from_json(data, str(path), text))


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
    return LoadedBenchmarks(found.benchmarks, found.skipped)

