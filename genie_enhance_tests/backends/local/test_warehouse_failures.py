"""How a statement fails, for the local warehouse and the emulator's (one shared runner, two error styles):
a timeout interrupts the query, a DuckDB error keeps its class, Databricks-style SQLSTATEs in the emulator."""

from __future__ import annotations

from pathlib import Path

import pytest

from genie_enhance.backends.local.warehouse import DuckDBWarehouse
from genie_enhance.emulator.statements import SQL_STATES, EmulatorWarehouse
from genie_enhance.errors import SqlExecutionError

SLOW = "SELECT COUNT(*) FROM range(1000000000) AS a, range(1000) AS b"
MISSING = "SELECT nope FROM missing_table"


def _fail(warehouse, sql: str) -> SqlExecutionError:
    with pytest.raises(SqlExecutionError) as info:
        warehouse.run(sql) if isinstance(warehouse, EmulatorWarehouse) else warehouse.execute(sql)
    return info.value


def test_local_warehouse_timeout_and_duckdb_error(demo_db: Path) -> None:
    warehouse = DuckDBWarehouse(demo_db, timeout_s=0.2)
    try:
        timeout = _fail(warehouse, SLOW)
        assert timeout.sql_state == "TIMEOUT" and "timed out after 0.2s" in str(timeout)
        missing = _fail(warehouse, MISSING)
        assert missing.sql_state == "CatalogException" and "missing_table" in str(missing)
        assert warehouse.execute("SELECT 1").rows  # the warehouse still answers afterwards
    finally:
        warehouse.close()


def test_emulator_warehouse_speaks_databricks_sqlstates(demo_db: Path) -> None:
    warehouse = EmulatorWarehouse(demo_db, timeout_s=0.2)
    try:
        timeout = _fail(warehouse, SLOW)
        assert timeout.sql_state == SQL_STATES["TIMEOUT"] and "timed out" in str(timeout)
        missing = _fail(warehouse, MISSING)
        assert missing.sql_state == SQL_STATES["CatalogException"]
        assert str(missing).startswith("[CatalogException]")
    finally:
        warehouse.close()
