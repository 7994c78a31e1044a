"""Denotation for the leakage guard: a query whose result set is a holdout question's answer carries that answer.

Why: however a query is spelled, if it returns exactly what a holdout question's expected SQL returns, an example
holding it hands Genie the holdout answer. The candidate runs once on the warehouse and is compared with each
holdout's expected result by our comparator (`scoring.compare_results`), leniently: row order ignored and extra
columns allowed, since a shuffled or widened copy of the answer is still the answer. Not judged as leaks:
- empty results (every "none found" query would match);
- a single value from tables the holdout query does not read: a count of 12 channels is not the count of 12
  moderators. A constant query (no table at all) that returns a holdout's single value *is* a leak;
- a candidate that fails or is cut by the row cap (validation judges a broken query; a longer result is no copy).
Costs are bounded: holdout results come from the expected-result cache (once per config version), computed only
when a first candidate needs them; a candidate runs once (cached by text) with a row cap one above the largest
holdout result.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from genie_enhance.benchmarks import Benchmark
from genie_enhance.core.protocols import Warehouse
from genie_enhance.errors import GenieEnhanceError
from genie_enhance.scoring.compare import compare_results
from genie_enhance.scoring.expected import ExpectedResult
from genie_enhance.scoring.verdicts import CompareOptions, Verdict
from genie_enhance.sql import read_only_view, referenced_tables

LENIENT = CompareOptions(extra_columns="allow")

ExpectedLookup = Callable[[Benchmark], ExpectedResult]


@dataclass(frozen=True)
class _Answer:
    id: str
    result: ExpectedResult
    tables: frozenset[str]

    @property
    def single_value(self) -> bool:
        return self.result.row_count == 1 and len(self.result.columns) == 1


def _tables(sql: str) -> frozenset[str]:
    try:
        return frozenset(referenced_tables(read_only_view(sql)))
    except GenieEnhanceError:
        return frozenset()


class ResultMatcher:
    """Which holdout question's answer a query returns, if any (see the module docstring)."""

    def __init__(self, warehouse: Warehouse, holdout: Sequence[Benchmark], expected: ExpectedLookup) -> None:
        self.warehouse = warehouse
        self.holdout = list(holdout)
        self._expected = expected
        self._answers: list[_Answer] | None = None
        self._matches: dict[str, str | None] = {}
        self.executed = 0  # candidate queries run on the warehouse (for the report and tests)

    def answers(self) -> list[_Answer]:
        """The holdout answers worth matching (non-empty, computable), computed on first use."""
        if self._answers is None:
            answers = []
            for bench in self.holdout:
                try:
                    result = self._expected(bench)
                except (GenieEnhanceError, ValueError, RuntimeError):  # a broken benchmark: nothing to leak
                    continue
                if result.row_count and not result.result.truncated:
                    answers.append(_Answer(bench.id, ExpectedResult.unordered(result.result),
                                           _tables(bench.expected_sql)))
            self._answers = answers
        return self._answers

    def match(self, sql: str) -> str | None:
        """The id of the holdout question whose answer `sql` returns, or None."""
        if sql not in self._matches:
            self._matches[sql] = self._match(sql)
        return self._matches[sql]

    def _match(self, sql: str) -> str | None:
        answers = self.answers()
        if not answers:
            return None
        cap = max(a.result.row_count for a in answers) + 1
        try:
            self.executed += 1
            actual = self.warehouse.execute(sql, limit=cap)
        except (GenieEnhanceError, ValueError, RuntimeError):
            return None
        if actual.row_count == 0 or actual.row_count >= cap or actual.truncated:
            return None
        tables = _tables(sql)
        for answer in answers:
            if answer.result.row_count != actual.row_count or not self._plausible(answer, tables):
                continue
            if compare_results(answer.result, actual, LENIENT).verdict is Verdict.PASS:
                return answer.id
        return None

    @staticmethod
    def _plausible(answer: _Answer, tables: frozenset[str]) -> bool:
        """A lone value equal by chance is no copy unless the query reads the same data (or none at all)."""
        return not answer.single_value or not tables or bool(tables & answer.tables)

