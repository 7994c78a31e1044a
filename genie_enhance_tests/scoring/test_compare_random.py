"""Randomised properties of the comparator (seeded numpy, no hypothesis).

For random results of mixed kinds with NULLs and duplicate rows: shuffling rows, permuting columns and moving
every fractional number by up to 0.9 × the tolerance always passes; changing any single cell beyond the tolerance
always fails. For ordered results, shuffling inside runs of tied rows passes and breaking the order fails.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pytest

from genie_enhance.core.protocols import ResultSet
from genie_enhance.scoring import CompareOptions, ExpectedResult, Reason, Verdict, compare_results

RTOL = CompareOptions().rtol
KINDS = ("int", "float", "decimal", "str", "date", "bool")


def random_column(rng: np.random.Generator, kind: str, n: int) -> list:
    if kind == "int":
        values: list = rng.integers(-5, 6, n).tolist()
    elif kind == "float":
        values = (rng.choice([-1, 1], n) * 10.0 ** rng.uniform(-3, 7, n)).tolist()
    elif kind == "decimal":
        values = [Decimal(int(v)) / 100 for v in rng.integers(-10**6, 10**6, n)]
    elif kind == "str":
        values = [f"s{v}" for v in rng.integers(0, 8, n)]
    elif kind == "date":
        values = [dt.date(2024, 1, 1) + dt.timedelta(days=int(v)) for v in rng.integers(0, 30, n)]
    else:
        values = rng.integers(0, 2, n).astype(bool).tolist()
    return [None if rng.random() < 0.1 else v for v in values]


def random_result(rng: np.random.Generator) -> tuple[list[str], list[tuple], list[str]]:
    n_cols = int(rng.integers(1, 6))
    n_rows = int(rng.integers(1, 120))
    kinds = [str(k) for k in rng.choice(KINDS, n_cols)]
    columns = [random_column(rng, k, n_rows) for k in kinds]
    rows = list(zip(*columns))
    rows += [rows[int(i)] for i in rng.integers(0, n_rows, int(rng.integers(0, 5)))]  # duplicate rows
    return [f"c{i}_{k}" for i, k in enumerate(kinds)], rows, kinds


def noisy(rng: np.random.Generator, value: object, kind: str) -> object:
    if value is None:
        return None
    if kind == "float":
        return value * (1 + rng.uniform(-0.9, 0.9) * RTOL)
    if kind == "decimal":
        return float(value) * (1 + rng.uniform(-0.9, 0.9) * RTOL)
    return value


def changed(rng: np.random.Generator, value: object, kind: str) -> object:
    """The same cell moved beyond tolerance (or from/to NULL)."""
    if value is None:
        return {"int": 7, "float": 1.5, "decimal": Decimal("1.5"), "str": "s99", "date": dt.date(1999, 1, 1),
                "bool": True}[kind]
    if kind in ("float", "decimal"):
        return float(value) * (1 + rng.choice([-1, 1]) * 3 * RTOL)
    if kind == "int":
        return value + 1
    if kind == "str":
        return value + "x"
    if kind == "date":
        return value + dt.timedelta(days=1)
    return not value


def shuffled_answer(rng: np.random.Generator, columns: list[str], rows: list[tuple], kinds: list[str]) -> ResultSet:
    order = rng.permutation(len(rows))
    perm = rng.permutation(len(columns))
    out = [tuple(noisy(rng, rows[r][c], kinds[c]) for c in perm) for r in order]
    return ResultSet.from_rows([columns[c] for c in perm], out)


@pytest.mark.parametrize("seed", range(40))
def test_shuffled_permuted_noisy_answer_passes(seed: int) -> None:
    rng = np.random.default_rng(seed)
    columns, rows, kinds = random_result(rng)
    out = compare_results(ResultSet.from_rows(columns, rows), shuffled_answer(rng, columns, rows, kinds))
    assert (out.verdict, out.reason) == (Verdict.PASS, Reason.MATCH), out.summary()


@pytest.mark.parametrize("seed", range(40))
def test_one_cell_beyond_tolerance_fails(seed: int) -> None:
    rng = np.random.default_rng(1000 + seed)
    columns, rows, kinds = random_result(rng)
    r, c = int(rng.integers(0, len(rows))), int(rng.integers(0, len(columns)))
    mutated = list(rows)
    cells = list(mutated[r])
    cells[c] = changed(rng, cells[c], kinds[c])
    mutated[r] = tuple(cells)
    out = compare_results(ResultSet.from_rows(columns, rows), shuffled_answer(rng, columns, mutated, kinds))
    assert (out.verdict, out.reason) == (Verdict.FAIL, Reason.VALUE_DIFFERENCE), out.summary()


@pytest.mark.parametrize("seed", range(20))
def test_ordered_ties_shuffle_passes_and_broken_order_fails(seed: int) -> None:
    rng = np.random.default_rng(2000 + seed)
    n = int(rng.integers(4, 60))
    keys = np.sort(rng.integers(0, max(2, n // 3), n))[::-1]
    rows = [(int(k), f"r{i}", float(rng.normal())) for i, k in enumerate(keys)]
    expected = ExpectedResult.ordered(ResultSet.from_rows(["k", "name", "v"], rows), key_columns=[0])
    within = sorted(rows, key=lambda row: (-row[0], rng.random()))
    answer = ResultSet.from_rows(["v", "k", "name"], [(v, k, name) for k, name, v in within])
    assert compare_results(expected, answer).passed
    if keys[0] != keys[-1]:
        broken = within[::-1]
        answer = ResultSet.from_rows(["v", "k", "name"], [(v, k, name) for k, name, v in broken])
        assert compare_results(expected, answer).reason is Reason.WRONG_ORDER
