"""Sort-based set operations on uint64 hashes and row-index masks.

numpy's `unique`/`isin`/`intersect1d` take a hash-table path for 64-bit integers that is an order of magnitude
slower than sorting them (numpy's sort of 64-bit integers is vectorised), which matters at a million rows.
"""

from __future__ import annotations

import numpy as np


def sorted_unique(x: np.ndarray) -> np.ndarray:
    s = np.sort(x)
    return s[np.r_[True, s[1:] != s[:-1]]] if len(s) else s


def unique_counts(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    s = np.sort(x)
    if not len(s):
        return s, np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
    return s[starts], np.diff(np.r_[starts, len(s)])


def isin(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Elementwise membership of `a` in `b` (any sortable dtype)."""
    if not len(a) or not len(b):
        return np.zeros(len(a), dtype=bool)
    keys = np.sort(b)
    order = np.argsort(a)
    probe = a[order]
    idx = np.searchsorted(keys, probe)
    idx[idx == len(keys)] = 0
    out = np.empty(len(a), dtype=bool)
    out[order] = keys[idx] == probe
    return out


def intersect(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    ua = sorted_unique(a)
    return ua[isin(ua, b)]


def row_mask(rows: np.ndarray, size: int) -> np.ndarray:
    """Boolean mask of length `size` that is True at the row indices `rows`."""
    mask = np.zeros(size, dtype=bool)
    mask[rows] = True
    return mask


def rows_not_in(rows: np.ndarray, taken: np.ndarray) -> np.ndarray:
    """`rows` (unique non-negative row indices) without those in `taken`, in their original order."""
    if not len(rows) or not len(taken):
        return rows
    size = int(max(rows.max(), taken.max())) + 1
    return rows[~row_mask(taken, size)[rows]]


def rows_in(rows: np.ndarray, among: np.ndarray) -> np.ndarray:
    """Boolean: which of `rows` are in `among` (non-negative row indices)."""
    if not len(rows) or not len(among):
        return np.zeros(len(rows), dtype=bool)
    size = int(max(rows.max(), among.max())) + 1
    return row_mask(among, size)[rows]
