"""Row-tuple keys of a partial column alignment, so the alignment search can drop a prefix that cannot pass.

Every prefix of a passing alignment passes too: over the columns aligned so far, the answer rows must be the
expected rows as a multiset (with an ORDER BY … LIMIT boundary pool: hold every required row and otherwise only
pool rows). Each side keeps one hash per row of the aligned columns' exact keys (fractional numbers by their
NaN/±inf class only, as tolerance has no exact key), extended one column at a time; the multisets are compared by
an order-independent digest (no pool) or by counts. Equal tuples give equal hashes, so a prefix is never dropped
wrongly; a hash collision only lets a prefix through, and the final row match is checked cell by cell.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from genie_enhance.scoring.keys import bag_digest, mix_in
from genie_enhance.scoring.setops import sorted_unique


@dataclass(frozen=True, eq=False)
class Prefix:
    """Hashes of the aligned prefix per expected row (result rows, then pool rows) and per answer row."""

    he: np.ndarray
    ha: np.ndarray
    mapping: tuple[tuple[int, int], ...] = ()


class PrefixBags:
    """The multiset test of prefixes for one comparison (`required` / `pool` index the expected rows)."""

    def __init__(self, required: np.ndarray, pool: np.ndarray, n_expected_rows: int, n_answer_rows: int) -> None:
        self.required, self.pool = required, pool
        self.n_e, self.n_a = n_expected_rows, n_answer_rows

    def root(self) -> Prefix:
        return Prefix(np.zeros(self.n_e, dtype=np.uint64), np.zeros(self.n_a, dtype=np.uint64))

    def extend(self, prefix: Prefix, i: int, j: int, keys_e: np.ndarray, keys_a: np.ndarray) -> Prefix | None:
        """The prefix plus expected column i → answer column j (their per-row keys), or None if it cannot pass."""
        depth = len(prefix.mapping)
        he, ha = mix_in(prefix.he, keys_e, depth), mix_in(prefix.ha, keys_a, depth)
        if not self.fits(he, ha):
            return None
        return Prefix(he, ha, prefix.mapping + ((i, j),))

    def fits(self, he: np.ndarray, ha: np.ndarray) -> bool:
        if not len(self.pool):
            return bag_digest(he) == bag_digest(ha)
        return sub_bags(he[self.required], he[self.pool], ha)


def sub_bags(required: np.ndarray, pool: np.ndarray, answer: np.ndarray) -> bool:
    """Whether the answer holds every required hash and otherwise only pool hashes (counted per value)."""
    values = sorted_unique(np.concatenate([required, pool, answer]))
    c_req, c_pool, c_ans = (_counts(x, values) for x in (required, pool, answer))
    return bool(np.all(c_req <= c_ans) and np.all(c_ans <= c_req + c_pool))


def _counts(x: np.ndarray, values: np.ndarray) -> np.ndarray:
    s = np.sort(x)
    return np.searchsorted(s, values, "right") - np.searchsorted(s, values, "left")
