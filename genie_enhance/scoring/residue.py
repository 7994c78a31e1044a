"""Exact settling of the rows the hash passes left unpaired (values within tolerance across grid boundaries).

Only groups of rows whose exact columns agree and that have leftovers on both sides are reopened. Candidate pairs
are rows whose fractional values lie in the same or a neighbouring bucket of a grid at least as wide as the
tolerance, in every one of the first (up to four) fractional columns — a hash join over 3^k bucket offsets, using
as many columns as it takes to stay under the cap. Every candidate is checked cell by cell; the pairs already found
plus greedy rounds seed a maximum bipartite matching completed by augmenting paths. Work is capped; beyond the cap
the leftover rows stay unmatched and the reason says so.
"""

from __future__ import annotations

import itertools

import numpy as np

from genie_enhance.scoring.keys import Tolerance, bucket_width, buckets, combine
from genie_enhance.scoring.pairs import ColumnPair, group_hash, verify
from genie_enhance.scoring.setops import intersect, isin, rows_in, sorted_unique

MAX_CANDIDATE_PAIRS = 3_000_000
MAX_SEARCH_STEPS = 3_000_000
MAX_BUCKET_COLUMNS = 4
_GREEDY_ROUNDS = 32
_EMPTY = np.zeros(0, dtype=np.int64)


def settle(
    pairs: list[ColumnPair], tol: Tolerance, e_rows: np.ndarray, a_rows: np.ndarray,
    pe: np.ndarray, pa: np.ndarray, rest_e: np.ndarray, rest_a: np.ndarray,
    e_extra: tuple[np.ndarray, ...], a_extra: tuple[np.ndarray, ...],
) -> tuple[np.ndarray, np.ndarray, str | None]:
    """Improve the pairs (pe, pa) to a maximum matching inside the groups that have leftovers on both sides."""
    ge = group_hash(pairs, "e", e_rows, e_extra)
    ga = group_hash(pairs, "a", a_rows, a_extra)
    groups = intersect(ge[rows_in(e_rows, rest_e)], ga[rows_in(a_rows, rest_a)])
    if not len(groups):
        return pe, pa, None
    in_e, in_a = isin(ge, groups), isin(ga, groups)
    E, A = e_rows[in_e], a_rows[in_a]
    found = _candidates([p for p in pairs if p.mode == "tol"], tol, E, A, ge[in_e], ga[in_a])
    if isinstance(found, str):
        return pe, pa, found
    u, v = found
    ok = verify(pairs, tol, E[u], A[v], e_extra, a_extra)
    order = np.argsort(u[ok])
    u, v = u[ok][order], v[ok][order]
    inside = rows_in(pe, E)
    sort_e, sort_a = np.argsort(E), np.argsort(A)
    ke = sort_e[np.searchsorted(E, pe[inside], sorter=sort_e)]
    ka = sort_a[np.searchsorted(A, pa[inside], sorter=sort_a)]
    match_e = np.full(len(E), -1, dtype=np.int64)
    match_a = np.full(len(A), -1, dtype=np.int64)
    match_e[ke], match_a[ka] = ka, ke
    _greedy(match_e, match_a, u, v)
    gave_up = _augment(match_e, match_a, u, v)
    got = np.flatnonzero(match_e >= 0)
    return (np.concatenate([pe[~inside], E[got]]), np.concatenate([pa[~inside], A[match_e[got]]]), gave_up)


def _candidates(
    tolp: list[ColumnPair], tol: Tolerance, E: np.ndarray, A: np.ndarray, gE: np.ndarray, gA: np.ndarray
) -> tuple[np.ndarray, np.ndarray] | str:
    """Local index pairs (into E, A) of same-group rows within one bucket of each other in every bucket column."""
    if tol.rtol <= 0 and tol.atol <= 0:
        return _EMPTY, _EMPTY  # no tolerance: the exact keys of the hash passes were complete
    width = bucket_width(tol, sound=False)
    cols = tolp[:MAX_BUCKET_COLUMNS]
    b_e = [buckets(p.e.scaled(tol)[E], width) for p in cols]
    b_a = [buckets(p.a.scaled(tol)[A], width) for p in cols]
    total = 0
    for k in range(1, len(cols) + 1):
        ha = combine([gA] + [b.view(np.uint64) for b in b_a[:k]], len(A))
        order = np.argsort(ha)
        sorted_a = ha[order]
        spans = []
        total = 0
        for offset in itertools.product((-1, 0, 1), repeat=k):
            he = combine([gE] + [(b_e[c] + offset[c]).view(np.uint64) for c in range(k)], len(E))
            lo, hi = _lookup(sorted_a, he)
            total += int((hi - lo).sum())
            if total > MAX_CANDIDATE_PAIRS:
                break
            spans.append((lo, hi))
        if total <= MAX_CANDIDATE_PAIRS:
            us, vs = zip(*(_expand(lo, hi, order) for lo, hi in spans))
            return np.concatenate(us), np.concatenate(vs)
    return (f"tolerance check stopped: more than {MAX_CANDIDATE_PAIRS} candidate row pairs "
            f"({total} counted) for the unpaired rows")


def _lookup(sorted_keys: np.ndarray, queries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """searchsorted left/right of each query (queries sorted first: far faster than random probes)."""
    order = np.argsort(queries)
    q = queries[order]
    lo = np.empty(len(q), dtype=np.int64)
    hi = np.empty(len(q), dtype=np.int64)
    lo[order] = np.searchsorted(sorted_keys, q, "left")
    hi[order] = np.searchsorted(sorted_keys, q, "right")
    return lo, hi


def _expand(lo: np.ndarray, hi: np.ndarray, order: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    counts = hi - lo
    total = int(counts.sum())
    u = np.repeat(np.arange(len(lo)), counts)
    starts = np.cumsum(counts) - counts
    return u, order[lo[u] + (np.arange(total) - starts[u])]


def _greedy(match_e: np.ndarray, match_a: np.ndarray, u: np.ndarray, v: np.ndarray) -> None:
    """Vectorised rounds: every free left vertex proposes its first free neighbour, each right vertex takes one."""
    for _ in range(_GREEDY_ROUNDS):
        free = (match_e[u] < 0) & (match_a[v] < 0)
        if not free.any():
            return
        fu, fv = u[free], v[free]
        first = np.r_[True, fu[1:] != fu[:-1]]
        pu, pv = fu[first], fv[first]
        _, take = np.unique(pv, return_index=True)
        match_e[pu[take]] = pv[take]
        match_a[pv[take]] = pu[take]


def _augment(match_e: np.ndarray, match_a: np.ndarray, u: np.ndarray, v: np.ndarray) -> str | None:
    """Complete to a maximum matching with breadth-first augmenting paths (Kuhn; bounded work)."""
    roots = sorted_unique(u[match_e[u] < 0])
    if not len(roots) or not (match_a[v] < 0).any():
        return None
    ptr = np.searchsorted(u, np.arange(len(match_e) + 1)).tolist()
    adj = v.tolist()
    me, ma = match_e.tolist(), match_a.tolist()
    steps = 0
    dead: set[int] = set()  # right vertices proven useless since the last augmentation
    for root in roots.tolist():
        parent: dict[int, int] = {}
        queue, head, free = [root], 0, -1
        while head < len(queue) and free < 0:
            x = queue[head]
            head += 1
            steps += ptr[x + 1] - ptr[x]
            for k in range(ptr[x], ptr[x + 1]):
                y = adj[k]
                if y in parent or y in dead:
                    continue
                parent[y] = x
                if ma[y] < 0:
                    free = y
                    break
                queue.append(ma[y])
        if steps > MAX_SEARCH_STEPS:
            _store(match_e, match_a, me, ma)
            return f"tolerance check stopped after {MAX_SEARCH_STEPS} matching steps"
        if free < 0:
            dead.update(parent)
            continue
        dead.clear()
        y = free
        while y >= 0:
            x = parent[y]
            previous = me[x]
            me[x], ma[y] = y, x
            y = previous  # -1 once the root is reached
    _store(match_e, match_a, me, ma)
    return None


def _store(match_e: np.ndarray, match_a: np.ndarray, me: list[int], ma: list[int]) -> None:
    match_e[:] = me
    match_a[:] = ma
