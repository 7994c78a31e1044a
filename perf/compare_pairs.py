"""Throughput of batch compare (`genie-enhance compare-sql --pairs`) on a small database.

Builds a DuckDB file (orders 5,000 rows, customers 200), writes N pairs (default 1,000) over 50 distinct expected
queries (aggregates, joins, ORDER BY … LIMIT, filters) whose answers (all distinct SQL) are right, renamed or
reordered, or wrong, then runs the real CLI in-process and reports wall time, pairs/s and the verdict counts;
`--workers` times pool sizes through the library entry point.

    .venv/bin/python perf/compare_pairs.py --pairs 1000 --json
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import duckdb
from typer.testing import CliRunner

import genie_enhance.cli  # noqa: F401 - registers the commands
from genie_enhance.backends.local.warehouse import DuckDBWarehouse
from genie_enhance.cli.app import app
from genie_enhance.scoring.batch import compare_pairs, read_pairs


def build_db(path: Path) -> None:
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE customers AS SELECT i AS id, 'c' || i AS name, ['EMEA', 'APAC', 'AMER'][i % 3 + 1] "
                "AS region FROM range(200) t(i)")
    con.execute("CREATE TABLE orders AS SELECT i AS id, i % 200 AS customer_id, round((i * 37) % 1000 / 7.0, 2) "
                "AS amount, DATE '2024-01-01' + CAST(i % 365 AS INTEGER) AS day FROM range(5000) t(i)")
    con.close()


JOIN = "FROM orders o JOIN customers c ON c.id = o.customer_id"
TEMPLATES = [  # expected, the same under other names / order, a wrong answer ({k}: the query's number)
    (f"SELECT region, SUM(o.amount) AS total {JOIN} WHERE o.id % 50 >= {{k}} GROUP BY region",
     "SELECT SUM(o.amount) AS s, region AS r FROM customers c JOIN orders o ON o.customer_id = c.id "
     "WHERE o.id % 50 >= {k} GROUP BY 2",
     f"SELECT region, SUM(o.amount) {JOIN} WHERE o.id % 50 > {{k}} GROUP BY region"),
    ("SELECT customer_id, COUNT(*) AS n FROM orders WHERE amount > {k} GROUP BY customer_id "
     "ORDER BY n DESC, customer_id LIMIT 10",
     "SELECT customer_id AS c, COUNT(1) AS cnt FROM orders WHERE amount > {k} GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 10",
     "SELECT customer_id, COUNT(*) AS n FROM orders WHERE amount > {k} GROUP BY customer_id "
     "ORDER BY n, customer_id LIMIT 10"),
    ("SELECT date_trunc('month', day) AS m, AVG(amount) AS a FROM orders WHERE customer_id < {k} + 100 GROUP BY 1",
     "SELECT AVG(amount), date_trunc('month', day) FROM orders WHERE customer_id < {k} + 100 GROUP BY 2",
     "SELECT date_trunc('month', day) AS m, AVG(amount) AS a FROM orders WHERE customer_id <= {k} + 100 GROUP BY 1"),
    ("SELECT name FROM customers WHERE id % 7 = {k} % 7 AND region = 'EMEA'",
     "SELECT c.name AS customer FROM customers AS c WHERE c.region = 'EMEA' AND c.id % 7 = {k} % 7",
     "SELECT name, region FROM customers WHERE id % 7 = {k} % 7 AND region = 'EMEA'"),
    ("SELECT COUNT(*) FROM orders WHERE day >= DATE '2024-01-01' + INTERVAL {k} DAY",
     "SELECT COUNT(id) AS n FROM orders WHERE day >= DATE '2024-01-01' + INTERVAL {k} DAY",
     "SELECT COUNT(*) FROM orders WHERE day > DATE '2024-01-01' + INTERVAL {k} DAY"),
]


def templates(k: int) -> tuple[str, list[str]]:
    """The k-th expected query and answers for it: right, right under other names/order, wrong."""
    expected, *answers = (t.format(k=k) for t in TEMPLATES[k % len(TEMPLATES)])
    return expected, [expected, *answers]


def write_pairs(path: Path, n: int, distinct: int) -> None:
    with path.open("w", encoding="utf-8") as f:
        for i in range(n):
            expected, answers = templates(i % distinct)
            actual = answers[(i // distinct) % 3].replace(" WHERE ", f" WHERE {i} >= 0 AND ", 1)  # all distinct
            f.write(json.dumps({"id": f"q{i}", "expected": expected, "actual": actual}) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=1000)
    parser.add_argument("--distinct", type=int, default=50, help="distinct expected queries")
    parser.add_argument("--workers", type=int, nargs="*", default=[1, 4], help="pool sizes to time (library)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db, pairs_file = Path(tmp) / "shop.duckdb", Path(tmp) / "pairs.jsonl"
        build_db(db)
        write_pairs(pairs_file, args.pairs, args.distinct)
        start = time.perf_counter()
        out = CliRunner().invoke(app, ["compare-sql", "--warehouse", str(db), "--pairs", str(pairs_file), "--json"])
        cli_s = time.perf_counter() - start
        if out.exit_code != 0:
            raise SystemExit(f"compare-sql failed ({out.exit_code}): {out.output}")
        summary = json.loads(out.stdout.strip().splitlines()[-1])["summary"]
        by_workers = {}
        pairs = read_pairs(pairs_file)
        for w in args.workers:
            wh = DuckDBWarehouse(db)
            start = time.perf_counter()
            compare_pairs(wh, pairs, workers=w)
            by_workers[w] = time.perf_counter() - start
            wh.close()
    result = {
        "pairs": args.pairs, "distinct_expected": args.distinct, "cli_seconds": round(cli_s, 3),
        "cli_pairs_per_second": round(args.pairs / cli_s, 1), "verdicts": summary["verdicts"],
        "library_seconds_by_workers": {str(w): round(s, 3) for w, s in by_workers.items()},
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{args.pairs} pairs ({args.distinct} distinct expected): {cli_s:.2f} s via the CLI, "
              f"{args.pairs / cli_s:.0f} pairs/s; verdicts {summary['verdicts']}")
        for w, s in by_workers.items():
            print(f"  library, {w} worker(s): {s:.2f} s, {args.pairs / s:.0f} pairs/s")


if __name__ == "__main__":
    main()
