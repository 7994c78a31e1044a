"""`genie-enhance compare-sql --pairs FILE.jsonl`: agrees with single `compare-sql` on every pair (Databricks,
sqlite and postgres dialects), runs each distinct expected SQL once, refuses malformed files (file:line, nothing
printed), honours --catalog, and prints a summary."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import genie_enhance.cli  # noqa: F401 - registers the commands
from genie_enhance.backends.local.warehouse import DuckDBWarehouse
from genie_enhance.cli.app import app
from genie_enhance.core.protocols import ResultSet
from genie_enhance.scoring.batch import SqlPair, compare_pairs
from genie_enhance_tests.support.shops import build_orders_shop

DATABRICKS_PAIRS = [
    ("SELECT region, SUM(amount) AS total FROM sales.orders GROUP BY region",
     "SELECT SUM(amount) AS t, region AS r FROM sales.orders GROUP BY 2"),
    ("SELECT region, SUM(amount) AS total FROM sales.orders GROUP BY region",
     "SELECT region, SUM(amount) + 1 FROM sales.orders GROUP BY region"),
    ("SELECT region, SUM(amount) AS total FROM sales.orders GROUP BY region",
     "SELECT region, SUM(amount), COUNT(*) FROM sales.orders GROUP BY region"),
    ("SELECT region, SUM(amount) AS total FROM sales.orders GROUP BY region",
     "SELECT region, SUM(amount) FROM sales.orders WHERE id > 1 GROUP BY region"),
    ("SELECT id FROM sales.orders ORDER BY amount DESC LIMIT 3",
     "SELECT id FROM sales.orders ORDER BY amount DESC LIMIT 3"),
    ("SELECT id FROM sales.orders ORDER BY amount DESC LIMIT 3", "SELECT id FROM sales.orders ORDER BY amount LIMIT 3"),
    ("SELECT id, amount FROM sales.orders ORDER BY amount", "SELECT id, amount FROM sales.orders ORDER BY amount DESC"),
    ("SELECT id, amount FROM sales.orders ORDER BY amount", "SELECT amount AS a, id AS i FROM sales.orders ORDER BY 1"),
    ("SELECT COUNT(*) FROM sales.orders", "SELECT COUNT(id) AS n FROM sales.orders"),
    ("SELECT COUNT(*) FROM sales.orders", "SELECT COUNT(*) - 1 FROM sales.orders"),
    ("SELECT COUNT(*) FROM sales.orders", None),
    ("SELECT COUNT(*) FROM sales.orders", ""),
    ("SELECT COUNT(*) FROM sales.orders", "SELECT nope FROM sales.orders"),
    ("SELECT COUNT(*) FROM sales.orders", "DELETE FROM sales.orders"),
    ("SELECT COUNT(*) FROM sales.orders", "SELECT (( FROM"),
    ("SELECT missing FROM sales.orders", "SELECT 1"),
    ("DROP TABLE sales.orders", "SELECT 1"),
    ("SELECT id FROM sales.orders WHERE id > 100", "SELECT id FROM sales.orders WHERE id < 0"),
    ("SELECT id FROM sales.orders WHERE id > 100", "SELECT id FROM sales.orders WHERE id = 1"),
    ("SELECT c.name, SUM(o.amount) FROM sales.orders o JOIN sales.customers c ON c.id = o.customer_id GROUP BY c.name",
     "SELECT SUM(o.amount), c.name FROM sales.customers c JOIN sales.orders o ON o.customer_id = c.id GROUP BY c.name"),
    ("SELECT c.name, SUM(o.amount) FROM sales.orders o JOIN sales.customers c ON c.id = o.customer_id GROUP BY c.name",
     "SELECT c.name, SUM(o.amount) FROM sales.orders o LEFT JOIN sales.customers c ON c.id = o.customer_id "
     "WHERE o.amount > 15 GROUP BY c.name"),
    ("SELECT DISTINCT region FROM sales.orders", "SELECT region FROM sales.orders GROUP BY region"),
    ("SELECT DISTINCT region FROM sales.orders", "SELECT region FROM sales.orders"),
    ("SELECT date_trunc('month', day) AS m, COUNT(*) FROM sales.orders GROUP BY 1",
     "SELECT date_trunc('MONTH', day), COUNT(1) FROM sales.orders GROUP BY date_trunc('MONTH', day)"),
    ("SELECT AVG(amount) FROM sales.orders", "SELECT SUM(amount) / COUNT(amount) FROM sales.orders"),
    ("SELECT AVG(amount) FROM sales.orders", "SELECT AVG(amount) * 1.01 FROM sales.orders"),
    ("select   region, sum(amount) as total from sales.orders group by region",  # another spelling, same key
     "SELECT region, SUM(amount) FROM sales.orders GROUP BY region"),
]
SQLITE_PAIRS = [
    ("SELECT region || '-' || id FROM orders", "SELECT region || '-' || CAST(id AS TEXT) AS k FROM orders"),
    ("SELECT id FROM orders ORDER BY amount DESC LIMIT 2",
     "SELECT id FROM orders ORDER BY amount DESC LIMIT 2 OFFSET 0"),
    ("SELECT id FROM orders ORDER BY amount DESC LIMIT 2", "SELECT id FROM orders ORDER BY amount LIMIT 2"),
    ("SELECT IFNULL(customer_id, 0) AS c, COUNT(*) FROM orders GROUP BY 1",
     "SELECT COALESCE(customer_id, 0), COUNT(*) FROM orders GROUP BY 1"),
    ("SELECT SUBSTR(region, 1, 2) FROM orders", "SELECT SUBSTR(region, 1, 3) FROM orders"),
]
POSTGRES_PAIRS = [
    ("SELECT id::text AS t FROM orders", "SELECT CAST(id AS VARCHAR) FROM orders"),
    ("SELECT region, COUNT(*) FILTER (WHERE amount > 15) FROM orders GROUP BY region",
     "SELECT region, SUM(CASE WHEN amount > 15 THEN 1 ELSE 0 END) FROM orders GROUP BY region"),
    ("SELECT region FROM orders WHERE region ILIKE 'e%'", "SELECT region FROM orders WHERE LOWER(region) LIKE 'e%'"),
    ("SELECT region FROM orders WHERE region ILIKE 'e%'", "SELECT region FROM orders WHERE region LIKE 'e%'"),
    ("SELECT amount FROM orders ORDER BY amount DESC NULLS LAST LIMIT 2",
     "SELECT amount FROM orders ORDER BY amount DESC LIMIT 2"),
]


@pytest.fixture(scope="module")
def orders_shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_orders_shop(tmp_path_factory.mktemp("batch") / "shop.duckdb")


def write_pairs(path: Path, pairs: list[tuple[str, str | None]]) -> Path:
    path.write_text("".join(json.dumps({"id": f"p{k}", "expected": e, "actual": a}) + "\n"
                            for k, (e, a) in enumerate(pairs)), encoding="utf-8")
    return path


def cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["compare-sql", *args])
    return result.exit_code, result.stdout, result.stderr


def single(orders_shop: Path, expected: str, actual: str | None, *extra: str) -> dict:
    code, out, _ = cli("--warehouse", str(orders_shop), "--expected", expected, "--actual", actual or "", "--json",
                       *extra)
    return json.loads(out.strip().splitlines()[-1])


@pytest.mark.parametrize(("dialect", "pairs"), [
    ("databricks", DATABRICKS_PAIRS), ("sqlite", SQLITE_PAIRS), ("postgres", POSTGRES_PAIRS),
])
def test_batch_agrees_with_single_compare_sql(
    orders_shop: Path, tmp_path: Path, dialect: str, pairs: list[tuple[str, str | None]],
) -> None:
    file = write_pairs(tmp_path / "pairs.jsonl", pairs)
    code, out, _ = cli("--warehouse", str(orders_shop), "--pairs", str(file), "--dialect", dialect, "--json")
    assert code == 0, out
    lines = [json.loads(line) for line in out.strip().splitlines()]
    assert len(lines) == len(pairs) + 1
    for k, ((expected, actual), got) in enumerate(zip(pairs, lines)):
        want = single(orders_shop, expected, actual, "--dialect", dialect)
        assert got == {"id": f"p{k}", "verdict": want["verdict"], "reason": want["reason"],
                       "details": want["details"]}, (expected, actual)
    summary = lines[-1]["summary"]
    verdicts = [line["verdict"] for line in lines[:-1]]
    assert summary["pairs"] == len(pairs)
    assert summary["verdicts"] == {v: verdicts.count(v) for v in ("pass", "fail", "needs_review", "error")}
    assert sum(summary["reasons"].values()) == len(pairs)
    n_pass, n_fail = verdicts.count("pass"), verdicts.count("fail")
    assert summary["execution_accuracy"] == round(n_pass / (n_pass + n_fail), 4)
    assert n_pass and n_fail  # the set is varied: it can tell right from wrong


def test_databricks_set_covers_every_verdict(orders_shop: Path, tmp_path: Path) -> None:
    file = write_pairs(tmp_path / "pairs.jsonl", DATABRICKS_PAIRS)
    _, out, _ = cli("--warehouse", str(orders_shop), "--pairs", str(file), "--json")
    summary = json.loads(out.strip().splitlines()[-1])["summary"]
    assert all(summary["verdicts"][v] > 0 for v in ("pass", "fail", "needs_review", "error")), summary
    assert {"no_sql", "sql_error", "extra_columns", "wrong_order", "expected_not_read_only"} <= set(summary["reasons"])


class CountingWarehouse:
    def __init__(self, inner: DuckDBWarehouse) -> None:
        self.inner, self.executed = inner, []

    def execute(self, sql: str, limit: int | None = None) -> ResultSet:
        self.executed.append(sql)
        return self.inner.execute(sql, limit)


def test_each_distinct_expected_runs_once(orders_shop: Path) -> None:
    spellings = ["SELECT region, SUM(amount) FROM sales.orders GROUP BY region",
                 "select region,  sum(amount) from sales.orders group by region", "SELECT COUNT(*) FROM sales.orders"]
    pairs = [SqlPair(id=str(k), expected=spellings[k % 3], actual=f"SELECT {k} AS k") for k in range(12)]
    wh = CountingWarehouse(DuckDBWarehouse(orders_shop))
    try:
        outcomes = compare_pairs(wh, pairs)
    finally:
        wh.inner.close()
    assert [o.id for o in outcomes] == [p.id for p in pairs]
    expected_runs = [s for s in wh.executed if not s.startswith("SELECT ") or "FROM" in s]
    assert len(expected_runs) == 2, wh.executed
    assert len(wh.executed) == 2 + 12


@pytest.mark.parametrize(("content", "where", "message"), [
    ('{"id": "a", "expected": "SELECT 1", "actual": "SELECT 1"}\n{"id": "b", "expected": ', ":2:", "invalid JSON"),
    ('{"id": "a", "expected": "SELECT 1", "actual": "SELECT 1"}\n\n["x"]\n', ":3:", "JSON object"),
    ('{"id": "a", "actual": "SELECT 1"}\n', ":1:", "'expected'"),
    ('{"id": "a", "expected": "SELECT 1", "actual": "SELECT 1", "extra": 1}\n', ":1:", "'extra'"),
    ('{"id": "a", "expected": 5, "actual": "SELECT 1"}\n', ":1:", "'expected'"),
    ('{"id": "a", "expected": "SELECT 1", "actual": null}\n{"id": "a", "expected": "SELECT 2", "actual": null}\n',
     ":2:", "duplicate id 'a' (first on line 1)"),
    ("\n\n", "pairs.jsonl", "no pairs"),
])
def test_malformed_pairs_file_is_refused(orders_shop: Path, tmp_path: Path, content: str, where: str,
                                         message: str) -> None:
    file = tmp_path / "pairs.jsonl"
    file.write_text(content, encoding="utf-8")
    code, out, err = cli("--warehouse", str(orders_shop), "--pairs", str(file), "--json")
    assert code == 2
    assert out == ""  # nothing half-printed
    line = " ".join(err.split())
    assert f"pairs.jsonl{where}" in line or (where == "pairs.jsonl" and "pairs.jsonl" in line), err
    assert message in line, err


def test_bad_arguments_are_refused(orders_shop: Path, tmp_path: Path) -> None:
    file = write_pairs(tmp_path / "pairs.jsonl", [("SELECT 1", "SELECT 1")])
    code, out, err = cli("--warehouse", str(orders_shop), "--pairs", str(file), "--expected", "SELECT 1")
    assert (code, out) == (2, "") and "either --pairs" in err
    code, out, err = cli("--warehouse", str(orders_shop), "--pairs", str(file), "--dialect", "klingon")
    assert (code, out) == (2, "") and "'klingon' is not one of" in " ".join(err.split())
    code, out, err = cli("--warehouse", str(orders_shop), "--pairs", str(tmp_path / "none.jsonl"))
    assert (code, out) == (2, "") and "none.jsonl" in err


def test_catalog_option(orders_shop: Path, tmp_path: Path) -> None:
    file = write_pairs(tmp_path / "pairs.jsonl", [
        ("SELECT COUNT(*) FROM prod.sales.orders", "SELECT 5"),
        ("SELECT COUNT(*) FROM prod.sales.orders", "SELECT COUNT(*) FROM shop.sales.orders"),
    ])
    code, out, _ = cli("--warehouse", str(orders_shop), "--pairs", str(file), "--catalog", "prod", "--json")
    lines = [json.loads(line) for line in out.strip().splitlines()]
    assert code == 0
    assert [(d["verdict"], d["reason"]) for d in lines[:2]] == [("pass", "match"), ("fail", "sql_error")]
    _, out, _ = cli("--warehouse", str(orders_shop), "--pairs", str(file), "--json")
    assert json.loads(out.strip().splitlines()[0])["verdict"] == "error"  # without it, prod is unknown


def test_human_output_table_and_summary(orders_shop: Path, tmp_path: Path) -> None:
    file = write_pairs(tmp_path / "pairs.jsonl", DATABRICKS_PAIRS[:4])
    code, out, _ = cli("--warehouse", str(orders_shop), "--pairs", str(file))
    text = " ".join(out.split())
    assert code == 0
    assert "p0" in text and "p3" in text and "value_difference" in text
    assert ("4 pair(s): pass 1, fail 3, needs_review 0, error 0; execution accuracy (pass / (pass + fail)): 25.0%"
            in text)


def test_dialect_decides_how_the_sql_is_read(orders_shop: Path, tmp_path: Path) -> None:
    """In sqlite "region" is the column; in Databricks SQL it is a string literal."""
    file = write_pairs(tmp_path / "pairs.jsonl", [('SELECT "region" FROM orders', "SELECT region FROM orders")])
    verdicts = {}
    for dialect in ("sqlite", "databricks"):
        _, out, _ = cli("--warehouse", str(orders_shop), "--pairs", str(file), "--dialect", dialect, "--json")
        verdicts[dialect] = json.loads(out.splitlines()[0])["verdict"]
    assert verdicts == {"sqlite": "pass", "databricks": "fail"}
