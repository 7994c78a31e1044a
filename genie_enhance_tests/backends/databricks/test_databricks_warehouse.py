"""`DatabricksWarehouse` through the real `databricks-sdk` against the emulator: every chunk read, cells typed
from the manifest, SQL failures as `SqlExecutionError`, LIMIT 0, polling, read-only SQL only, catalog queries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import duckdb
import pytest
from databricks.sdk import WorkspaceClient
from databricks.sdk.service.sql import ColumnInfo

from genie_enhance.backends.databricks import DatabricksWarehouse
from genie_enhance.backends.databricks.types import convert_rows
from genie_enhance.emulator import Emulator, EmulatorOptions
from genie_enhance.errors import ReadOnlySqlError, SqlExecutionError
from genie_enhance_tests.support.emulator import CUSTOMERS, ORDER_ROWS, ORDERS, client_for

ALL_ORDERS = f"SELECT * FROM {ORDERS} ORDER BY order_id"


def warehouse(w: WorkspaceClient, emulator: Emulator, **kwargs) -> DatabricksWarehouse:
    kwargs.setdefault("poll_interval_s", 0.01)
    return DatabricksWarehouse(w, emulator.warehouse_id, **kwargs)


def test_all_chunks_are_read_and_typed_like_the_source(make_emulator, emulator_files) -> None:
    emulator = make_emulator(options=EmulatorOptions(chunk_rows=700))
    result = warehouse(client_for(emulator), emulator).execute(ALL_ORDERS)
    con = duckdb.connect(str(emulator_files.warehouse), read_only=True)
    try:
        expected = con.execute("SELECT * FROM sales.orders ORDER BY order_id").fetchall()
    finally:
        con.close()
    assert result.row_count == ORDER_ROWS and not result.truncated
    assert result.rows == expected  # int, Decimal, float, date, timestamp, bool, str and NULL all round-trip
    assert result.column_types == ["INT", "BIGINT", "DECIMAL(10,2)", "DOUBLE", "DATE", "TIMESTAMP_NTZ", "BOOLEAN", "STRING", "STRING"]
    assert [r.path.rsplit("/", 1)[-1] for r in emulator.requests("get-chunk")] == ["1", "2", "3"]


def test_cells_convert_by_manifest_type(sdk_client: WorkspaceClient, emulator: Emulator) -> None:
    result = warehouse(sdk_client, emulator).execute(
        "SELECT 7 AS i, CAST(NULL AS INT) AS n, CAST(1.25 AS DECIMAL(10,2)) AS d, 1.5D AS f, DATE'2024-02-29' AS dt, "
        "TIMESTAMP'2024-01-02 03:04:05.123' AS ts, CAST('2024-01-02 03:04:05' AS TIMESTAMP_NTZ) AS ntz, "
        "true AS b, 10000000000L AS l, CAST(NULL AS STRING) AS s"
    )
    (row,) = result.rows
    assert row[0] == 7 and row[1] is None and row[8] == 10_000_000_000 and row[9] is None
    assert isinstance(row[2], Decimal) and row[2] == Decimal("1.25")
    assert isinstance(row[3], float) and row[3] == 1.5
    assert row[4] == dt.date(2024, 2, 29)
    assert row[5] == dt.datetime(2024, 1, 2, 3, 4, 5, 123000, tzinfo=dt.UTC)  # TIMESTAMP is an instant
    assert row[6] == dt.datetime(2024, 1, 2, 3, 4, 5)  # TIMESTAMP_NTZ is not
    assert row[7] == True  # noqa: E712 - a numpy bool after pandas inference (the string "true" would fail)
    assert result.columns == ["i", "n", "d", "f", "dt", "ts", "ntz", "b", "l", "s"]


def test_convert_rows_handles_names_the_sdk_enum_lacks() -> None:
    columns = [
        ColumnInfo.from_dict({"name": "ts", "type_name": "TIMESTAMP_NTZ", "type_text": "TIMESTAMP_NTZ"}),
        ColumnInfo.from_dict({"name": "v", "type_name": "VARIANT", "type_text": "VARIANT"}),
        ColumnInfo.from_dict({"name": "d", "type_name": "DOUBLE", "type_text": "DOUBLE"}),
        ColumnInfo.from_dict({"name": "z", "type_name": "NULL", "type_text": "VOID"}),
    ]
    assert columns[0].type_name is None  # unknown to the enum: converted from type_text
    rows = convert_rows(columns, [["2024-05-06T07:08:09", '{"a":1}', "NaN", None], [None, None, "1.0E10", None]])
    assert rows[0][0] == dt.datetime(2024, 5, 6, 7, 8, 9) and rows[0][1] == '{"a":1}' and rows[0][2] != rows[0][2]
    assert rows[1] == (None, None, 1e10, None)
    with pytest.raises(ValueError, match="column 'd'"):
        convert_rows(columns, [[None, None, "not a number", None]])


def test_failed_statement_raises_with_sql_state(sdk_client: WorkspaceClient, emulator: Emulator) -> None:
    sql = f"SELECT no_such_column FROM {ORDERS}"
    with pytest.raises(SqlExecutionError, match="no_such_column") as caught:
        warehouse(sdk_client, emulator).execute(sql)
    assert caught.value.sql == sql and caught.value.sql_state == "42703"
    assert emulator.requests("execute-statement")[0].status == 200  # a SQL failure is not an HTTP error


def test_limit_zero_wraps_the_query_and_limit_n_asks_one_row_more(sdk_client: WorkspaceClient, emulator: Emulator) -> None:
    wh = warehouse(sdk_client, emulator)
    empty = wh.execute(ALL_ORDERS, limit=0)
    assert empty.row_count == 0 and empty.columns[:2] == ["order_id", "customer_id"] and not empty.truncated
    five = wh.execute(ALL_ORDERS, limit=5)
    assert [r[0] for r in five.rows] == [1, 2, 3, 4, 5] and five.truncated
    exact = wh.execute(f"SELECT * FROM {CUSTOMERS}", limit=5)
    assert exact.row_count == 5 and not exact.truncated
    bodies = [r.body for r in emulator.requests("execute-statement")]
    assert bodies[0]["statement"].endswith("LIMIT 0") and "row_limit" not in bodies[0]
    assert bodies[1]["row_limit"] == 6
    assert {(b["disposition"], b["format"]) for b in bodies} == {("INLINE", "JSON_ARRAY")}


@pytest.mark.parametrize("sql", [f"DELETE FROM {ORDERS}", f"SELECT 1; DROP TABLE {ORDERS}", f"CREATE TABLE x AS SELECT * FROM {ORDERS}"])
def test_non_read_only_sql_is_never_sent(sdk_client: WorkspaceClient, emulator: Emulator, sql: str) -> None:
    with pytest.raises(ReadOnlySqlError):
        warehouse(sdk_client, emulator).execute(sql)
    assert emulator.requests("execute-statement") == []


def test_pending_statement_is_polled_until_it_finishes(make_emulator) -> None:
    emulator = make_emulator(options=EmulatorOptions(statement_pending_polls=3))
    result = warehouse(client_for(emulator), emulator, wait_timeout="0s").execute(f"SELECT COUNT(*) FROM {ORDERS}")
    assert result.rows == [(ORDER_ROWS,)]
    assert len(emulator.requests("get-statement")) == 4  # RUNNING three times, then SUCCEEDED


def test_statement_past_the_timeout_is_cancelled(make_emulator) -> None:
    emulator = make_emulator(options=EmulatorOptions(statement_pending_polls=10_000))
    with pytest.raises(SqlExecutionError, match="did not finish") as caught:
        warehouse(client_for(emulator), emulator, timeout_s=0.2).execute(f"SELECT COUNT(*) FROM {ORDERS}")
    assert caught.value.sql_state == "TIMEOUT"
    assert len(emulator.requests("cancel-statement")) == 1


def test_catalog_and_distinct_values(sdk_client: WorkspaceClient, emulator: Emulator) -> None:
    named = warehouse(sdk_client, emulator).catalog([ORDERS])
    assert list(named.tables) == [ORDERS]
    assert named.columns(ORDERS)["amount"].startswith("DECIMAL") and named.has_column(ORDERS, "created_at")
    everything = warehouse(sdk_client, emulator).catalog()
    assert set(everything.tables) == {ORDERS, CUSTOMERS}
    from_source = warehouse(sdk_client, emulator, catalog_source=lambda: [CUSTOMERS]).catalog()
    assert list(from_source.tables) == [CUSTOMERS]
    # most frequent first (Seoul twice), ties alphabetically; the cap keeps the most frequent values
    assert warehouse(sdk_client, emulator).distinct_values(CUSTOMERS, "city") == ["Seoul", "Busan", "Incheon", "Jeju"]
    assert warehouse(sdk_client, emulator).distinct_values(ORDERS, "status", limit=2) == ["SHIPPED", "CANCELLED"]
