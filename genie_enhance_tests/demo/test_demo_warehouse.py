"""The demo warehouse: deterministic, the expected schemas/tables/sizes, and internally consistent data."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import duckdb
import pytest

from genie_enhance.demo.warehouse import CATALOG, REFERENCE_DATE, SCHEMAS, build_demo_warehouse, demo_table_identifiers

ROW_RANGES = {
    "commerce.regions": (3, 10),
    "commerce.customers": (2_000, 5_000),
    "commerce.products": (200, 1_000),
    "commerce.orders": (20_000, 40_000),
    "commerce.order_items": (50_000, 100_000),
    "community.channels": (15, 40),
    "community.members": (1_500, 5_000),
    "community.messages": (50_000, 100_000),
    "community.reactions": (50_000, 120_000),
}


def fingerprint(path: Path) -> dict[str, str]:
    """Per table: md5 of every row rendered as text, in primary-key order (first column)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        out = {}
        for schema, tables in SCHEMAS.items():
            for table, columns in tables.items():
                key = next(iter(columns))
                text = con.execute(
                    f"SELECT string_agg(CAST(t AS VARCHAR), '\n' ORDER BY {key}) FROM {schema}.{table} AS t"
                ).fetchone()[0]
                out[f"{schema}.{table}"] = hashlib.md5(text.encode()).hexdigest()
        return out
    finally:
        con.close()


def test_build_is_deterministic_and_seed_dependent(demo_db: Path, tmp_path: Path) -> None:
    again = build_demo_warehouse(tmp_path / "again")
    other = build_demo_warehouse(tmp_path / "other", seed=7)
    first = fingerprint(demo_db)
    assert fingerprint(again) == first
    changed = fingerprint(other)
    assert changed["commerce.orders"] != first["commerce.orders"]
    assert changed["community.messages"] != first["community.messages"]


def test_build_is_fast_and_replaces_atomically(tmp_path: Path) -> None:
    target = tmp_path / "demo.duckdb"
    target.write_bytes(b"stale")
    started = time.perf_counter()
    path = build_demo_warehouse(tmp_path)
    assert time.perf_counter() - started < 15
    assert path == target
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo.duckdb"]  # no temp files left behind
    con = duckdb.connect(str(path), read_only=True)
    assert con.execute("SELECT COUNT(*) FROM commerce.regions").fetchone()[0] > 0
    con.close()


def test_schemas_tables_and_row_counts(demo_warehouse) -> None:
    catalog = demo_warehouse.catalog()
    assert sorted(catalog.tables) == demo_table_identifiers()
    assert all(i.startswith(f"{CATALOG}.commerce.") or i.startswith(f"{CATALOG}.community.") for i in catalog.tables)
    for name, (low, high) in ROW_RANGES.items():
        count = demo_warehouse.execute(f"SELECT COUNT(*) FROM {CATALOG}.{name}").rows[0][0]
        assert low <= count <= high, f"{name}: {count} rows"
    assert catalog.columns("demo.commerce.orders")["gross_amt_usd"] == "DECIMAL(12,2)"
    assert catalog.columns("demo.community.messages")["created_ts"] == "TIMESTAMP"


@pytest.mark.parametrize(
    "sql",
    [
        # referential integrity
        "SELECT COUNT(*) FROM demo.commerce.orders o LEFT JOIN demo.commerce.customers c ON o.cust_id = c.cust_id WHERE c.cust_id IS NULL",
        "SELECT COUNT(*) FROM demo.commerce.order_items i LEFT JOIN demo.commerce.products p ON i.prod_id = p.prod_id WHERE p.prod_id IS NULL",
        "SELECT COUNT(*) FROM demo.community.reactions r LEFT JOIN demo.community.messages m ON r.msg_id = m.msg_id WHERE m.msg_id IS NULL",
        "SELECT COUNT(*) FROM demo.community.messages m LEFT JOIN demo.community.messages p ON m.parent_msg_id = p.msg_id "
        "WHERE m.parent_msg_id IS NOT NULL AND (p.msg_id IS NULL OR p.chan_id <> m.chan_id OR p.created_ts > m.created_ts)",
        # gross amount is the sum of the order's lines; discounts never exceed it
        "SELECT COUNT(*) FROM demo.commerce.orders o JOIN (SELECT ord_id, SUM(qty * unit_prc_usd) AS s "
        "FROM demo.commerce.order_items GROUP BY ord_id) l ON o.ord_id = l.ord_id WHERE o.gross_amt_usd <> l.s",
        "SELECT COUNT(*) FROM demo.commerce.orders WHERE disc_amt_usd < 0 OR disc_amt_usd > gross_amt_usd",
        # events happen after their actor appeared, and not after the reference date
        "SELECT COUNT(*) FROM demo.commerce.orders o JOIN demo.commerce.customers c ON o.cust_id = c.cust_id "
        "WHERE CAST(o.ord_ts AS DATE) < c.signup_dt OR CAST(o.ord_ts AS DATE) > DATE '2025-06-30'",
        "SELECT COUNT(*) FROM demo.community.messages m JOIN demo.community.members u ON m.mbr_id = u.mbr_id "
        "WHERE CAST(m.created_ts AS DATE) < u.joined_dt OR m.edited_ts < m.created_ts",
        "SELECT COUNT(*) FROM demo.community.reactions r JOIN demo.community.messages m ON r.msg_id = m.msg_id "
        "WHERE r.rxn_ts < m.created_ts OR CAST(r.rxn_ts AS DATE) > DATE '2025-06-30'",
        # shipped orders have a ship date after the order; cancelled and pending ones have none
        "SELECT COUNT(*) FROM demo.commerce.orders WHERE (ord_stat_cd IN ('CNL', 'PND')) <> (ship_dt IS NULL) "
        "OR ship_dt <= CAST(ord_ts AS DATE)",
    ],
)
def test_data_is_consistent(demo_warehouse, sql: str) -> None:
    assert demo_warehouse.execute(sql).rows == [(0,)]


def test_entity_values_and_ambiguity_are_present(demo_warehouse) -> None:
    """Stored categorical forms differ from casual usage, and the two-dates / two-amounts ambiguity is real."""
    run = lambda sql: demo_warehouse.execute(sql).rows  # noqa: E731
    assert ("NORTH AMERICA",) in run("SELECT DISTINCT rgn_nm FROM demo.commerce.regions")
    assert ("ELECTRONICS",) in run("SELECT DISTINCT prod_cat FROM demo.commerce.products")
    assert ("help-desk",) in run("SELECT chan_nm FROM demo.community.channels")
    assert sorted(run("SELECT DISTINCT seg_cd FROM demo.commerce.customers")) == [("CON",), ("ENT",), ("SMB",)]
    by_order, by_ship = run(
        "SELECT COUNT(*) FILTER (WHERE YEAR(ord_ts) = 2024), COUNT(*) FILTER (WHERE YEAR(ship_dt) = 2024) "
        "FROM demo.commerce.orders"
    )[0]
    assert by_order != by_ship
    gross, net = run("SELECT SUM(gross_amt_usd), SUM(gross_amt_usd - disc_amt_usd) FROM demo.commerce.orders")[0]
    assert net < gross
    last = run("SELECT MAX(CAST(created_ts AS DATE)) FROM demo.community.messages")[0][0]
    assert str(last)[:10] == REFERENCE_DATE.isoformat()
