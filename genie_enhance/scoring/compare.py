"""Pure comparison of an answer's result set with the expected result (no SQL, no warehouse).

Order of judgement: results cut by `max_rows`; empty results; missing columns; then every column alignment the
values allow (best first, an exact search pruned by the row tuples of the columns aligned so far, `prefix`) is
tried: rows must match as a multiset (ties at an ORDER BY … LIMIT boundary interchangeable), then extra columns
(policy), then row order (runs of tied rows as multisets). When no alignment passes, a best-effort alignment
explains the failure: type difference, missing / extra rows or value difference, with an example row (the first by
value, so the details do not depend on the order the warehouse returned the rows in). A search that runs out of
budget says `needs_review`, never `fail`.
"""

from __future__ import annotations

import numpy as np

from genie_enhance.core.protocols import ResultSet
from genie_enhance.scoring.columns import Budget, alignments, best_alignment, candidates, preference, same_multiset
from genie_enhance.scoring.expected import ExpectedResult
from genie_enhance.scoring.keys import Tolerance
from genie_enhance.scoring.matching import ColumnPair, WindowMatch, match_rows, match_window
from genie_enhance.scoring.normalize import (
    NormColumn,
    cells_equal,
    compatible,
    format_row,
    normalize_result,
    pair_mode,
)
from genie_enhance.scoring.pairs import group_keys
from genie_enhance.scoring.prefix import Prefix, PrefixBags
from genie_enhance.scoring.verdicts import CompareOptions, Comparison, Reason, Verdict

_CLOSEST_SAMPLE = 5000
# Work the alignment search may spend, in units of one row hashed into a prefix (~0.1 µs): a few seconds. A full
# row match costs about (4 + columns) units per row plus a fixed overhead (measured at 5k and 1M rows).
_SEARCH_UNITS = 150_000_000
_MATCH_CALL_UNITS = 20_000


def compare_results(
    expected: ExpectedResult | ResultSet, actual: ResultSet, options: CompareOptions | None = None
) -> Comparison:
    """Compare `actual` with `expected` (a bare `ResultSet` is taken as unordered)."""
    exp_result = expected if isinstance(expected, ExpectedResult) else ExpectedResult.unordered(expected)
    return _Comparer(exp_result, actual, options or CompareOptions()).run()


class _Comparer:
    def __init__(self, expected: ExpectedResult, actual: ResultSet, options: CompareOptions) -> None:
        self.x = expected
        self.actual = actual
        self.o = options
        self.tol = Tolerance(options.rtol, options.atol)
        self.ne, self.na = expected.row_count, actual.row_count
        self.names_e, self.names_a = list(expected.columns), list(actual.columns)
        self.nce, self.nca = len(self.names_e), len(self.names_a)
        self.notes = list(expected.notes)
        self._row_matches: dict[tuple[tuple[int, int], ...], WindowMatch] = {}

    # ---- outcome helpers ----------------------------------------------------------------------------------

    def _out(self, verdict: Verdict, reason: Reason, details: str, mapping: dict[int, int] | None = None) -> Comparison:
        return Comparison(
            verdict=verdict, reason=reason, details=details, column_mapping=mapping or {},
            expected_rows=self.ne, actual_rows=self.na, expected_columns=self.names_e, actual_columns=self.names_a,
            order=self.x.order, notes=list(dict.fromkeys(self.notes)),
        )

    def _fail(self, reason: Reason, details: str, mapping: dict[int, int] | None = None) -> Comparison:
        return self._out(Verdict.FAIL, reason, details, mapping)

    # ---- judgement ----------------------------------------------------------------------------------------

    def run(self) -> Comparison:
        early = self._truncation() or self._empties()
        if early is not None:
            return early
        self._prepare()
        if self.nca < self.nce:
            return self._missing_columns()
        if self.na != self.ne:  # no alignment can match the rows
            return self._explain()
        return self._search()

    def _search(self) -> Comparison:
        """Try every alignment the prefix test leaves (best first); undecided rather than failed when cut short."""
        wrong_order: Comparison | None = None
        undecided: str | None = None
        self.budget = Budget(_SEARCH_UNITS)
        self.bags = PrefixBags(self.required, self.pool_rows, self.ne + self.n_pool, self.na)
        cands = candidates(self.nce, self.nca, self._fits)
        self.branching = any(len(c) > 1 for c in cands)  # else the one full alignment is checked at once
        prefer = preference(self.names_e, self.names_a)
        for mapping in alignments(cands, prefer, self.bags.root(), self._extend, self._same_cells, self.budget):
            pairs = self._pairs(mapping)
            self._spend_match(len(pairs), twice=self.e_groups is not None)
            wm = self._rows(mapping, pairs)
            if not wm.ok:
                undecided = undecided or wm.gave_up
                continue
            outcome = self._rows_match(mapping, pairs)
            if outcome.reason is Reason.WRONG_ORDER:
                wrong_order = wrong_order or outcome
                continue
            return outcome
        if self.budget.stopped:
            seen = f" (so far: {wrong_order.details})" if wrong_order else ""
            return self._out(Verdict.NEEDS_REVIEW, Reason.SEARCH_LIMIT, "the search for a column alignment under "
                             f"which the rows match ran out of budget before it could decide{seen}")
        if undecided:
            self.notes.append(undecided)
            return self._out(Verdict.NEEDS_REVIEW, Reason.SEARCH_LIMIT, "the exact row matching ran out of budget "
                             "before it could decide whether the rows match")
        return wrong_order or self._explain()

    def _extend(self, prefix: Prefix, i: int, j: int) -> Prefix | None:
        """`prefix` plus i→j if some passing alignment may contain it (sound: never drops a passing one)."""
        if not self.branching:  # a single alignment is possible: its row match decides, nothing to prune
            return Prefix(prefix.he, prefix.ha, prefix.mapping + ((i, j),))
        e, a = self.E[i], self.A[j]
        mode = pair_mode(e, a, self.o.exact_integers)
        self.budget.spend(len(e) + len(a))
        nxt = self.bags.extend(prefix, i, j, group_keys(e, mode), group_keys(a, mode))
        if nxt is None or mode != "tol" or len(nxt.mapping) == self.nce:
            return nxt
        mapping = dict(nxt.mapping)  # a fractional column: the exact row match of the prefix decides
        self._spend_match(len(mapping))
        wm = self._rows(mapping, self._pairs(mapping))
        return nxt if wm.ok or wm.gave_up else None

    def _spend_match(self, columns: int, twice: bool = False) -> None:
        """Charge a row match over `columns` columns (twice when the order is checked too)."""
        cost = (self.ne + self.na) * (4 + columns) + _MATCH_CALL_UNITS
        self.budget.spend(cost * (2 if twice else 1))

    def _same_cells(self, j: int, k: int) -> bool:
        """Answer columns j and k hold the same cells (trying both at one position cannot change the verdict)."""
        a, b = self.A[j], self.A[k]
        frame = self.actual.frame
        return a.kind == b.kind and a.integral == b.integral and frame.iloc[:, j].equals(frame.iloc[:, k])

    def _truncation(self) -> Comparison | None:
        cut_e, cut_a = self.x.result.truncated, self.actual.truncated
        cap = self.o.max_rows
        if cut_e and cut_a:
            return self._out(Verdict.NEEDS_REVIEW, Reason.TRUNCATED,
                             f"both results exceed max_rows={cap}; the rows beyond it cannot be compared")
        if cut_e:
            return self._fail(Reason.MISSING_ROWS,
                              f"expected more than {cap} rows (max_rows), the answer has {self.na}")
        if cut_a:
            return self._fail(Reason.EXTRA_ROWS, f"the answer has more than {cap} rows (max_rows), expected {self.ne}")
        return None

    def _empties(self) -> Comparison | None:
        if self.ne and self.na:
            return None
        if self.ne and not self.na:
            return self._fail(Reason.EMPTY_RESULT, f"expected {self.ne} row(s), the answer returned none")
        if self.nca < self.nce:
            return self._fail(Reason.MISSING_COLUMNS, f"the answer has {self.nca} column(s), expected {self.nce}")
        if self.na:
            cols = normalize_result(self.actual)
            first = format_row([c.display(first_by_value(cols, self.a_all())) for c in cols])
            return self._fail(Reason.EXTRA_ROWS, f"expected no rows, the answer returned {self.na}, e.g. {first}")
        if self.nca > self.nce:  # the extra-columns policy, as when rows match
            if self.o.extra_columns == "fail":
                return self._fail(Reason.EXTRA_COLUMNS, f"both empty, but the answer has {self.nca} column(s), "
                                                        f"expected {self.nce}")
            self.notes.append(f"{self.nca - self.nce} extra answer column(s) ignored")
        if self.o.empty_expected == "pass":
            return self._out(Verdict.PASS, Reason.EMPTY_EXPECTED, "both results are empty (accepted by policy)")
        return self._out(Verdict.NEEDS_REVIEW, Reason.EMPTY_EXPECTED,
                         "both results are empty: an empty expected result cannot confirm the answer")

    def a_all(self) -> np.ndarray:
        return np.arange(self.na, dtype=np.int64)

    def _prepare(self) -> None:
        x = self.x
        self.E: list[NormColumn] = x.normalized()
        self.A: list[NormColumn] = normalize_result(self.actual)
        self.a_rows = self.a_all()
        self.n_pool = n_pool = x.pool.row_count if x.pool is not None else 0
        self.e_groups = None
        boundary = np.zeros(self.ne, dtype=bool)
        if x.group_ids is not None:
            pool_groups = x.pool_group_ids if x.pool_group_ids is not None else np.zeros(0, dtype=np.int64)
            self.e_groups = np.concatenate([x.group_ids, pool_groups]).astype(np.int64)
            boundary = np.isin(x.group_ids, pool_groups)
        self.required = np.flatnonzero(~boundary)
        self.pool_rows = np.concatenate([np.flatnonzero(boundary), self.ne + np.arange(n_pool)]).astype(np.int64)
        self.slots = int(boundary.sum())
        if x.pool is not None and not x.pool_complete:
            self.notes.append("tie group at the LIMIT boundary only partly known")

    def _pairs(self, mapping: dict[int, int]) -> list[ColumnPair]:
        return [ColumnPair(self.E[i], self.A[j], pair_mode(self.E[i], self.A[j], self.o.exact_integers))
                for i, j in sorted(mapping.items())]

    def _window(self, pairs: list[ColumnPair]) -> WindowMatch:
        return match_window(pairs, self.tol, self.required, self.pool_rows, self.slots, self.a_rows, self.ne)

    def _rows(self, mapping: dict[int, int], pairs: list[ColumnPair]) -> WindowMatch:
        """Row matching under a full alignment, computed once per alignment."""
        key = tuple(sorted(mapping.items()))
        if key not in self._row_matches:
            self._row_matches[key] = self._window(pairs)
        return self._row_matches[key]

    def _fits(self, i: int, j: int) -> bool:
        """Necessary condition for expected column i to be answer column j in a passing alignment."""
        e, a = self.E[i], self.A[j]
        if not compatible(e, a):
            return False
        if not len(self.pool_rows):
            return same_multiset(e, a, self.tol, self.o.exact_integers)
        wm = self._window([ColumnPair(e, a, pair_mode(e, a, self.o.exact_integers))])
        return wm.ok or wm.gave_up is not None

    def _rows_match(self, mapping: dict[int, int], pairs: list[ColumnPair]) -> Comparison:
        """The rows match under `mapping`: judge extra columns, then order."""
        extra = [j for j in range(self.nca) if j not in mapping.values()]
        if extra and self.o.extra_columns == "fail":
            names = ", ".join(repr(self.names_a[j]) for j in extra)
            return self._fail(Reason.EXTRA_COLUMNS, f"the rows match, but the answer has {len(extra)} extra "
                                                    f"column(s): {names}", mapping)
        if extra:
            self.notes.append("extra answer column(s) ignored: " + ", ".join(repr(self.names_a[j]) for j in extra))
        if self.e_groups is not None:
            slot_groups = self.e_groups[: self.ne]
            every = np.arange(len(self.e_groups))
            om = match_rows(pairs, self.tol, every, self.a_rows, (self.e_groups,), (slot_groups,))
            if len(om.unmatched_a):
                p = int(om.unmatched_a.min())
                ties = " (rows with equal ORDER BY keys may come in any order)" if self.x.order == "ties" else ""
                return self._fail(Reason.WRONG_ORDER, f"same rows, wrong order: answer row {p + 1} is "
                                  f"{self._answer_row(p, mapping)}, expected {self._expected_row(p)}{ties}", mapping)
        return self._out(Verdict.PASS, Reason.MATCH, self._match_details(), mapping)

    def _match_details(self) -> str:
        how = {"none": "as a multiset", "ties": "in order (ties as multisets)", "strict": "in order"}[self.x.order]
        return f"{self.ne} row(s) × {self.nce} column(s) match {how}"

    # ---- explaining failures ------------------------------------------------------------------------------

    def _alignment(self) -> dict[int, int]:
        return best_alignment(self.E, self.A, self.names_e, self.names_a, self.tol, self.o.exact_integers)

    def _missing_columns(self) -> Comparison:
        mapping = self._alignment()
        missing = [f"{self.names_e[i]!r} ({self.E[i].kind})" for i in range(self.nce) if i not in mapping]
        return self._fail(Reason.MISSING_COLUMNS, f"the answer has {self.nca} column(s), expected {self.nce}; "
                                                  f"missing: {', '.join(missing)}", mapping)

    def _explain(self) -> Comparison:
        mapping = self._alignment()
        for i, j in mapping.items():
            if not compatible(self.E[i], self.A[j]):
                return self._fail(Reason.TYPE_DIFFERENCE, f"expected column {self.names_e[i]!r} holds "
                                  f"{self.E[i].kind} values; no answer column of that kind is left (best "
                                  f"candidate {self.names_a[j]!r} holds {self.A[j].kind})", mapping)
        pairs = self._pairs(mapping)
        wm = self._rows(mapping, pairs)
        if wm.gave_up:
            self.notes.append(wm.gave_up)
        return self._row_failure(mapping, pairs, wm)

    def _row_failure(self, mapping: dict[int, int], pairs: list[ColumnPair], wm: WindowMatch) -> Comparison:
        missing, extra = wm.missing, wm.extra
        counts = f"expected {self.ne} row(s), the answer has {self.na}"
        e_row = self._example_missing(wm)
        a_rows = self._by_value(self._answer_cols(mapping), wm.unmatched_actual)
        if extra == 0:
            return self._fail(Reason.MISSING_ROWS, f"{missing} expected row(s) missing ({counts}), e.g. "
                                                   f"{self._expected_row(e_row)}", mapping)
        if missing == 0:
            return self._fail(Reason.EXTRA_ROWS, f"{extra} unexpected row(s) ({counts}), e.g. "
                                                 f"{self._answer_row(int(a_rows[0]), mapping)}", mapping)
        a_row = self._closest(e_row, a_rows, pairs)
        return self._fail(Reason.VALUE_DIFFERENCE, f"{missing} expected row(s) not in the answer and {extra} answer "
                          f"row(s) not expected ({counts}), e.g. expected {self._expected_row(e_row)}, closest answer "
                          f"row {self._answer_row(a_row, mapping)}", mapping)

    def _example_missing(self, wm: WindowMatch) -> int:
        """The first (by value) required expected row left unmatched, else the first unmatched pool row."""
        for rows in (wm.first.unmatched_e, wm.second.unmatched_e if wm.second is not None else None, self.pool_rows):
            if rows is not None and len(rows):
                return first_by_value(self.E, rows)
        return 0

    def _by_value(self, cols: list[NormColumn], rows: np.ndarray) -> np.ndarray:
        return rows[value_order(cols, rows)] if len(rows) else rows

    def _closest(self, e_row: int, a_rows: np.ndarray, pairs: list[ColumnPair]) -> int:
        """The unmatched answer row sharing the most cells with expected row `e_row` (`a_rows` sorted by value;
        beyond `_CLOSEST_SAMPLE` rows an even sample of them)."""
        cand = a_rows[:: max(1, -(-len(a_rows) // _CLOSEST_SAMPLE))]
        score = np.zeros(len(cand), dtype=np.int64)
        ie = np.full(len(cand), e_row, dtype=np.int64)
        for p in pairs:
            score += cells_equal(p.e, p.a, p.mode, ie, cand, self.tol)
        return int(cand[int(np.argmax(score))])

    def _expected_row(self, r: int) -> str:
        return format_row([c.display(r) for c in self.E])

    def _answer_cols(self, mapping: dict[int, int]) -> list[NormColumn]:
        """Answer columns in expected order, then the extra ones."""
        cols = [mapping[i] for i in sorted(mapping)] + [j for j in range(self.nca) if j not in mapping.values()]
        return [self.A[j] for j in cols]

    def _answer_row(self, r: int, mapping: dict[int, int]) -> str:
        return format_row([c.display(r) for c in self._answer_cols(mapping)])


def value_order(cols: list[NormColumn], rows: np.ndarray) -> np.ndarray:
    """Positions of `rows` sorted by their values (fractional numbers by value, other cells by exact key), so an
    example row is the same whatever order the warehouse returned the rows in."""
    keys = [c.data("tol")[rows] if pair_mode(c, c) == "tol" else c.exact_keys(pair_mode(c, c))[rows]
            for c in reversed(cols)]
    return np.lexsort(keys) if keys else np.arange(len(rows))


def first_by_value(cols: list[NormColumn], rows: np.ndarray) -> int:
    return int(rows[value_order(cols, rows)[0]])
