"""Column alignment: which answer column holds which expected column (names are ignored, values decide).

`same_multiset` is the necessary condition for a column to be usable in a passing alignment when both results
must hold the same rows: an order-independent fingerprint for exact kinds, the sorted columns compared within
tolerance for fractional numbers (sorting keeps a within-tolerance bijection in one dimension). `alignments`
enumerates, best first and exactly, the injective alignments those candidates allow whose every prefix the
caller accepts (a budget stops it, and the caller then says it could not decide). When nothing can pass,
`best_alignment` still pairs columns (kind, then name, then value overlap) so a failure can be explained.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from genie_enhance.scoring.keys import Tolerance, close
from genie_enhance.scoring.normalize import NormColumn, compatible, pair_mode
from genie_enhance.scoring.setops import isin, sorted_unique

_OVERLAP_SAMPLE = 2000


def same_multiset(e: NormColumn, a: NormColumn, tol: Tolerance, exact_integers: bool) -> bool:
    """Whether the two columns hold the same multiset of values (within tolerance)."""
    if len(e) != len(a) or not compatible(e, a):
        return False
    mode = pair_mode(e, a, exact_integers)
    if mode != "tol":
        return e.fingerprint(mode) == a.fingerprint(mode)
    if e.null_count != a.null_count:
        return False
    m = len(e) - e.null_count
    if m == 0:
        return True
    xe, xa = e.data("tol"), a.data("tol")
    bounds_e = np.array([np.nanmin(xe), np.nanmax(xe)])
    bounds_a = np.array([np.nanmin(xa), np.nanmax(xa)])
    if not close(bounds_e, bounds_a, tol).all():
        return False
    return bool(close(e.sorted_numbers()[:m], a.sorted_numbers()[:m], tol).all())


def candidates(n_e: int, n_a: int, fits: Callable[[int, int], bool]) -> list[list[int]]:
    return [[j for j in range(n_a) if fits(i, j)] for i in range(n_e)]


def preference(names_e: list[str], names_a: list[str]) -> Callable[[int, int], tuple[int, int, int]]:
    """Sort key for candidate answer columns of an expected column: same name, then same position."""
    low_e = [n.lower() for n in names_e]
    low_a = [n.lower() for n in names_a]

    def key(i: int, j: int) -> tuple[int, int, int]:
        return (0 if low_e[i] == low_a[j] else 1, abs(i - j), j)

    return key


@dataclass(eq=False)
class Budget:
    """Work allowed to a search, in row operations; once spent the search stops and says so (never guesses)."""

    units: int
    spent: int = 0
    stopped: bool = False  # work was left undone because the budget ran out

    @property
    def exhausted(self) -> bool:
        return self.spent > self.units

    def spend(self, units: int) -> None:
        self.spent += units


S = TypeVar("S")


def alignments(
    cands: list[list[int]],
    prefer: Callable[[int, int], tuple[int, int, int]],
    root: S,
    extend: Callable[[S, int, int], S | None],
    interchangeable: Callable[[int, int], bool],
    budget: Budget,
) -> Iterator[dict[int, int]]:
    """Every injective expected→answer column mapping drawn from `cands` whose every prefix `extend` accepts,
    preferred first (exact backtracking: nothing is skipped but what `extend` proves cannot pass).

    `extend(state, i, j)` returns the state of the prefix plus i→j, or None when no full alignment containing
    that prefix can pass. Of answer columns that are `interchangeable` (same cells), only one is tried per
    position. The search stops when `budget` is exhausted; `budget.stopped` says whether anything was left.
    """
    if any(not c for c in cands):
        return
    order = sorted(range(len(cands)), key=lambda i: (len(cands[i]), i))  # most constrained first
    ranked = {i: sorted(cands[i], key=lambda j: prefer(i, j)) for i in order}
    chosen: dict[int, int] = {}

    def walk(depth: int, state: S) -> Iterator[dict[int, int]]:
        if depth == len(order):
            yield dict(sorted(chosen.items()))
            return
        i = order[depth]
        tried: list[int] = []
        for j in ranked[i]:
            if budget.exhausted:
                budget.stopped = True
                return
            if j in chosen.values() or any(interchangeable(t, j) for t in tried):
                continue
            tried.append(j)
            nxt = extend(state, i, j)
            if nxt is None:
                continue
            chosen[i] = j
            yield from walk(depth + 1, nxt)
            del chosen[i]

    yield from walk(0, root)


def best_alignment(
    e_cols: list[NormColumn], a_cols: list[NormColumn], names_e: list[str], names_a: list[str],
    tol: Tolerance, exact_integers: bool,
) -> dict[int, int]:
    """A best-effort mapping for explaining a failure: greedy on (compatible kind, same name, value overlap both
    ways, so a column is not paired with one whose values merely include its own)."""
    low_e = [n.lower() for n in names_e]
    low_a = [n.lower() for n in names_a]
    scored: list[tuple[float, int, int]] = []
    for i, e in enumerate(e_cols):
        for j, a in enumerate(a_cols):
            score = 4.0 * (low_e[i] == low_a[j]) + 0.01 * (i == j)
            if compatible(e, a):
                score += 10.0 + value_overlap(e, a, tol, exact_integers) + value_overlap(a, e, tol, exact_integers)
            scored.append((score, i, j))
    mapping: dict[int, int] = {}
    used: set[int] = set()
    for _, i, j in sorted(scored, key=lambda t: (-t[0], t[1], t[2])):
        if i not in mapping and j not in used:
            mapping[i] = j
            used.add(j)
    return dict(sorted(mapping.items()))


def value_overlap(e: NormColumn, a: NormColumn, tol: Tolerance, exact_integers: bool) -> float:
    """Share of (a sample of) the expected column's values that occur in the answer column."""
    if len(e) == 0 or len(a) == 0:
        return 0.0
    mode = pair_mode(e, a, exact_integers)
    ke = e.grid(tol, 0.0) if mode == "tol" else e.exact_keys(mode)
    step = max(1, len(ke) // _OVERLAP_SAMPLE)
    sample = np.sort(ke)[::step]  # by value, so the sample does not depend on the row order
    present = a._cached(("uniq", mode, tol.rtol, tol.atol), lambda: sorted_unique(
        a.grid(tol, 0.0) if mode == "tol" else a.exact_keys(mode)))
    return float(isin(sample, present).mean())
