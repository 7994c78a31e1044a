"""Speed of the result comparator against a straightforward Python bag comparison.

Builds an N-row × 4-column result (int id, float value, string category, date) and a second copy with the rows
shuffled, the columns permuted and every float moved by up to half the relative tolerance (what rounding to 4
significant digits does), then times `compare_results` and, in the same run, a `collections.Counter` of rounded
row tuples (columns aligned by name). The baseline's verdict is reported too: rounding puts values that straddle a
rounding boundary in different buckets, which the comparator's shifted grid and exact residue check avoid.

    .venv/bin/python perf/compare_speed.py --rows 1000000 --json
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter

import numpy as np
import pandas as pd

from genie_enhance.core.protocols import ResultSet
from genie_enhance.scoring import CompareOptions, compare_results


def build(rows: int, seed: int, rtol: float) -> tuple[ResultSet, ResultSet]:
    rng = np.random.default_rng(seed)
    categories = np.array([f"category_{i:03d}" for i in range(200)], dtype=object)
    expected = pd.DataFrame({
        "id": np.arange(rows, dtype=np.int64),
        "value": np.round(rng.normal(1000.0, 300.0, rows), 6),
        "category": categories[rng.integers(0, len(categories), rows)],
        "day": pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 3000, rows), unit="D"),
    })
    actual = expected.iloc[rng.permutation(rows)].reset_index(drop=True)
    actual["value"] = actual["value"] * (1.0 + rng.uniform(-0.5, 0.5, rows) * rtol)
    actual = actual[["category", "value", "day", "id"]]
    return ResultSet.from_frame(expected), ResultSet.from_frame(actual)


def baseline_equal(expected: ResultSet, actual: ResultSet, decimals: int = 1) -> bool:
    """Bag equality of row tuples with floats rounded, columns aligned by name."""
    def bag(frame: pd.DataFrame) -> Counter:
        return Counter(
            tuple(round(v, decimals) if isinstance(v, float) else v for v in row)
            for row in frame.itertuples(index=False, name=None)
        )

    e = expected.frame.set_axis(expected.columns, axis=1)
    a = actual.frame.set_axis(actual.columns, axis=1)[expected.columns]
    return bag(e) == bag(a)


def measure(rows: int, seed: int) -> dict[str, object]:
    options = CompareOptions()
    expected, actual = build(rows, seed, options.rtol)
    compare_results(*build(100, seed, options.rtol), options)  # warm-up (imports, caches)
    start = time.perf_counter()
    outcome = compare_results(expected, actual, options)
    seconds = time.perf_counter() - start
    start = time.perf_counter()
    base = baseline_equal(expected, actual)
    baseline_seconds = time.perf_counter() - start
    return {
        "rows": rows,
        "seed": seed,
        "seconds": round(seconds, 3),
        "baseline_seconds": round(baseline_seconds, 3),
        "speedup": round(baseline_seconds / seconds, 2) if seconds > 0 else None,
        "verdict": outcome.verdict.value,
        "reason": outcome.reason.value,
        "baseline_verdict": "pass" if base else "fail",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    args = parser.parse_args()
    result = measure(args.rows, args.seed)
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>17}: {value}")


if __name__ == "__main__":
    main()
