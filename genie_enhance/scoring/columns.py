"""Column alignment: which answer column holds which expected column (names are ignored, values decide).

`same_multiset` is the necessary condition for a column to be usable in a passing alignment when both results
must hold the same rows: an order-independent fingerprint for exact kinds, the sorted columns compared within
tolerance for fractional numbers (sorting keeps a within-tolerance bijection in one dimension). `assignments`
enumerates the injective alignments those candidates allow, best first, bounded. When nothing can pass,
`best_alignment` still pairs columns (kind, then name, then value overlap) so a failure can be explained.
"""

from __future__ import annotations

from typing import Callable, Iterator

import numpy as np

from genie_enhance.scoring.keys import Tolerance, close
from genie_enhance.scoring.normalize import NormColumn, compatible, pair_mode
from genie_enhance.scoring.setops import isin, sorted_unique

MAX_ASSIGNMENTS = 64
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


def assignments(
    cands: list[list[int]], prefer: Callable[[int, int], tuple[int, int, int]], limit: int = MAX_ASSIGNMENTS
) -> Iterator[dict[int, int]]:
    """Injective expected→answer column mappings drawn from `cands`, preferred first, at most `limit`."""
    if any(not c for c in cands):
        return
    order = sorted(range(len(cands)), key=lambda i: (len(cands[i]), i))  # most constrained first
    ranked = {i: sorted(cands[i], key=lambda j: prefer(i, j)) for i in order}
    chosen: dict[int, int] = {}
    used: set[int] = set()
    produced = 0

    def walk(depth: int) -> Iterator[dict[int, int]]:
        nonlocal produced
        if produced >= limit:
            return
        if depth == len(order):
            produced += 1
            yield dict(sorted(chosen.items()))
            return
        i = order[depth]
        for j in ranked[i]:
            if j in used:
                continue
            chosen[i] = j
            used.add(j)
            yield from walk(depth + 1)
            used.discard(j)
            del chosen[i]
            if produced >= limit:
                return

    yield from walk(0)


def best_alignment(
    e_cols: list[NormColumn], a_cols: list[NormColumn], names_e: list[str], names_a: list[str],
    tol: Tolerance, exact_integers: bool,
) -> dict[int, int]:
    """A best-effort mapping for explaining a failure: greedy on (compatible kind, same name, value overlap)."""
    low_e = [n.lower() for n in names_e]
    low_a = [n.lower() for n in names_a]
    scored: list[tuple[float, int, int]] = []
    for i, e in enumerate(e_cols):
        for j, a in enumerate(a_cols):
            score = 4.0 * (low_e[i] == low_a[j]) + 0.5 * (i == j)
            if compatible(e, a):
                score += 10.0 + 2.0 * value_overlap(e, a, tol, exact_integers)
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
    sample = ke[::step]
    present = a._cached(("uniq", mode, tol.rtol, tol.atol), lambda: sorted_unique(
        a.grid(tol, 0.0) if mode == "tol" else a.exact_keys(mode)))
    return float(isin(sample, present).mean())
