"""The pure result comparator on hand-built result sets (`ResultSet.from_rows`): semantics and explanations."""

from __future__ import annotations

import datetime as dt
import json
import math
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from genie_enhance.core.protocols import ResultSet
from genie_enhance.scoring import CompareOptions, ExpectedResult, Reason, Verdict, compare_results


def rs(columns: list[str], rows: list[tuple]) -> ResultSet:
    return ResultSet.from_rows(columns, rows)


REGIONS = rs(["region", "total"], [("EMEA", 1200.5), ("APAC", 10.0), ("EMEA", 1200.5), ("AMER", 0.25)])


def test_shuffled_rows_and_permuted_columns_pass_with_mapping() -> None:
    actual = rs(["t", "r"], [(0.25, "AMER"), (1200.5, "EMEA"), (10.0, "APAC"), (1200.5, "EMEA")])
    out = compare_results(REGIONS, actual)
    assert (out.verdict, out.reason) == (Verdict.PASS, Reason.MATCH)
    assert out.column_mapping == {0: 1, 1: 0}
    assert (out.expected_rows, out.actual_rows) == (4, 4)


def test_missing_duplicate_fails_missing_rows_with_example() -> None:
    actual = rs(["region", "total"], [("EMEA", 1200.5), ("APAC", 10.0), ("AMER", 0.25)])
    out = compare_results(REGIONS, actual)
    assert (out.verdict, out.reason) == (Verdict.FAIL, Reason.MISSING_ROWS)
    assert "1 expected row(s) missing" in out.details and "('EMEA', 1200.5)" in out.details


def test_extra_duplicate_fails_extra_rows() -> None:
    actual = rs(["region", "total"], REGIONS.rows + [("APAC", 10.0)])
    out = compare_results(REGIONS, actual)
    assert (out.verdict, out.reason) == (Verdict.FAIL, Reason.EXTRA_ROWS)
    assert "('APAC', 10.0)" in out.details


def test_same_column_multisets_but_different_row_pairing_fails() -> None:
    expected = rs(["a", "b"], [(1, 1), (2, 2)])
    assert compare_results(expected, rs(["x", "y"], [(2, 2), (1, 1)])).passed
    out = compare_results(expected, rs(["x", "y"], [(1, 2), (2, 1)]))
    assert (out.verdict, out.reason) == (Verdict.FAIL, Reason.VALUE_DIFFERENCE)


def test_swapped_columns_with_identical_values_pass() -> None:
    expected = rs(["a", "b"], [(1, 2), (2, 1), (3, 3)])
    assert compare_results(expected, rs(["b", "a"], [(2, 1), (1, 2), (3, 3)])).passed


@pytest.mark.parametrize(("factor", "passes"), [(1 + 0.9e-4, True), (1 - 0.9e-4, True), (1 + 1.2e-4, False)])
def test_relative_tolerance_edge(factor: float, passes: bool) -> None:
    expected = rs(["v"], [(1234.5678,), (-98.765,)])
    actual = rs(["v"], [(1234.5678 * factor,), (-98.765,)])
    out = compare_results(expected, actual)
    assert out.passed is passes
    if not passes:
        assert out.reason is Reason.VALUE_DIFFERENCE
        assert "closest answer row" in out.details


def test_values_straddling_grid_boundaries_still_match() -> None:
    rng = np.random.default_rng(7)
    n = 3000
    values = rng.normal(0, 1e4, (n, 3))
    noisy = values * (1 + rng.choice([-1, 1], (n, 3)) * 0.99e-4)
    expected = ResultSet.from_frame(pd.DataFrame(values))
    out = compare_results(expected, ResultSet.from_frame(pd.DataFrame(noisy[::-1])))
    assert out.passed, out.details
    noisy[10, 1] *= 1 + 3e-4
    assert compare_results(expected, ResultSet.from_frame(pd.DataFrame(noisy))).reason is Reason.VALUE_DIFFERENCE


def test_tolerance_matching_finds_a_bijection_where_greedy_pairing_fails() -> None:
    # 1.00008 equals the second expected value exactly, but only pairing it with 1.0 leaves 1.00016 a partner.
    expected = rs(["v"], [(1.0,), (1.00008,)])
    actual = rs(["v"], [(1.00008,), (1.00016,)])
    assert compare_results(expected, actual).passed
    assert not compare_results(expected, rs(["v"], [(1.00008,), (1.00030,)])).passed


def test_near_zero_uses_absolute_tolerance() -> None:
    expected = rs(["v"], [(0.0,), (-0.0,)])
    assert compare_results(expected, rs(["v"], [(1e-12,), (0.0,)])).passed
    assert compare_results(expected, rs(["v"], [(-0.0,), (0.0,)])).passed
    assert not compare_results(expected, rs(["v"], [(1e-6,), (0.0,)])).passed


def test_null_equals_null_and_nan() -> None:
    expected = rs(["a", "b"], [("x", None), (None, 1.5)])
    assert compare_results(expected, rs(["a", "b"], [(None, 1.5), ("x", math.nan)])).passed
    out = compare_results(expected, rs(["a", "b"], [("x", 0.0), (None, 1.5)]))
    assert out.reason is Reason.VALUE_DIFFERENCE and "NULL" in out.details


def test_decimal_int_float_and_bool_compare_by_value() -> None:
    expected = rs(["n", "flag"], [(Decimal("2.50"), True), (Decimal("3"), False)])
    assert compare_results(expected, rs(["n", "flag"], [(2.5, 1), (3, 0)])).passed
    assert compare_results(rs(["n"], [(7,)]), rs(["n"], [(7.0,)])).passed
    assert not compare_results(expected, rs(["n", "flag"], [(2.5, 1), (3, 1)])).passed


def test_integers_compare_exactly_unless_disabled() -> None:
    expected = rs(["count"], [(100000,)])
    out = compare_results(expected, rs(["count"], [(100001,)]))
    assert (out.verdict, out.reason) == (Verdict.FAIL, Reason.VALUE_DIFFERENCE)
    assert compare_results(expected, rs(["count"], [(100001,)]), CompareOptions(exact_integers=False)).passed
    assert compare_results(expected, rs(["count"], [(100000.5,)])).passed  # one side fractional: tolerance


def test_strings_are_exact() -> None:
    assert not compare_results(rs(["s"], [("EMEA",)]), rs(["s"], [("emea",)])).passed
    assert not compare_results(rs(["s"], [("EMEA",)]), rs(["s"], [("EMEA ",)])).passed


def test_number_against_string_is_a_type_difference() -> None:
    out = compare_results(REGIONS, rs(["region", "total"], [(r, str(t)) for r, t in REGIONS.rows]))
    assert (out.verdict, out.reason) == (Verdict.FAIL, Reason.TYPE_DIFFERENCE)
    assert "'total'" in out.details and "string" in out.details


def test_dates_and_timestamps_normalised() -> None:
    expected = rs(["d"], [(dt.date(2024, 1, 31),), (None,)])
    assert compare_results(expected, rs(["d"], [(dt.datetime(2024, 1, 31, 0, 0),), (None,)])).passed
    assert compare_results(expected, rs(["d"], [(pd.Timestamp("2024-01-31"),), (None,)])).passed
    out = compare_results(expected, rs(["d"], [(dt.datetime(2024, 1, 31, 0, 0, 1),), (None,)]))
    assert out.reason is Reason.VALUE_DIFFERENCE


def test_timezone_aware_timestamps_compare_in_utc() -> None:
    berlin = dt.timezone(dt.timedelta(hours=1))
    expected = rs(["t"], [(dt.datetime(2024, 3, 1, 12, 0),)])
    assert compare_results(expected, rs(["t"], [(dt.datetime(2024, 3, 1, 13, 0, tzinfo=berlin),)])).passed
    assert not compare_results(expected, rs(["t"], [(dt.datetime(2024, 3, 1, 12, 0, tzinfo=berlin),)])).passed
    frame = pd.DataFrame({"t": pd.to_datetime(["2024-03-01 13:00"]).tz_localize("Europe/Berlin")})
    assert compare_results(expected, ResultSet.from_frame(frame)).passed


def test_times_intervals_and_nested_values() -> None:
    assert compare_results(rs(["t"], [(dt.time(10, 30),)]), rs(["t"], [(dt.time(10, 30),)])).passed
    assert compare_results(rs(["i"], [(dt.timedelta(days=2),)]), rs(["i"], [(pd.Timedelta(hours=48),)])).passed
    expected = rs(["l"], [([1, 2],), ({"k": "v"},)])
    assert compare_results(expected, rs(["l"], [({"k": "v"},), (np.array([1, 2]),)])).passed
    assert not compare_results(expected, rs(["l"], [({"k": "v"},), ([2, 1],)])).passed


def test_extra_columns_fail_by_default_and_pass_when_allowed() -> None:
    actual = rs(["region", "total", "n"], [(r, t, i) for i, (r, t) in enumerate(REGIONS.rows)])
    out = compare_results(REGIONS, actual)
    assert (out.verdict, out.reason) == (Verdict.FAIL, Reason.EXTRA_COLUMNS)
    assert "'n'" in out.details
    allowed = compare_results(REGIONS, actual, CompareOptions(extra_columns="allow"))
    assert allowed.passed and allowed.column_mapping == {0: 0, 1: 1}
    assert any("'n'" in note for note in allowed.notes)


def test_missing_column_fails_and_names_it() -> None:
    out = compare_results(REGIONS, rs(["region"], [(r,) for r, _ in REGIONS.rows]))
    assert (out.verdict, out.reason) == (Verdict.FAIL, Reason.MISSING_COLUMNS)
    assert "'total'" in out.details


def test_row_difference_takes_precedence_over_extra_column() -> None:
    actual = rs(["region", "total", "n"], [("EMEA", 1.0, 1)])
    assert compare_results(REGIONS, actual).reason is Reason.VALUE_DIFFERENCE


def test_empty_results() -> None:
    empty = rs(["a"], [])
    both = compare_results(empty, rs(["b"], []))
    assert (both.verdict, both.reason) == (Verdict.NEEDS_REVIEW, Reason.EMPTY_EXPECTED)
    accepted = compare_results(empty, rs(["b"], []), CompareOptions(empty_expected="pass"))
    assert accepted.verdict is Verdict.PASS
    out = compare_results(REGIONS, rs(["region", "total"], []))
    assert (out.verdict, out.reason) == (Verdict.FAIL, Reason.EMPTY_RESULT)
    extra = compare_results(empty, rs(["a"], [(1,)]))
    assert (extra.verdict, extra.reason) == (Verdict.FAIL, Reason.EXTRA_ROWS)


def test_truncated_results_are_not_guessed() -> None:
    expected, actual = rs(["a"], [(1,)]), rs(["a"], [(1,)])
    expected.truncated = actual.truncated = True
    out = compare_results(expected, actual, CompareOptions(max_rows=1))
    assert (out.verdict, out.reason) == (Verdict.NEEDS_REVIEW, Reason.TRUNCATED)
    actual.truncated = False
    assert compare_results(expected, actual, CompareOptions(max_rows=1)).reason is Reason.MISSING_ROWS


def test_strict_order_and_ties() -> None:
    rows = [("a", 3), ("b", 2), ("c", 2), ("d", 1)]
    strict = ExpectedResult.ordered(rs(["k", "v"], rows))
    assert compare_results(strict, rs(["k", "v"], rows)).passed
    swapped = [rows[0], rows[2], rows[1], rows[3]]
    out = compare_results(strict, rs(["k", "v"], swapped))
    assert (out.reason, out.order) == (Reason.WRONG_ORDER, "strict")
    assert "answer row 2" in out.details
    ties = ExpectedResult.ordered(rs(["k", "v"], rows), key_columns=[1])
    assert compare_results(ties, rs(["k", "v"], swapped)).passed
    assert compare_results(ties, rs(["k", "v"], rows[::-1])).reason is Reason.WRONG_ORDER
    assert compare_results(ties, rs(["k", "v"], rows[:3])).reason is Reason.MISSING_ROWS


def test_limit_boundary_pool_makes_tied_rows_interchangeable() -> None:
    fetched = rs(["name", "score"], [("ann", 90), ("bob", 85), ("cat", 80), ("dan", 80), ("eve", 80), ("fay", 70)])
    top3 = ExpectedResult.from_ordered_fetch(fetched, [1], 2, 0, 3, complete=True)
    assert top3.row_count == 3 and top3.pool is not None and top3.pool.row_count == 2
    for third in ("cat", "dan", "eve"):
        assert compare_results(top3, rs(["n", "s"], [("ann", 90), ("bob", 85), (third, 80)])).passed
    wrong = compare_results(top3, rs(["n", "s"], [("ann", 90), ("bob", 85), ("fay", 70)]))
    assert wrong.reason is Reason.VALUE_DIFFERENCE
    assert compare_results(top3, rs(["n", "s"], [("bob", 85), ("ann", 90), ("dan", 80)])).reason is Reason.WRONG_ORDER
    assert compare_results(top3, rs(["n", "s"], [("ann", 90), ("bob", 85), ("cat", 80), ("dan", 80)])).reason \
        is Reason.EXTRA_ROWS


def test_comparison_serialises_to_json() -> None:
    out = compare_results(REGIONS, rs(["region"], [("EMEA",)]))
    data = json.loads(json.dumps(out.to_dict()))
    assert data["verdict"] == "fail" and data["reason"] == "missing_columns"
    assert set(data) >= {"details", "column_mapping", "expected_rows", "actual_rows", "order", "notes"}


def test_fifty_thousand_rows_compare_quickly() -> None:
    rng = np.random.default_rng(3)
    n = 50_000
    frame = pd.DataFrame({"id": np.arange(n), "v": rng.normal(0, 100, n), "c": rng.choice(["x", "y", "z"], n)})
    shuffled = frame.sample(frac=1, random_state=3)[["c", "v", "id"]].reset_index(drop=True)
    shuffled["v"] *= 1 + rng.uniform(-0.5e-4, 0.5e-4, n)
    out = compare_results(ResultSet.from_frame(frame), ResultSet.from_frame(shuffled))
    assert out.passed and out.column_mapping == {0: 2, 1: 1, 2: 0}


def test_big_integers_beyond_float_precision_stay_exact() -> None:
    big = 2**60
    expected = rs(["id"], [(big,), (big + 2,)])
    assert compare_results(expected, rs(["id"], [(big + 2,), (big,)])).passed
    assert compare_results(expected, rs(["id"], [(big + 1,), (big + 2,)])).reason is Reason.VALUE_DIFFERENCE
    def nullable(*values: int | None) -> ResultSet:
        return ResultSet.from_frame(pd.DataFrame({"id": pd.array(list(values), dtype="Int64")}))

    assert compare_results(nullable(big, None), nullable(None, big)).passed
    assert compare_results(nullable(big, None), nullable(None, big + 1)).reason is Reason.VALUE_DIFFERENCE
