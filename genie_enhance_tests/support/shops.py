"""The small shop warehouses the tests build: one builder per schema, each named for the tests it serves.

Every shop is a DuckDB file with schema `sales`, read as catalog `shop` (so `shop.sales.orders`). The schemas
differ on purpose, one per kind of test; pick the builder by what the test needs:

- `build_validation_shop`: customers and orders, two rows each; the space `valid_space_dict` is valid against it.
- `build_scoring_shop`: 20 customers and 300 orders plus `SCORING_SPACE` over them; `MIXED` benchmarks pass, fail
  and break on it.
- `build_proposers_shop`: abbreviated columns (`amt_usd`, `stat_cd`), so every heuristic fix family has a question
  only it fixes.
- `build_genie_shop`: customers, orders (a decoy `amount_legacy` before `amount_net`) and regions, for the offline
  Genie's reading of space configs.
- `build_orders_shop`: orders (in `sales` and `main`) and customers; `rows` keeps the first n orders.
- `build_typed_orders_shop`: orders with a column of every type the comparator reads, and tied scores.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import duckdb

from genie_enhance.benchmarks import Benchmark

ORDERS = "shop.sales.orders"
CUSTOMERS = "shop.sales.customers"
REGIONS = "shop.sales.regions"


# ---------------------------------------------------------------------------------------------- validation
def build_validation_shop(path: Path) -> Path:
    """A small real DuckDB warehouse: schema `sales` with `customers` and `orders`."""
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA sales")
    con.execute("CREATE TABLE sales.customers (customer_id INTEGER, name VARCHAR, region VARCHAR)")
    con.execute(
        "CREATE TABLE sales.orders (order_id INTEGER, customer_id INTEGER, amount DECIMAL(10,2), order_date DATE)"
    )
    con.execute("INSERT INTO sales.customers VALUES (1, 'Ann', 'EU'), (2, 'Bo', 'US')")
    con.execute("INSERT INTO sales.orders VALUES (10, 1, 120.5, DATE '2024-01-02'), (11, 2, 80, DATE '2024-02-03')")
    con.close()
    return path


# ---------------------------------------------------------------------------------------------- scoring
SCORING_SPACE = {
    "version": 2,
    "data_sources": {
        "tables": [
            {"identifier": "shop.sales.customers", "description": ["Customers"]},
            {
                "identifier": "shop.sales.orders",
                "description": ["Orders placed by customers"],
                "column_configs": [
                    {"column_name": "amount", "synonyms": ["revenue", "sales"]},
                    {"column_name": "region", "enable_entity_matching": True, "enable_format_assistance": True},
                ],
            },
        ]
    },
    "instructions": {
        "join_specs": [
            {
                "id": "0" * 31 + "1",
                "left": {"identifier": "shop.sales.orders", "alias": "orders"},
                "right": {"identifier": "shop.sales.customers", "alias": "customers"},
                "sql": ["orders.customer_id = customers.customer_id", "--rt=FROM_RELATIONSHIP_TYPE_MANY_TO_ONE--"],
            }
        ]
    },
}


def build_scoring_shop(directory: Path) -> tuple[Path, Path]:
    """A small DuckDB warehouse (schema `sales`, attached as catalog `shop`) and a space file over it."""
    warehouse = directory / "shop_warehouse.duckdb"
    con = duckdb.connect(str(warehouse))
    con.execute("CREATE SCHEMA sales")
    con.execute(
        "CREATE TABLE sales.customers AS SELECT i AS customer_id, 'Customer ' || i AS customer_name, "
        "CASE i % 3 WHEN 0 THEN 'Retail' WHEN 1 THEN 'Wholesale' ELSE 'Online' END AS segment FROM range(1, 21) t(i)"
    )
    con.execute(
        "CREATE TABLE sales.orders AS SELECT i AS order_id, 1 + (i % 20) AS customer_id, "
        "CASE i % 4 WHEN 0 THEN 'North' WHEN 1 THEN 'South' WHEN 2 THEN 'East' ELSE 'West' END AS region, "
        "CAST(10 + (i * 37) % 500 AS DECIMAL(10, 2)) AS amount, "
        "DATE '2022-01-01' + CAST(i * 3 AS INTEGER) AS order_date "
        "FROM range(1, 301) t(i)"
    )
    con.close()
    space = directory / "shop_space.json"
    space.write_text(json.dumps(SCORING_SPACE, indent=2), encoding="utf-8")
    return warehouse, space


def bench(question: str, sql: str, line: int = 1) -> Benchmark:
    return Benchmark(question=question, expected_sql=sql, source=f"test.md:{line}")


MIXED = [
    bench("How many orders are there?", "SELECT COUNT(*) FROM shop.sales.orders", 1),
    bench("What is the total amount by region?",
          "SELECT region, SUM(amount) FROM shop.sales.orders GROUP BY region", 2),
    # the question asks one thing, the benchmark SQL another: a wrong result
    bench("How many customers are there?",
          "SELECT COUNT(DISTINCT customer_id) FROM shop.sales.orders WHERE region = 'North'", 3),
    bench("What is the weather on Mars?", "SELECT COUNT(*) FROM shop.sales.orders", 4),  # no SQL from Genie
    bench("How many orders were placed in 2023?",
          "SELECT COUNT(*) FROM shop.sales.orders WHERE shipped_year = 2023", 5),  # broken benchmark
]


# ---------------------------------------------------------------------------------------------- proposers
def build_proposers_shop(path: Path) -> Path:
    """30 customers and 200 orders with abbreviated (`amt_usd`, `disc_usd`), coded (`stat_cd`) and mixed-case
    (`region`) columns; customers → orders is one-to-many."""
    con = duckdb.connect(str(path))
    try:
        con.execute("CREATE SCHEMA sales")
        con.execute("CREATE TABLE sales.customers (cust_id INTEGER, cust_nm VARCHAR, region VARCHAR, tier_cd VARCHAR)")
        con.execute(
            "CREATE TABLE sales.orders (ord_id INTEGER, cust_id INTEGER, ord_dt DATE, amt_usd DECIMAL(10,2), "
            "disc_usd DECIMAL(10,2), stat_cd VARCHAR)"
        )
        regions, tiers = ["Nordics", "Benelux", "Iberia"], ["GLD", "SLV", "BRZ"]
        con.executemany(
            "INSERT INTO sales.customers VALUES (?, ?, ?, ?)",
            [[i, f"Customer {i:02d}", regions[i % 3], tiers[(i // 3) % 3]] for i in range(1, 31)],
        )
        con.executemany(
            "INSERT INTO sales.orders VALUES (?, ?, DATE '2024-01-01' + ?, ?, ?, ?)",
            [[j, (j * 7) % 30 + 1, (j * 3) % 700, 10 + (j * 37) % 900, (j * 13) % 50, "RET" if j % 9 == 0 else "OK"]
             for j in range(1, 201)],
        )
    finally:
        con.close()
    return path


# ---------------------------------------------------------------------------------------------- offline Genie
GENIE_CUSTOMER_ROWS = [
    (1, "Ann Lee", "SEOUL", "ENT", "2023-01-05", 1),
    (2, "Bo Kim", "BUSAN", "SMB", "2023-06-10", 1),
    (3, "Cy Park", "SEOUL", "SMB", "2024-02-01", 1),
    (4, "Di Choi", "INCHEON", "ENT", "2024-03-15", 2),
    (5, "Ed Yoon", "BUSAN", "CON", "2024-07-20", 2),
    (6, "Fay Han", "JEJU", "CON", "2023-11-11", 3),
    (7, "Gus Oh", "SEOUL", "SMB", "2024-09-09", 1),
]


def _genie_order_rows() -> list[tuple[Any, ...]]:
    """48 orders every 15 days over 2023–2024; customer 7 only orders in 2024 (so yearly answers differ)."""
    start = dt.date(2023, 1, 3)
    rows = []
    for i in range(1, 49):
        customer = (i * 5) % (6 if i <= 24 else 7) + 1
        status = ["SHP", "CNL", "PND", "SHP", "SHP"][i % 5]
        day = start + dt.timedelta(days=i * 15)
        rows.append((i, customer, day, status, float((i * 13) % 50 + 1), float((i * 37) % 400 + 10), float(i % 7)))
    return rows


def build_genie_shop(path: Path) -> Path:
    """`shop.duckdb` with schema `sales`: customers, orders (a decoy `amount_legacy` before `amount_net`), regions."""
    con = duckdb.connect(str(path))
    try:
        con.execute("CREATE SCHEMA sales")
        con.execute(
            "CREATE TABLE sales.customers(cust_id INTEGER, cust_nm VARCHAR, city VARCHAR, seg VARCHAR, "
            "signup_dt DATE, region_id INTEGER)"
        )
        con.executemany("INSERT INTO sales.customers VALUES (?, ?, ?, ?, ?, ?)", GENIE_CUSTOMER_ROWS)
        con.execute(
            "CREATE TABLE sales.orders(ord_id INTEGER, cust_id INTEGER, ord_dt DATE, stat VARCHAR, "
            "amount_legacy DOUBLE, amount_net DOUBLE, disc DOUBLE)"
        )
        con.executemany("INSERT INTO sales.orders VALUES (?, ?, ?, ?, ?, ?, ?)", _genie_order_rows())
        con.execute("CREATE TABLE sales.regions(region_id INTEGER, region_nm VARCHAR)")
        con.executemany("INSERT INTO sales.regions VALUES (?, ?)", [(1, "North"), (2, "South"), (3, "Island")])
    finally:
        con.close()
    return path


# ---------------------------------------------------------------------------------------------- comparator
ORDER_ROWS = [
    (1, 1, "EMEA", 10.5, "2024-01-03"), (2, 2, "APAC", 20.0, "2024-01-20"), (3, 1, "EMEA", 30.25, "2024-02-01"),
    (4, None, "AMER", 12.0, "2024-02-11"), (5, 3, "APAC", 20.0, "2024-03-05"),
]


def build_orders_shop(path: Path, rows: int = len(ORDER_ROWS)) -> Path:
    """`sales.orders` (the first `rows` of `ORDER_ROWS`; the same rows in `main.orders`) and `sales.customers`."""
    con = duckdb.connect(str(path))
    for schema in ("sales", "main"):
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        con.execute(f"CREATE TABLE {schema}.orders (id INTEGER, customer_id INTEGER, region VARCHAR, amount DOUBLE, "
                    "day DATE)")
        con.executemany(f"INSERT INTO {schema}.orders VALUES (?, ?, ?, ?, ?)", ORDER_ROWS[:rows])
    con.execute("CREATE TABLE sales.customers (id INTEGER, name VARCHAR)")
    con.execute("INSERT INTO sales.customers VALUES (1, 'ann'), (2, 'bob'), (3, 'cat')")
    con.close()
    return path


TYPED_ORDER_ROWS = [
    (1, "EMEA", "100.50", 2, 10.5, "2024-01-01", "2024-01-01 00:00:00", "a"),
    (2, "APAC", "200.00", 1, 20.25, "2024-01-02", "2024-01-02 10:00:00", None),
    (3, "EMEA", "300.00", 5, 30.0, "2024-01-03", "2024-01-03 00:00:00", "c"),
    (4, "AMER", "300.00", 3, 40.0, "2024-01-04", "2024-01-04 00:00:00", None),
    (5, "AMER", "50.00", 2, 50.5, "2024-01-05", "2024-01-05 00:00:00", "e"),
    (6, "APAC", "75.00", 2, 60.0, "2024-01-06", "2024-01-06 00:00:00", "f"),
]
SCORE_ROWS = [("ann", 90), ("bob", 85), ("cat", 80), ("dan", 80), ("eve", 70), ("fay", 60)]


def build_typed_orders_shop(path: Path) -> Path:
    """`sales.orders` with decimal, integer, double, date, timestamp and nullable text columns; `sales.scores`
    with ties (for ranking questions)."""
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA sales")
    con.execute("CREATE TABLE sales.orders (id INTEGER, region VARCHAR, amount DECIMAL(10,2), qty INTEGER, "
                "price DOUBLE, day DATE, ts TIMESTAMP, note VARCHAR)")
    con.executemany("INSERT INTO sales.orders VALUES (?, ?, ?, ?, ?, ?, ?, ?)", TYPED_ORDER_ROWS)
    con.execute("CREATE TABLE sales.scores (name VARCHAR, score INTEGER)")
    con.executemany("INSERT INTO sales.scores VALUES (?, ?)", SCORE_ROWS)
    con.close()
    return path
