"""The expected result of a benchmark question: run once per (normalized expected SQL, options), reused for
every answer compared against it.

Besides the rows, an `ExpectedResult` knows how order is checked: not at all (no outermost ORDER BY), by runs of
tied rows (`ties`: rows with equal ORDER BY keys may come in any order), or strictly by position (when the keys
cannot be recovered). Under `ORDER BY … LIMIT`, the rows tied with the boundary rows but cut off by the LIMIT are
kept in `pool`: an answer may show any of them in the boundary positions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from genie_enhance.core.protocols import ResultSet, Warehouse
from genie_enhance.errors import SqlExecutionError
from genie_enhance.scoring.normalize import NormColumn, normalize_column, run_ids
from genie_enhance.scoring.ordering import plan_order
from genie_enhance.scoring.verdicts import CompareOptions, OrderCheck
from genie_enhance.sql import ensure_read_only, normalize_sql

TIE_ROWS = 1000  # rows fetched beyond an ORDER BY … LIMIT window to see the boundary's tie group


@dataclass(eq=False)
class ExpectedResult:
    result: ResultSet  # the rows the expected SQL returns
    order: OrderCheck = "none"
    group_ids: np.ndarray | None = None  # tie group of each result row (order != "none")
    pool: ResultSet | None = None  # rows outside the LIMIT window tied with a boundary row
    pool_group_ids: np.ndarray | None = None
    pool_complete: bool = True  # False when the boundary tie group may continue beyond the rows fetched
    sql: str | None = None
    notes: tuple[str, ...] = ()
    _normalized: list[NormColumn] | None = field(default=None, repr=False)

    @property
    def row_count(self) -> int:
        return self.result.row_count

    def normalized(self) -> list[NormColumn]:
        """The result rows then the pool rows, normalised once and shared by every answer compared with them."""
        if self._normalized is None:
            frame = self.result.frame
            if self.pool is not None:
                frame = pd.concat([frame, self.pool.frame], ignore_index=True)
            types = list(self.result.column_types) + [""] * len(self.columns)
            self._normalized = [normalize_column(frame.iloc[:, i], types[i]) for i in range(len(self.columns))]
        return self._normalized

    @property
    def columns(self) -> list[str]:
        return self.result.columns

    @classmethod
    def unordered(cls, result: ResultSet, sql: str | None = None, notes: Sequence[str] = ()) -> ExpectedResult:
        return cls(result, "none", sql=sql, notes=tuple(notes))

    @classmethod
    def ordered(
        cls, result: ResultSet, key_columns: Sequence[int] | None = None, sql: str | None = None,
        notes: Sequence[str] = (),
    ) -> ExpectedResult:
        """Ordered rows; ties among equal `key_columns` values, or strict positions when `key_columns` is None."""
        if key_columns is None:
            return cls(result, "strict", np.arange(result.row_count, dtype=np.int64), sql=sql, notes=tuple(notes))
        return cls.from_ordered_fetch(result, key_columns, len(result.columns), 0, None, True, sql=sql, notes=notes)

    @classmethod
    def from_ordered_fetch(
        cls, fetched: ResultSet, key_columns: Sequence[int], visible: int, start: int, count: int | None,
        complete: bool, sql: str | None = None, notes: Sequence[str] = (),
    ) -> ExpectedResult:
        """Cut the window [start, start+count) out of ordered `fetched` rows (whose first `visible` columns are the
        output; the rest are hidden key columns) and keep the boundary tie groups' other rows as the pool."""
        types = list(fetched.column_types) + [""] * len(fetched.columns)
        keys = [normalize_column(fetched.frame.iloc[:, k], types[k]) for k in key_columns]
        n = fetched.row_count
        gid = run_ids(keys) if keys else np.zeros(n, dtype=np.int64)
        start = min(start, n)
        end = n if count is None else min(start + count, n)
        boundary: set[int] = set()
        if 0 < start < n and gid[start - 1] == gid[start]:
            boundary.add(int(gid[start]))
        if start < end < n and gid[end] == gid[end - 1]:
            boundary.add(int(gid[end - 1]))
        outside = np.r_[0:start, end:n]
        pool_idx = outside[np.isin(gid[outside], list(boundary))] if boundary else outside[:0]
        notes = list(notes)
        pool_complete = complete or count is None or end == 0 or gid[end - 1] != gid[n - 1]
        if not pool_complete:
            notes.append(f"the rows tied with the last row of the LIMIT continue beyond the {n} rows fetched; "
                         "only those were considered")
        frame = fetched.frame.iloc[:, :visible]
        cols, vtypes = fetched.columns[:visible], list(fetched.column_types[:visible])
        result = ResultSet(cols, frame.iloc[start:end].reset_index(drop=True), vtypes, fetched.truncated)
        pool = ResultSet(cols, frame.iloc[pool_idx].reset_index(drop=True), vtypes) if len(pool_idx) else None
        return cls(
            result, "ties", gid[start:end].copy(), pool, gid[pool_idx].copy() if len(pool_idx) else None,
            pool_complete, sql, tuple(notes),
        )


def expected_cache_key(sql: str, options: CompareOptions | None = None) -> str:
    """Cache key of an expected result: the normalized SQL and the options that change what is fetched."""
    o = options or CompareOptions()
    return f"{normalize_sql(sql)}|max_rows={o.max_rows}|tie_rows={TIE_ROWS}"


def run_expected(
    warehouse: Warehouse, sql: str, options: CompareOptions | None = None, *, tie_rows: int = TIE_ROWS
) -> ExpectedResult:
    """Run the expected SQL once, with what is needed to judge order and ties.

    Raises `SqlParseError` / `ReadOnlySqlError` (checked before anything runs) or `SqlExecutionError`.
    """
    o = options or CompareOptions()
    tree = ensure_read_only(sql)
    plan = plan_order(sql, tree, tie_rows)
    notes = list(plan.notes)
    if plan.rewritten:
        try:
            fetched = warehouse.execute(plan.sql, limit=o.max_rows)
        except SqlExecutionError as exc:
            original = warehouse.execute(sql, limit=o.max_rows)  # raises when the expected SQL itself is broken
            notes.append(f"could not recover the ORDER BY keys ({exc}); order compared strictly by position")
            return ExpectedResult.ordered(original, None, sql=sql, notes=notes)
    else:
        fetched = warehouse.execute(sql, limit=o.max_rows)
    if plan.order == "none":
        return ExpectedResult.unordered(fetched, sql, notes)
    if plan.order == "strict":
        return ExpectedResult.ordered(fetched, None, sql=sql, notes=notes)
    visible = len(fetched.columns) - plan.hidden
    if any(k >= visible for k in plan.keys or []):
        # an ordinal beyond the output: only the hidden columns made the rewrite valid; let the original decide
        original = warehouse.execute(sql, limit=o.max_rows)
        notes.append("an ORDER BY ordinal is beyond the output columns; order compared strictly by position")
        return ExpectedResult.ordered(original, None, sql=sql, notes=notes)
    keys = list(range(visible)) if plan.all_keys else [k if k >= 0 else visible - k - 1 for k in plan.keys or []]
    complete = (plan.fetch is None or fetched.row_count < plan.fetch) and not fetched.truncated
    result = ExpectedResult.from_ordered_fetch(fetched, keys, visible, plan.start, plan.count, complete, sql, notes)
    window_end = plan.start + plan.count if plan.count is not None else None
    cut = fetched.truncated and (window_end is None or fetched.row_count < window_end)
    result.result.truncated = bool(cut)
    return result

