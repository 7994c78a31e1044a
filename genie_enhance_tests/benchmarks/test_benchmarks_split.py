"""Train/holdout split: stable, exact size, seed-dependent, role of a question depends only on the ranking."""

from __future__ import annotations

import math
import random

import pytest

from genie_enhance.benchmarks import Benchmark, BenchmarkSplit, holdout_size, split_benchmarks, split_score


def bench(i: int) -> Benchmark:
    return Benchmark(question=f"Question number {i}?", expected_sql=f"SELECT {i}", source=f"t.md:{i}")


BENCHES = [bench(i) for i in range(20)]


def test_same_inputs_same_split_regardless_of_order() -> None:
    a = split_benchmarks(BENCHES, 0.3, seed=7)
    b = split_benchmarks(list(BENCHES), 0.3, seed=7)
    shuffled = list(BENCHES)
    random.Random(1).shuffle(shuffled)
    c = split_benchmarks(shuffled, 0.3, seed=7)
    assert a.holdout_ids == b.holdout_ids
    assert set(c.holdout_ids) == set(a.holdout_ids)
    assert c.holdout_ids == [x.id for x in shuffled if x.id in set(a.holdout_ids)]  # input order kept


def test_holdout_is_the_lowest_scores_and_partitions_the_input() -> None:
    split = split_benchmarks(BENCHES, 0.25, seed=3)
    assert len(split.holdout) == 5 and len(split.train) == 15
    assert {b.id for b in split.train} | set(split.holdout_ids) == {b.id for b in BENCHES}
    assert max(split_score(i, 3) for i in split.holdout_ids) < min(split_score(i, 3) for i in split.train_ids)
    for b in BENCHES:
        assert split.role(b.id) == ("holdout" if b.id in split.holdout_ids else "train")
    with pytest.raises(KeyError):
        split.role("f" * 32)


@pytest.mark.parametrize(
    ("n", "fraction", "expected"),
    [(10, 0.3, 3), (5, 0.3, 2), (4, 0.3, 1), (3, 0.1, 0), (2, 0.9, 1), (1, 0.5, 0), (0, 0.5, 0), (7, 0.5, 4)],
)
def test_holdout_size_rounds_half_up_and_keeps_one_train_question(n: int, fraction: float, expected: int) -> None:
    assert holdout_size(n, fraction) == expected
    split = split_benchmarks(BENCHES[:n], fraction, seed=0)
    assert len(split.holdout) == expected and len(split.train) == n - expected


def test_size_is_exact_for_every_seed_even_for_small_sets() -> None:
    for seed in range(50):
        for n in (3, 4, 6):
            split = split_benchmarks(BENCHES[:n], 0.34, seed)
            assert len(split.holdout) == math.floor(n * 0.34 + 0.5)


def test_different_seeds_give_different_splits() -> None:
    holdouts = {frozenset(split_benchmarks(BENCHES, 0.3, seed).holdout_ids) for seed in range(20)}
    assert len(holdouts) >= 15  # C(20, 6) = 38760 possible sets; collisions are rare
    counts = {b.id: 0 for b in BENCHES}
    for seed in range(400):
        for i in split_benchmarks(BENCHES, 0.3, seed).holdout_ids:
            counts[i] += 1
    # Every question lands in the holdout about 30% of the time (120 of 400); none is stuck on one side.
    assert all(70 <= c <= 170 for c in counts.values()), counts


def test_adding_a_question_changes_at_most_one_other_role() -> None:
    for seed in range(30):
        before = split_benchmarks(BENCHES[:15], 0.3, seed)
        after = split_benchmarks(BENCHES[:16], 0.3, seed)
        changed = [b.id for b in BENCHES[:15] if before.role(b.id) != after.role(b.id)]
        assert len(changed) <= 1


def test_zero_holdout_is_all_train() -> None:
    split = split_benchmarks(BENCHES, 0, seed=1)
    assert split.holdout == [] and split.train == BENCHES and split.holdout_ids == []
    assert isinstance(split, BenchmarkSplit) and split.fraction == 0


@pytest.mark.parametrize("fraction", [1, 1.0, 1.5, -0.1, float("nan"), True])
def test_invalid_fraction_is_rejected(fraction: float) -> None:
    with pytest.raises(ValueError, match="holdout"):
        split_benchmarks(BENCHES, fraction, seed=1)


def test_duplicate_ids_cannot_be_split() -> None:
    with pytest.raises(ValueError, match="unique"):
        split_benchmarks([BENCHES[0], BENCHES[0]], 0.5, seed=1)
