"""Aligned column pairs and what every matching step needs from them: row hashes and the exact cell check."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from genie_enhance.scoring.keys import Tolerance, combine
from genie_enhance.scoring.normalize import Mode, NormColumn, cells_equal


@dataclass(eq=False)
class ColumnPair:
    """Expected column `e` aligned with answer column `a`, compared under `mode`."""

    e: NormColumn
    a: NormColumn
    mode: Mode

    def side(self, side: str) -> NormColumn:
        return self.e if side == "e" else self.a


def verify(
    pairs: list[ColumnPair], tol: Tolerance, ie: np.ndarray, ia: np.ndarray,
    e_extra: tuple[np.ndarray, ...] = (), a_extra: tuple[np.ndarray, ...] = (),
) -> np.ndarray:
    """Which row pairs (ie[k], ia[k]) agree on every cell and every extra key."""
    ok = np.ones(len(ie), dtype=bool)
    for p in pairs:
        ok &= cells_equal(p.e, p.a, p.mode, ie, ia, tol)
    for xe, xa in zip(e_extra, a_extra):
        ok &= xe[ie] == xa[ia]
    return ok


def row_hash(
    pairs: list[ColumnPair], side: str, rows: np.ndarray, extra: tuple[np.ndarray, ...], tol: Tolerance, shift: float
) -> np.ndarray:
    """Hash of each row's keys: exact values, fractional numbers by grid bucket (`shift` selects the grid)."""
    keys = []
    for p in pairs:
        col = p.side(side)
        keys.append((col.grid(tol, shift) if p.mode == "tol" else col.exact_keys(p.mode))[rows])
    keys.extend(x[rows].astype(np.int64).view(np.uint64) for x in extra)
    return combine(keys, len(rows))


def group_hash(pairs: list[ColumnPair], side: str, rows: np.ndarray, extra: tuple[np.ndarray, ...]) -> np.ndarray:
    """Hash of everything that must be equal exactly: exact columns, extras, and the NaN/inf class of numbers."""
    keys = [group_keys(p.side(side), p.mode)[rows] for p in pairs]
    keys.extend(x[rows].astype(np.int64).view(np.uint64) for x in extra)
    return combine(keys, len(rows))


def group_keys(col: NormColumn, mode: Mode) -> np.ndarray:
    """uint64 key per cell of what must be equal exactly: the exact value, or a number's NaN/±inf class."""
    if mode != "tol":
        return col.exact_keys(mode)
    v = col.data("tol")
    return (np.isnan(v) * 1 + (v == np.inf) * 2 + (v == -np.inf) * 3).astype(np.uint64)
