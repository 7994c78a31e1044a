"""Build the demo warehouse: one DuckDB file with schemas `commerce` and `community`.

Attached under its file stem (`demo.duckdb` → catalog `demo`), the tables are `demo.commerce.<table>` and
`demo.community.<table>`, which is what the demo space configs and benchmarks reference. The data is a pure
function of the seed (numpy `default_rng`, fixed reference dates, exact DECIMAL money), so every build answers
every query identically; the file is written to a temporary name and renamed, so readers never see half a build.
"""

from __future__ import annotations

import os
import tempfile
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from genie_enhance.demo import commerce_data, community_data

DEFAULT_SEED = 20250630
WAREHOUSE_FILE = "demo.duckdb"
CATALOG = "demo"
#: The "today" of the demo data: both domains end on this day, and relative business terms use it.
REFERENCE_DATE = date(2025, 6, 30)

#: schema → (table → {column: DuckDB type}); the shape every build has.
SCHEMAS: dict[str, dict[str, dict[str, str]]] = {
    "commerce": commerce_data.SCHEMA,
    "community": community_data.SCHEMA,
}


def demo_table_identifiers() -> list[str]:
    """Every demo table as a three-part identifier, sorted."""
    return sorted(f"{CATALOG}.{schema}.{table}" for schema, tables in SCHEMAS.items() for table in tables)


def generate_tables(seed: int = DEFAULT_SEED) -> dict[str, dict[str, pd.DataFrame]]:
    """schema → table → DataFrame. Each domain has its own stream, so changing one leaves the other intact."""
    return {
        "commerce": commerce_data.generate_commerce(np.random.default_rng([seed, 1])),
        "community": community_data.generate_community(np.random.default_rng([seed, 2])),
    }


def _load(con: duckdb.DuckDBPyConnection, schema: str, table: str, columns: dict[str, str], frame: pd.DataFrame) -> None:
    ddl = ", ".join(f"{name} {dtype}" for name, dtype in columns.items())
    con.execute(f"CREATE TABLE {schema}.{table} ({ddl})")
    con.register("_src", frame[list(columns)])
    try:
        select = ", ".join(f"CAST({name} AS {dtype})" for name, dtype in columns.items())
        con.execute(f"INSERT INTO {schema}.{table} SELECT {select} FROM _src")
    finally:
        con.unregister("_src")


def write_warehouse(path: Path, tables: dict[str, dict[str, pd.DataFrame]]) -> None:
    """Create a fresh DuckDB file at `path` holding `tables` with the declared column types."""
    con = duckdb.connect(str(path))
    try:
        for schema, schema_tables in SCHEMAS.items():
            con.execute(f"CREATE SCHEMA {schema}")
            for table, columns in schema_tables.items():
                _load(con, schema, table, columns, tables[schema][table])
        con.execute("CHECKPOINT")
    finally:
        con.close()


def build_demo_warehouse(out_dir: str | Path, seed: int = DEFAULT_SEED) -> Path:
    """Write `out_dir/demo.duckdb` (replacing any previous one atomically) and return its path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / WAREHOUSE_FILE
    tables = generate_tables(seed)
    fd, tmp_name = tempfile.mkstemp(prefix=".demo-", suffix=".duckdb", dir=out_dir)
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()  # DuckDB wants to create the file itself
    try:
        write_warehouse(tmp, tables)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
        Path(f"{tmp}.wal").unlink(missing_ok=True)
    return target
