"""Checks every benchmark source shares: read-only expected SQL, model construction, unique ids.

Why at parse time: expected SQL is executed against a real warehouse, so anything that is not one read-only query
must be rejected before it can ever reach `Warehouse.execute`, with the file and line that holds it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError

from genie_enhance.benchmarks.model import Benchmark, question_id
from genie_enhance.errors import BenchmarkError, ReadOnlySqlError, SqlParseError
from genie_enhance.sql import read_only_view

_FILE_LINE = re.compile(r"^(?P<path>.+):(?P<line>\d+)$")


def check_sql(sql: str, path: str, line: int | None, where: str = "") -> str:
    """`sql` stripped, or `BenchmarkError` if it is empty, does not parse, or is not one read-only query."""
    prefix = f"{where}: " if where else ""
    text = sql.strip()
    if not text:
        raise BenchmarkError(path, line, f"{prefix}empty expected SQL")
    try:
        read_only_view(text)
    except ReadOnlySqlError as exc:
        raise BenchmarkError(path, line, f"{prefix}expected SQL is not read-only: {exc}") from exc
    except SqlParseError as exc:
        raise BenchmarkError(path, line, f"{prefix}expected SQL does not parse: {exc}") from exc
    return text


def build_benchmark(path: str, line: int | None, where: str = "", **fields: Any) -> Benchmark:
    """A `Benchmark`, with any model validation problem reported as a `BenchmarkError` at `path:line`."""
    try:
        return Benchmark(**fields)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'benchmark'}: {e['msg']}" for e in exc.errors()
        )
        prefix = f"{where}: " if where else ""
        raise BenchmarkError(path, line, f"{prefix}{problems}") from exc


def location(benchmark: Benchmark) -> tuple[str, int | None]:
    """(path, line) parsed back from `benchmark.source` (`<file>:<line>`; other sources have no line)."""
    match = _FILE_LINE.match(benchmark.source)
    if match:
        return match["path"], int(match["line"])
    return benchmark.source, None


def ensure_unique_ids(benchmarks: Iterable[Benchmark]) -> None:
    """Raise `BenchmarkError` at the second occurrence of an id, naming where the first one is."""
    first: dict[str, Benchmark] = {}
    for bench in benchmarks:
        earlier = first.setdefault(bench.id, bench)
        if earlier is bench:
            continue
        path, line = location(bench)
        if bench.label is not None and bench.label == earlier.label:
            what = f"duplicate benchmark label {bench.label!r} (id {bench.id})"
        else:
            why = " (the same question text)" if _text_derived(bench) and _text_derived(earlier) else ""
            what = f"duplicate benchmark id {bench.id}{why}"
        raise BenchmarkError(path, line, f"{what}; first defined at {earlier.source}")


def _text_derived(benchmark: Benchmark) -> bool:
    return benchmark.id == question_id(benchmark.question)
