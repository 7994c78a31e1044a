"""Benchmarks a Genie space already carries (`serialized_space.benchmarks.questions`).

A question whose first answer is not SQL (or that has no answer: Genie grades those by manual review) cannot be
scored by execution, so it is skipped and reported, not an error. So is one whose SQL does not parse or is not
read-only (it must never be executed) or whose question is empty: the space is the user's live config, not a file
written for this tool, and one unusable question must not block scoring the others. The space's id is kept when
it is valid 32-hex; otherwise the id is derived from the question text. Duplicate ids are an error.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from genie_enhance.benchmarks.checks import build_benchmark, check_sql, ensure_unique_ids
from genie_enhance.benchmarks.model import Benchmark
from genie_enhance.errors import BenchmarkError
from genie_enhance.space.ids import is_valid_id
from genie_enhance.space.lines import join_lines
from genie_enhance.space.model import BenchmarkQuestion, SerializedSpace

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SkippedQuestion:
    """A space benchmark that cannot be scored by execution, and why."""

    source: str
    id: str | None
    question: str
    reason: str


@dataclass
class SpaceBenchmarks:
    benchmarks: list[Benchmark] = field(default_factory=list)
    skipped: list[SkippedQuestion] = field(default_factory=list)


def space_benchmarks(space: SerializedSpace, source: str) -> SpaceBenchmarks:
    """Scorable benchmarks of `space` plus the skipped ones; `source` names the space (file path or space id).

    Each benchmark's `source` is `space:<source>#benchmarks.questions[<i>]`.
    """
    result = SpaceBenchmarks()
    for index, question in enumerate(space.benchmarks.questions):
        where = f"benchmarks.questions[{index}]"
        origin = f"space:{source}#{where}"
        try:
            result.benchmarks.append(_benchmark(question, source, where, origin))
        except _Unscorable as exc:
            text = join_lines(question.question).strip()
            result.skipped.append(SkippedQuestion(origin, question.id, text, str(exc)))
    ensure_unique_ids(result.benchmarks)
    return result


def benchmarks_from_space(space: SerializedSpace, source: str) -> list[Benchmark]:
    """Scorable benchmarks of `space`; skipped questions are logged (use `space_benchmarks` to get them)."""
    result = space_benchmarks(space, source)
    log_skipped(result.skipped)
    return result.benchmarks


def log_skipped(skipped: list[SkippedQuestion]) -> None:
    for item in skipped:
        log.warning("%s: benchmark question skipped (%s): %s", item.source, item.reason, item.question[:80])


class _Unscorable(Exception):
    """Why a space question cannot become a benchmark (internal: turned into a `SkippedQuestion`)."""


def _benchmark(question: BenchmarkQuestion, source: str, where: str, origin: str) -> Benchmark:
    if not question.answer:
        raise _Unscorable("no answer")
    answer = question.answer[0]
    if (answer.format or "").upper() != "SQL":
        raise _Unscorable(f"answer format is {answer.format!r}, not SQL")
    text = join_lines(question.question).strip()
    if not text:
        raise _Unscorable("empty question")
    try:
        sql = check_sql(join_lines(answer.content), source, None, f"{where}.answer[0].content")
    except BenchmarkError as exc:
        raise _Unscorable(exc.message) from exc
    return build_benchmark(
        source,
        None,
        where,
        id=question.id if is_valid_id(question.id) else None,
        question=text,
        expected_sql=sql,
        source=origin,
    )
