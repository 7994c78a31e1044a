"""Batch comparison of SQL pairs (`compare-sql --pairs FILE.jsonl`), judged exactly as one `compare_sql` each.

The whole file is read and checked before anything runs (a bad line is an error naming file:line, and nothing is
compared). Each distinct expected SQL runs once (keyed like the scoring cache: the normalized SQL and the options
that change what is fetched); expected and answer queries run on a bounded thread pool (the warehouse gives each
call its own cursor); outcomes come back in input order with a summary.
"""

from __future__ import annotations

import json
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from genie_enhance.core.protocols import Warehouse
from genie_enhance.errors import BenchmarkError, SqlParseError
from genie_enhance.scoring.compare_sql import SQL_ERRORS, compare_actual, expected_error
from genie_enhance.scoring.expected import ExpectedResult, expected_cache_key, run_expected
from genie_enhance.scoring.verdicts import CompareOptions, Comparison, Verdict
from genie_enhance.sql import DIALECT, from_dialect

WORKERS = 4  # queries in flight at once: DuckDB runs them in parallel, comparisons overlap with fetches


class SqlPair(BaseModel):
    """One line of a pairs file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    expected: str
    actual: str | None

    @field_validator("id", mode="before")
    @classmethod
    def _id_text(cls, v: Any) -> Any:
        return str(v) if isinstance(v, int) and not isinstance(v, bool) else v


@dataclass(frozen=True)
class PairOutcome:
    id: str
    comparison: Comparison

    def to_dict(self) -> dict[str, str]:
        c = self.comparison
        return {"id": self.id, "verdict": c.verdict.value, "reason": c.reason.value, "details": c.details}


def read_pairs(path: Path) -> list[SqlPair]:
    """Every pair in a JSON Lines file (blank lines skipped); `BenchmarkError` naming file:line on the first bad
    line, a duplicate id or an empty file."""
    pairs: list[SqlPair] = []
    first_line: dict[str, int] = {}
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        pair = _parse_line(str(path), n, line)
        if pair.id in first_line:
            raise BenchmarkError(str(path), n, f"duplicate id {pair.id!r} (first on line {first_line[pair.id]})")
        first_line[pair.id] = n
        pairs.append(pair)
    if not pairs:
        raise BenchmarkError(str(path), None, "no pairs (expected one JSON object per line)")
    return pairs


def _parse_line(path: str, n: int, line: str) -> SqlPair:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise BenchmarkError(path, n, f"invalid JSON: {exc.msg} (column {exc.colno})") from exc
    if not isinstance(data, dict):
        raise BenchmarkError(path, n, 'expected a JSON object {"id", "expected", "actual"}')
    try:
        return SqlPair.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or "line"
        raise BenchmarkError(path, n, f"field {field!r}: {err['msg']}") from exc


def compare_pairs(
    warehouse: Warehouse, pairs: list[SqlPair], options: CompareOptions | None = None, *,
    dialect: str = DIALECT, workers: int = WORKERS,
) -> list[PairOutcome]:
    """Judge every pair as `compare_sql(warehouse, expected, actual, options, dialect=dialect)` would."""
    o = options or CompareOptions()
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="compare") as pool:
        expected = _run_expected_once(warehouse, [p.expected for p in pairs], o, dialect, pool)
        futures = [pool.submit(_judge, warehouse, expected[p.expected], p.actual, o, dialect) for p in pairs]
        return [PairOutcome(p.id, f.result()) for p, f in zip(pairs, futures)]


def _run_expected_once(
    warehouse: Warehouse, sqls: list[str], options: CompareOptions, dialect: str, pool: ThreadPoolExecutor,
) -> dict[str, ExpectedResult | Comparison]:
    """Each distinct expected SQL's result (or its `error` verdict), run once per cache key."""
    translated: dict[str, str | Comparison] = {}
    for sql in dict.fromkeys(sqls):
        try:
            translated[sql] = from_dialect(sql, dialect)
        except SqlParseError as exc:
            translated[sql] = expected_error(exc)
    texts = {sql: t for sql, t in translated.items() if isinstance(t, str)}
    keys = {sql: expected_cache_key(t, options) for sql, t in texts.items()}
    spelling: dict[str, str] = {}
    for sql, key in keys.items():
        spelling.setdefault(key, sql)  # one run per key (any of its spellings will do)
    runs = {key: pool.submit(_expected, warehouse, texts[sql], options) for key, sql in spelling.items()}
    return {sql: runs[keys[sql]].result() if isinstance(t, str) else t for sql, t in translated.items()}


def _expected(warehouse: Warehouse, sql: str, options: CompareOptions) -> ExpectedResult | Comparison:
    try:
        return run_expected(warehouse, sql, options)
    except SQL_ERRORS as exc:
        return expected_error(exc)


def _judge(
    warehouse: Warehouse, expected: ExpectedResult | Comparison, actual: str | None, options: CompareOptions,
    dialect: str,
) -> Comparison:
    if isinstance(expected, Comparison):  # the expected SQL is broken: the pair is an `error`
        return expected
    return compare_actual(warehouse, expected, actual, options, dialect=dialect)


def summarize(outcomes: list[PairOutcome]) -> dict[str, Any]:
    """Counts per verdict and per reason, and execution accuracy = pass / (pass + fail) (None when nothing is
    scored: `needs_review` and `error` are outside the denominator, as in scoring)."""
    verdicts = Counter(o.comparison.verdict for o in outcomes)
    reasons = Counter(o.comparison.reason.value for o in outcomes)
    scored = verdicts[Verdict.PASS] + verdicts[Verdict.FAIL]
    return {
        "pairs": len(outcomes),
        "verdicts": {v.value: verdicts[v] for v in Verdict},
        "reasons": dict(sorted(reasons.items())),
        "execution_accuracy": round(verdicts[Verdict.PASS] / scored, 4) if scored else None,
    }
