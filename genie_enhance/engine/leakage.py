"""The leakage guard in a campaign: built for the space being changed, recorded per iteration, re-checked at the end.

Why here and not in the proposers: the guard's strongest rules need the campaign's world — the space's tables and
columns (to qualify SQL), the warehouse's values (to normalize questions) and the expected results of the holdout
questions (cached per config version, as scoring caches them). Every iteration records what the guard inspected
and stopped (event `leak_guard`, counts by rule); when a campaign finishes, the final live config is checked as a
whole (event `leak_check`), each leak marked as already in the campaign's starting config or added by it.
"""

from __future__ import annotations

import logging
from typing import Any

from genie_enhance.benchmarks import Benchmark
from genie_enhance.engine.runtime import Runtime
from genie_enhance.errors import GenieEnhanceError
from genie_enhance.proposers.guard import Leak, LeakageGuard, distinctive_literals, space_leaks, string_literals
from genie_enhance.proposers.leak_questions import compared_columns
from genie_enhance.proposers.leak_results import ResultMatcher
from genie_enhance.scoring.expected import ExpectedResult
from genie_enhance.space.io import parse_space, space_to_json
from genie_enhance.space.model import SerializedSpace
from genie_enhance.sql import read_only_view
from genie_enhance.tracking import version_id_for
from genie_enhance.tracking.guard_events import CHECK_EVENT, GUARD_EVENT, guard_totals

log = logging.getLogger(__name__)

LOW_CARDINALITY = 256  # a column with at most this many distinct values holds entity values questions name


def entity_values(rt: Runtime) -> list[str]:
    """The benchmarks' string literals, plus every value of the low-cardinality columns they are compared with
    (read once per runtime: a few small DISTINCT queries)."""
    if rt.entity_values is None:
        values: set[str] = set()
        columns: set[tuple[str, str]] = set()
        for bench in rt.benchmarks:
            values |= string_literals(bench.expected_sql)
            try:
                columns |= compared_columns(read_only_view(bench.expected_sql))
            except GenieEnhanceError:
                continue
        for table, column in sorted(columns):
            try:
                found = rt.backend.warehouse.distinct_values(table, column, LOW_CARDINALITY + 1)
            except (GenieEnhanceError, ValueError, RuntimeError):
                continue
            if len(found) <= LOW_CARDINALITY:
                values.update(v for v in found if v)
        rt.entity_values = sorted(values)
    return rt.entity_values


def build_guard(rt: Runtime, space: SerializedSpace) -> LeakageGuard:
    """The full guard for proposals on `space`: canonical SQL against its tables and columns, questions with the
    warehouse's values normalized, and the result rule over the holdout's expected results of this version."""
    holdout = rt.split.holdout
    tables = [t.identifier for t in space.all_tables()]
    version = version_id_for(space_to_json(space).encode("utf-8"))
    options = rt.settings.compare_options()
    warehouse = rt.backend.warehouse

    def expected(bench: Benchmark) -> ExpectedResult:
        return rt.expected_cache.get(warehouse, bench.expected_sql, options, version)

    return LeakageGuard(
        holdout, tables=tables, columns={t.lower(): rt.catalog.columns(t) for t in tables},
        entity_values=entity_values(rt) if holdout else (), results=ResultMatcher(warehouse, holdout, expected),
    )


def record_guard_run(rt: Runtime, campaign_id: str, iteration: int, guard: LeakageGuard) -> None:
    """One event per iteration: how many proposals the guard inspected and stopped, by rule."""
    stopped = {rule.value: n for rule, n in sorted(guard.tally.items(), key=lambda kv: kv[0].value)}
    total = sum(stopped.values())
    queries = guard.results.executed if guard.results is not None else 0
    by_rule = ", ".join(f"{rule} {n}" for rule, n in stopped.items())
    message = f"leakage guard: inspected {guard.checked} proposal(s), stopped {total}" + (f" ({by_rule})" if by_rule else "")
    rt.tracking.record_event(campaign_id, GUARD_EVENT, message, iteration=iteration,
                             data={"checked": guard.checked, "stopped": stopped, "queries": queries})


def _leak_rows(leaks: list[Leak], base: set[tuple[str, str]]) -> list[dict[str, Any]]:
    return [{"path": leak.path, "rule": leak.rule.value, "holdout_id": leak.holdout_id, "reason": leak.reason,
             "in_base": (leak.path, leak.reason) in base} for leak in leaks]


def check_final_space(rt: Runtime, campaign_id: str) -> dict[str, Any] | None:
    """Check the live config the campaign leaves behind with every rule, record the `leak_check` event once per
    final version, and return its data (None when the campaign has no holdout)."""
    split = rt.split
    if not split.holdout:
        return None
    space, _ = rt.backend.store.export()
    version = version_id_for(space_to_json(space).encode("utf-8"))
    done = [e for e in rt.tracking.events(campaign_id) if e.kind == CHECK_EVENT]
    if done and done[-1].data.get("version_id") == version:
        return done[-1].data
    literals = distinctive_literals(split.holdout, split.train)
    leaks = space_leaks(space, build_guard(rt, space), literals)
    base = _base_leaks(rt, campaign_id, literals) if leaks else set()
    rows = _leak_rows(leaks, base)
    added = [r for r in rows if not r["in_base"]]
    data = {"version_id": version, "leaks": rows, "added": len(added)}
    if not rows:
        message = "final space: no holdout question, SQL, answer or holdout-only literal found"
    else:
        message = (f"final space: {len(rows)} leak(s) of the holdout found ({len(added)} added by this campaign, "
                   f"{len(rows) - len(added)} already in its starting config): "
                   + "; ".join(f"{r['path']}: {r['reason']}" for r in rows[:5]))
        log.warning(message)
    rt.tracking.record_event(campaign_id, CHECK_EVENT, message, data=data)
    return data


def _base_leaks(rt: Runtime, campaign_id: str, literals: dict[str, str]) -> set[tuple[str, str]]:
    """(path, reason) of the leaks the campaign's starting config already had."""
    history = rt.tracking.history(campaign_id)
    if not history:
        return set()
    first = parse_space(rt.tracking.version_bytes(history[0].config_version_id).decode("utf-8"))
    return {(leak.path, leak.reason) for leak in space_leaks(first, build_guard(rt, first), literals)}


def guard_summary(rt: Runtime, campaign_id: str) -> dict[str, Any]:
    """What `run --json` reports as `leak_guard`: proposals inspected and stopped (by rule) over the campaign,
    and the final-space check."""
    return guard_totals(rt.tracking.events(campaign_id)).summary()
