"""Column alignment is an exact search: many columns with the same values under other names, big results, the
search and row-matching budgets (undecided, never failed), details independent of row order, and both-empty results with extra columns.
"""

from __future__ import annotations

import itertools
import json
from collections import Counter
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import genie_enhance.cli  # noqa: F401 - registers the commands
import genie_enhance.scoring.compare as compare_module
import genie_enhance.scoring.residue as residue
from genie_enhance.backends.local.warehouse import DuckDBWarehouse
from genie_enhance.cli.app import app
from genie_enhance.core.protocols import ResultSet
from genie_enhance.scoring import CompareOptions, Reason, Verdict, compare_results, compare_sql

RENAMED = "SELECT e AS v1, d AS v2, c AS v3, b AS v4, a AS v5 FROM f"


@pytest.fixture(scope="module")
def wh_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("align") / "w.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE f (a INT, b INT, c INT, d INT, e INT)")
    con.execute("INSERT INTO f VALUES (1, 1, 1, 0, 0), (0, 0, 0, 1, 1)")
    con.execute("CREATE TABLE big AS SELECT i % 2 AS a, (i // 2) % 2 AS b, (i // 4) % 2 AS c, (i * 7) % 3 AS d, "
                "(i // 8) % 2 AS x, i AS k FROM range(500000) t(i)")
    con.close()
    return path


def cli_compare(path: Path, expected: str, actual: str, *extra: str) -> dict:
    out = CliRunner().invoke(app, ["compare-sql", "--warehouse", str(path), "--expected", expected,
                                   "--actual", actual, "--json", *extra])
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_five_same_multiset_columns_renamed_pass(wh_file: Path) -> None:
    data = cli_compare(wh_file, "SELECT a, b, c, d, e FROM f", RENAMED)
    assert (data["verdict"], data["reason"]) == ("pass", "match"), data
    mapping = {int(i): j for i, j in data["column_mapping"].items()}
    assert {mapping[i] for i in (0, 1, 2)} == {2, 3, 4} and {mapping[3], mapping[4]} == {0, 1}
    wrong = cli_compare(wh_file, "SELECT a, b, c, d, e FROM f",
                        "SELECT e AS v1, d AS v2, c AS v3, b AS v4, a * 0 AS v5 FROM f")
    assert wrong["verdict"] == "fail", wrong


def test_large_result_with_renamed_same_multiset_columns(wh_file: Path) -> None:
    """500k rows; a, b, c and x hold the same values (0/1 halves) but differ row by row: one alignment of 24."""
    wh = DuckDBWarehouse(wh_file)
    try:
        expected = "SELECT a, b, c, x, d, k FROM big"
        ok = compare_sql(wh, expected, "SELECT k AS id, d AS t, x AS p, c AS q, b AS r, a AS s FROM big")
        assert (ok.verdict, ok.reason) == (Verdict.PASS, Reason.MATCH), ok.summary()
        # b and x swapped relative to a/c: every column still holds the same values, the rows differ
        swapped = compare_sql(wh, "SELECT a, b, c, d FROM big", "SELECT x AS p, c AS q, b AS r, d AS t FROM big")
        assert swapped.verdict is Verdict.FAIL, swapped.summary()
    finally:
        wh.close()


def test_search_budget_gives_needs_review_not_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    expected = ResultSet.from_rows(list("abcde"), [(1, 1, 1, 0, 0), (0, 0, 0, 1, 1)])
    actual = ResultSet.from_rows([f"v{i}" for i in range(5)], [(0, 0, 1, 1, 1), (1, 1, 0, 0, 0)])
    assert compare_results(expected, actual).passed
    monkeypatch.setattr(compare_module, "_SEARCH_UNITS", 0)
    out = compare_results(expected, actual)
    assert (out.verdict, out.reason) == (Verdict.NEEDS_REVIEW, Reason.SEARCH_LIMIT), out.summary()


def brute_force_pass(e_rows: list[tuple], a_rows: list[tuple]) -> bool:
    n = len(e_rows[0])
    want = Counter(e_rows)
    return any(Counter(tuple(r[p] for p in perm) for r in a_rows) == want
               for perm in itertools.permutations(range(n)))


@pytest.mark.parametrize("seed", range(40))
def test_search_agrees_with_brute_force(seed: int) -> None:
    """Random 0/1/2 tables whose answer is a column permutation, sometimes with one cell changed: the verdict is
    `pass` exactly when some column permutation makes the row multisets equal."""
    rng = np.random.default_rng(seed)
    n_rows, n_cols = int(rng.integers(2, 7)), int(rng.integers(2, 7))
    e_rows = [tuple(int(v) for v in row) for row in rng.integers(0, 3 if seed % 2 else 2, (n_rows, n_cols))]
    perm = rng.permutation(n_cols)
    a_rows = [tuple(r[p] for p in perm) for r in e_rows]
    if seed % 3 == 0:
        r, c = int(rng.integers(n_rows)), int(rng.integers(n_cols))
        row = list(a_rows[r])
        row[c] = (row[c] + 1) % 3
        a_rows[r] = tuple(row)
    a_rows = [a_rows[i] for i in rng.permutation(n_rows)]
    out = compare_results(ResultSet.from_rows([f"e{i}" for i in range(n_cols)], e_rows),
                          ResultSet.from_rows([f"a{i}" for i in range(n_cols)], a_rows))
    assert out.passed == brute_force_pass(e_rows, a_rows), (e_rows, a_rows, out.summary())
    assert out.verdict in (Verdict.PASS, Verdict.FAIL)


def shuffled(rows: list[tuple], seed: int) -> list[tuple]:
    return [rows[i] for i in np.random.default_rng(seed).permutation(len(rows))]


@pytest.mark.parametrize("change", ["value", "extra", "missing"])
def test_details_do_not_depend_on_row_order(change: str) -> None:
    rows = [(f"name{i % 997}", i % 13, float(i) / 7, i) for i in range(3000)]
    answer = [(r[3], r[0], r[1], r[2]) for r in rows]
    if change == "value":
        answer = [(k, n, g, v + 5.0 if k % 500 == 7 else v) for k, n, g, v in answer]
    elif change == "extra":
        answer = answer + [(10**6 + i, f"new{i}", i, 0.5) for i in range(40)]
    else:
        answer = answer[:2950]
    names_e, names_a = ["name", "grp", "val", "id"], ["id", "n", "g", "v"]
    details = {compare_results(ResultSet.from_rows(names_e, shuffled(rows, s)),
                               ResultSet.from_rows(names_a, shuffled(answer, 100 + s))).summary()
               for s in range(6)}
    assert len(details) == 1, details
    assert details.pop().startswith("fail")


def test_extra_rows_example_does_not_depend_on_row_order() -> None:
    answer = [(i, f"x{i}") for i in range(50)]
    outs = {compare_results(ResultSet.from_rows(["a", "b"], []), ResultSet.from_rows(["a", "b"], shuffled(answer, s)))
            .details for s in range(5)}
    assert outs == {"expected no rows, the answer returned 50, e.g. (0, 'x0')"}


@pytest.mark.parametrize(("extra_columns", "empty_expected", "verdict", "reason"), [
    ("fail", "needs_review", Verdict.FAIL, Reason.EXTRA_COLUMNS),
    ("fail", "pass", Verdict.FAIL, Reason.EXTRA_COLUMNS),
    ("allow", "needs_review", Verdict.NEEDS_REVIEW, Reason.EMPTY_EXPECTED),
    ("allow", "pass", Verdict.PASS, Reason.EMPTY_EXPECTED),
])
def test_both_empty_with_extra_column_follows_extra_columns_policy(
    extra_columns: str, empty_expected: str, verdict: Verdict, reason: Reason,
) -> None:
    options = CompareOptions(extra_columns=extra_columns, empty_expected=empty_expected)
    out = compare_results(ResultSet.from_rows(["a"], []), ResultSet.from_rows(["a", "b"], []), options)
    assert (out.verdict, out.reason) == (verdict, reason), out.summary()
    same = compare_results(ResultSet.from_rows(["a"], []), ResultSet.from_rows(["z"], []), options)
    assert same.verdict is (Verdict.PASS if empty_expected == "pass" else Verdict.NEEDS_REVIEW)


def test_order_by_limit_boundary_with_renamed_columns(wh_file: Path) -> None:
    """Ties at an ORDER BY … LIMIT boundary (the pool) with five same-multiset columns under other names."""
    wh = DuckDBWarehouse(wh_file)
    try:
        expected = "SELECT a, b, c, d, e FROM f UNION ALL SELECT 1, 1, 1, 0, 0 ORDER BY a LIMIT 2"
        ok = compare_sql(wh, expected, "SELECT e AS v1, d AS v2, c AS v3, b AS v4, a AS v5 FROM "
                                       "(SELECT * FROM f UNION ALL SELECT 1, 1, 1, 0, 0) ORDER BY v5 LIMIT 2")
        assert ok.passed, ok.summary()
        bad = compare_sql(wh, expected, "SELECT e AS v1, d AS v2, c AS v3, b AS v4, a AS v5 FROM f "
                                        "ORDER BY v5 DESC LIMIT 2")
        assert bad.verdict is Verdict.FAIL, bad.summary()
    finally:
        wh.close()


def test_row_matching_cap_gives_needs_review_not_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two fractional columns moved within tolerance need the exact residue step; when its cap stops it, the
    verdict is undecided, not a failure."""
    rng = np.random.default_rng(1)
    x, y = rng.uniform(1, 1000, 200), rng.uniform(1, 1000, 200)
    expected = ResultSet.from_frame(pd.DataFrame({"x": x, "y": y}))
    actual = ResultSet.from_frame(pd.DataFrame({"p": x * (1 + 0.9e-4), "q": y * (1 - 0.9e-4)}))
    assert compare_results(expected, actual).passed
    monkeypatch.setattr(residue, "MAX_CANDIDATE_PAIRS", 0)
    out = compare_results(expected, actual)
    assert (out.verdict, out.reason) == (Verdict.NEEDS_REVIEW, Reason.SEARCH_LIMIT), out.summary()
    assert any("tolerance check stopped" in n for n in out.notes)
