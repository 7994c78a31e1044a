"""Multiset (bag) matching of rows under a column alignment, hash-based and exact.

1. Hash every row from per-column keys (exact values; fractional numbers by grid bucket), sort the hashes and pair
   equal ones (a vectorised merge, duplicates counted). Every pair is re-checked cell by cell.
2. Rows left over only because a value sits just across a grid boundary meet on a grid shifted by half a bucket,
   With a single fractional column, groups of rows whose exact columns agree are re-paired by rank of that value.
3. What is still left is settled exactly (`residue.settle`): a maximum bipartite matching over candidate pairs
   that are checked cell by cell, inside the groups of rows whose exact columns agree. The work is capped; beyond
   the cap the leftover rows stay unmatched and `gave_up` says so.

Sound by construction: a pair is only ever accepted after the exact cell check.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from genie_enhance.scoring.keys import Tolerance
from genie_enhance.scoring.pairs import ColumnPair, group_hash, row_hash, verify
from genie_enhance.scoring.residue import settle
from genie_enhance.scoring.setops import intersect, isin, rows_in, rows_not_in, unique_counts

__all__ = ["ColumnPair", "RowMatch", "WindowMatch", "hash_pairs", "match_rows", "match_window", "verify"]

_EMPTY = np.zeros(0, dtype=np.int64)


@dataclass(eq=False)
class RowMatch:
    """Matched row pairs and the rows left over (all as row indices into the full columns)."""

    pairs_e: np.ndarray
    pairs_a: np.ndarray
    unmatched_e: np.ndarray
    unmatched_a: np.ndarray
    gave_up: str | None = None

    @property
    def complete(self) -> bool:
        return len(self.unmatched_e) == 0 and len(self.unmatched_a) == 0


def match_rows(
    pairs: list[ColumnPair],
    tol: Tolerance,
    e_rows: np.ndarray,
    a_rows: np.ndarray,
    e_extra: tuple[np.ndarray, ...] = (),
    a_extra: tuple[np.ndarray, ...] = (),
) -> RowMatch:
    """Maximum matching of the rows `e_rows` against `a_rows`; `*_extra` are exact int64 keys per row (e.g. tie
    groups) that must be equal too."""
    e_rows = np.asarray(e_rows, dtype=np.int64)
    a_rows = np.asarray(a_rows, dtype=np.int64)
    tolerant = any(p.mode == "tol" for p in pairs)
    found_e: list[np.ndarray] = []
    found_a: list[np.ndarray] = []
    rest_e, rest_a = e_rows, a_rows
    for shift in (0.0, 0.5) if tolerant else (0.0,):
        if not len(rest_e) or not len(rest_a):
            break
        he = row_hash(pairs, "e", rest_e, e_extra, tol, shift)
        ha = row_hash(pairs, "a", rest_a, a_extra, tol, shift)
        i, j = hash_pairs(he, ha)
        ok = verify(pairs, tol, rest_e[i], rest_a[j], e_extra, a_extra)
        i, j = i[ok], j[ok]
        found_e.append(rest_e[i])
        found_a.append(rest_a[j])
        rest_e, rest_a = np.delete(rest_e, i), np.delete(rest_a, j)
    pe = np.concatenate(found_e) if found_e else _EMPTY
    pa = np.concatenate(found_a) if found_a else _EMPTY
    if sum(p.mode == "tol" for p in pairs) == 1 and len(rest_e) and len(rest_a):
        pe, pa = rank_pairs(pairs, tol, e_rows, a_rows, pe, pa, rest_e, rest_a, e_extra, a_extra)
        rest_e, rest_a = rows_not_in(e_rows, pe), rows_not_in(a_rows, pa)
    gave_up = None
    if tolerant and len(rest_e) and len(rest_a):
        pe, pa, gave_up = settle(pairs, tol, e_rows, a_rows, pe, pa, rest_e, rest_a, e_extra, a_extra)
    un_e, un_a = np.sort(rows_not_in(e_rows, pe)), np.sort(rows_not_in(a_rows, pa))
    return RowMatch(pe, pa, un_e, un_a, gave_up)


def hash_pairs(he: np.ndarray, ha: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pair positions with equal hashes, each value matched min(count_e, count_a) times."""
    oe = np.argsort(he)
    oa = np.argsort(ha)
    se, sa = he[oe], ha[oa]
    if len(se) == len(sa) and np.array_equal(se, sa):
        return oe, oa
    starts = np.flatnonzero(np.r_[True, se[1:] != se[:-1]])
    rank = np.arange(len(se)) - np.repeat(starts, np.diff(np.r_[starts, len(se)]))
    lo = np.searchsorted(sa, se, "left")
    hi = np.searchsorted(sa, se, "right")
    ok = rank < hi - lo
    return oe[ok], oa[(lo + rank)[ok]]


def rank_pairs(
    pairs: list[ColumnPair], tol: Tolerance, e_rows: np.ndarray, a_rows: np.ndarray,
    pe: np.ndarray, pa: np.ndarray, rest_e: np.ndarray, rest_a: np.ndarray,
    e_extra: tuple[np.ndarray, ...], a_extra: tuple[np.ndarray, ...],
) -> tuple[np.ndarray, np.ndarray]:
    """With one fractional column: re-pair whole groups (equal exact keys, equal size, leftovers on both sides) by
    rank of that value. Sorting keeps a within-tolerance bijection in one dimension, so a group whose rank pairs
    all check out is settled in one sort; other groups keep their pairs for the exact residue step."""
    first = next(p for p in pairs if p.mode == "tol")
    ge = group_hash(pairs, "e", e_rows, e_extra)
    ga = group_hash(pairs, "a", a_rows, a_extra)
    open_groups = intersect(ge[rows_in(e_rows, rest_e)], ga[rows_in(a_rows, rest_a)])
    groups_e, count_e = unique_counts(ge[isin(ge, open_groups)])
    groups_a, count_a = unique_counts(ga[isin(ga, open_groups)])
    same = groups_e[count_e == count_a] if np.array_equal(groups_e, groups_a) else open_groups[:0]
    keep_e, keep_a = np.flatnonzero(isin(ge, same)), np.flatnonzero(isin(ga, same))
    if not len(keep_e):
        return pe, pa
    ve = np.nan_to_num(first.e.data("tol")[e_rows[keep_e]], nan=0.0)
    va = np.nan_to_num(first.a.data("tol")[a_rows[keep_a]], nan=0.0)
    i = e_rows[keep_e[np.lexsort((ve, ge[keep_e]))]]
    j = a_rows[keep_a[np.lexsort((va, ga[keep_a]))]]
    ok = verify(pairs, tol, i, j, e_extra, a_extra)
    if not ok.all():
        gi = group_hash(pairs, "e", i, e_extra)
        good = ~isin(gi, gi[~ok])
        i, j = i[good], j[good]
    replaced = rows_in(pe, i)
    return np.concatenate([pe[~replaced], i]), np.concatenate([pa[~replaced], j])


@dataclass(eq=False)
class WindowMatch:
    """Matching against `required` rows first, then the leftover answer rows against an optional `pool`, of
    which at most `slots` may be used (rows tied at an ORDER BY … LIMIT boundary are interchangeable)."""

    first: RowMatch
    second: RowMatch | None
    slots: int
    expected_count: int
    actual_count: int

    @property
    def matched(self) -> int:
        return len(self.first.pairs_e) + min(len(self.second.pairs_e) if self.second else 0, self.slots)

    @property
    def missing(self) -> int:
        return self.expected_count - self.matched

    @property
    def extra(self) -> int:
        return self.actual_count - self.matched

    @property
    def ok(self) -> bool:
        return self.missing == 0 and self.extra == 0

    @property
    def unmatched_actual(self) -> np.ndarray:
        """Answer rows left over, including boundary-tied rows beyond the number of boundary positions."""
        if self.second is None:
            return self.first.unmatched_a
        surplus = np.sort(self.second.pairs_a)[self.slots:]
        return np.sort(np.concatenate([self.second.unmatched_a, surplus]))

    @property
    def gave_up(self) -> str | None:
        return self.first.gave_up or (self.second.gave_up if self.second else None)


def match_window(
    pairs: list[ColumnPair], tol: Tolerance, required: np.ndarray, pool: np.ndarray, slots: int,
    a_rows: np.ndarray, expected_count: int,
) -> WindowMatch:
    first = match_rows(pairs, tol, required, a_rows)
    second = None
    if len(pool) and len(first.unmatched_a):
        second = match_rows(pairs, tol, pool, first.unmatched_a)
    return WindowMatch(first, second, slots, expected_count, len(a_rows))
