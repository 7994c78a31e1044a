"""Stable train/holdout split of benchmark questions.

How: each id gets a score `u = sha256(f"{seed}:{id}")` read as a number in [0, 1); the `k` questions with the
lowest scores (ties broken by id) form the holdout, where `k = round(n * holdout)` rounded half up and capped at
`n - 1` so at least one question is left to train on. Why ranking and not a plain `u < holdout` threshold: the
threshold gives a random-sized holdout, often empty for small sets; ranking gives exactly `k`.

Stability: the split depends only on (ids, seed, holdout) — not on input order, machine, run or iteration. A
question's role depends on the other questions only through that ranking, so adding or removing one question
changes the role of at most one other question (the one at the holdout boundary).
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

from genie_enhance.benchmarks.model import Benchmark

Role = Literal["train", "holdout"]


def split_score(benchmark_id: str, seed: int) -> float:
    """The id's position in [0, 1) for this seed (first 64 bits of sha256 of `"{seed}:{id}"`)."""
    digest = hashlib.sha256(f"{seed}:{benchmark_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def holdout_size(n: int, holdout: float) -> int:
    """How many of `n` questions go to the holdout: round half up of `n * holdout`, at most `n - 1`."""
    _check_fraction(holdout)
    if n <= 1 or holdout == 0:
        return 0
    return min(math.floor(n * holdout + 0.5), n - 1)


@dataclass(frozen=True)
class BenchmarkSplit:
    """Train and holdout questions, each list in input order."""

    train: list[Benchmark]
    holdout: list[Benchmark]
    seed: int
    fraction: float

    @property
    def holdout_ids(self) -> list[str]:
        return [b.id for b in self.holdout]

    @property
    def train_ids(self) -> list[str]:
        return [b.id for b in self.train]

    @cached_property
    def _roles(self) -> dict[str, Role]:
        roles: dict[str, Role] = {b.id: "train" for b in self.train}
        roles.update({b.id: "holdout" for b in self.holdout})
        return roles

    def role(self, benchmark_id: str) -> Role:
        """`"train"` or `"holdout"`; `KeyError` for an id that is in neither."""
        try:
            return self._roles[benchmark_id]
        except KeyError:
            raise KeyError(f"benchmark id {benchmark_id!r} is not part of this split") from None


def split_benchmarks(benchmarks: Sequence[Benchmark], holdout: float, seed: int) -> BenchmarkSplit:
    """Split `benchmarks` into train and holdout (see the module docstring); ids must be unique."""
    _check_fraction(holdout)
    ids = [b.id for b in benchmarks]
    if len(set(ids)) != len(ids):
        duplicates = sorted(i for i, count in Counter(ids).items() if count > 1)
        raise ValueError(f"benchmark ids must be unique to split, duplicated: {', '.join(duplicates)}")
    k = holdout_size(len(ids), holdout)
    ranked = sorted(ids, key=lambda i: (split_score(i, seed), i))
    chosen = set(ranked[:k])
    return BenchmarkSplit(
        train=[b for b in benchmarks if b.id not in chosen],
        holdout=[b for b in benchmarks if b.id in chosen],
        seed=seed,
        fraction=holdout,
    )


def _check_fraction(holdout: float) -> None:
    if isinstance(holdout, bool) or not isinstance(holdout, int | float) or not 0 <= holdout < 1:
        raise ValueError(f"holdout must be a fraction in [0, 1), got {holdout!r}")
