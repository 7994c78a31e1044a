"""What loading benchmark files produced: the questions, the warnings about what was kept or skipped, the files.

Why warnings are data and not log lines: the same files are read by the CLI, the engine and the Dagster `benchmarks`
asset; each front end shows them its own way (stderr once, a campaign event, asset metadata), so none of them may
be printed as a side effect of parsing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from genie_enhance.benchmarks.model import Benchmark
from genie_enhance.benchmarks.space_source import SkippedQuestion


@dataclass(frozen=True)
class BenchmarkWarning:
    """Something in a benchmark file that was read but not used as written (skipped, or kept as metadata)."""

    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}" if self.line else f"{self.path}: {self.message}"

    def to_dict(self) -> dict[str, str | int | None]:
        return {"file": self.path, "line": self.line, "message": self.message}


@dataclass
class LoadedBenchmarks:
    """What a load produced: the benchmarks, the warnings, the space questions skipped as unscorable, the files."""

    benchmarks: list[Benchmark] = field(default_factory=list)
    warnings: list[BenchmarkWarning] = field(default_factory=list)
    skipped: list[SkippedQuestion] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    def extend(self, other: LoadedBenchmarks) -> None:
        self.benchmarks.extend(other.benchmarks)
        self.warnings.extend(other.warnings)
        self.skipped.extend(other.skipped)
        self.files.extend(other.files)
