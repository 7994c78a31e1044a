"""Statement execution for the emulator: DuckDB results as the Statement Execution API returns them.

The emulator's warehouse is the local `DuckDBWarehouse` (same READ_ONLY attach, read-only check and Databricks →
DuckDB transpilation) extended to hand back *native* values, because a pandas frame would turn DECIMAL into
float and nullable INT into float. Results become a manifest with Databricks type names, JSON_ARRAY cells (all
strings, NULL as null) and fixed-size chunks. `<catalog>.information_schema.*` (one per Unity Catalog catalog)
is mapped onto DuckDB's single `information_schema`; queries filter on `table_catalog` to stay equivalent.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import math
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlglot import exp

from genie_enhance.backends.local.warehouse import DuckDBWarehouse
from genie_enhance.core.required import required
from genie_enhance.errors import ReadOnlySqlError, SqlExecutionError, SqlParseError
from genie_enhance.sql import DIALECT, ensure_read_only, to_duckdb

SIMPLE_TYPES = {
    "BOOLEAN": ("BOOLEAN", "BOOLEAN"),
    "TINYINT": ("BYTE", "TINYINT"),
    "SMALLINT": ("SHORT", "SMALLINT"),
    "INTEGER": ("INT", "INT"),
    "BIGINT": ("LONG", "BIGINT"),
    "UTINYINT": ("SHORT", "SMALLINT"),
    "USMALLINT": ("INT", "INT"),
    "UINTEGER": ("LONG", "BIGINT"),
    "UBIGINT": ("DECIMAL", "DECIMAL(20,0)"),
    "HUGEINT": ("DECIMAL", "DECIMAL(38,0)"),
    "UHUGEINT": ("DECIMAL", "DECIMAL(38,0)"),
    "FLOAT": ("FLOAT", "FLOAT"),
    "DOUBLE": ("DOUBLE", "DOUBLE"),
    "DATE": ("DATE", "DATE"),
    "TIMESTAMP": ("TIMESTAMP_NTZ", "TIMESTAMP_NTZ"),
    "TIMESTAMP_S": ("TIMESTAMP_NTZ", "TIMESTAMP_NTZ"),
    "TIMESTAMP_MS": ("TIMESTAMP_NTZ", "TIMESTAMP_NTZ"),
    "TIMESTAMP_NS": ("TIMESTAMP_NTZ", "TIMESTAMP_NTZ"),
    "TIMESTAMP WITH TIME ZONE": ("TIMESTAMP", "TIMESTAMP"),
    "VARCHAR": ("STRING", "STRING"),
    "UUID": ("STRING", "STRING"),
    "TIME": ("STRING", "STRING"),
    "BLOB": ("BINARY", "BINARY"),
    "INTERVAL": ("INTERVAL", "INTERVAL"),
    '"NULL"': ("NULL", "VOID"),
}
_DECIMAL = re.compile(r"^DECIMAL\((\d+),\s*(\d+)\)$")
# SQL states (ANSI / Databricks) of the DuckDB error classes a generated query typically hits.
SQL_STATES = {
    "ParserException": "42601",
    "SqlParseError": "42601",
    "CatalogException": "42P01",
    "BinderException": "42703",
    "ConversionException": "22018",
    "OutOfRangeException": "22003",
    "InvalidInputException": "22023",
    "ReadOnlySqlError": "42000",
    "TIMEOUT": "57014",
}


def databricks_type(duck_type: str) -> dict[str, Any]:
    """The manifest entry (`type_name`, `type_text`, precision/scale) for a DuckDB result type."""
    upper = duck_type.upper()
    match = _DECIMAL.match(upper)
    if match:
        p, s = int(match[1]), int(match[2])
        return {"type_name": "DECIMAL", "type_text": f"DECIMAL({p},{s})", "type_precision": p, "type_scale": s}
    if upper in SIMPLE_TYPES:
        name, text = SIMPLE_TYPES[upper]
        out: dict[str, Any] = {"type_name": name, "type_text": text}
        if text.startswith("DECIMAL("):
            precision, scale = required(_DECIMAL.match(text), f"the precision of {text}").groups()
            out.update(type_precision=int(precision), type_scale=int(scale))
        return out
    if upper.endswith("[]") or re.search(r"\[\d+\]$", upper):
        return {"type_name": "ARRAY", "type_text": "ARRAY"}
    for kind in ("STRUCT", "MAP"):
        if upper.startswith(kind):
            return {"type_name": kind, "type_text": kind}
    return {"type_name": "STRING", "type_text": "STRING"}


def render(value: Any) -> str | None:
    """One JSON_ARRAY cell: every value as the string Databricks would send (NULL stays null)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return repr(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"
        return value.isoformat(timespec="microseconds")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(value, default=str)
    return str(value)


@dataclass
class Tabular:
    """A native DuckDB result: column names, DuckDB type names and rows."""

    names: list[str]
    duck_types: list[str]
    rows: list[tuple[Any, ...]]
    truncated: bool = False


def _map_information_schema(sql: str) -> str:
    """`cat.information_schema.t` → `information_schema.t` (DuckDB has one, spanning every attached catalog)."""
    tree = ensure_read_only(sql)
    for table in tree.find_all(exp.Table):
        if table.db.lower() == "information_schema" and table.catalog:
            table.set("catalog", None)
    return tree.sql(dialect=DIALECT)


class EmulatorWarehouse(DuckDBWarehouse):
    """`DuckDBWarehouse` that also returns native values and Databricks-style errors."""

    def run(self, sql: str, limit: int | None = None) -> Tabular:
        """Run one read-only statement; at most `limit` rows (flagging `truncated` when there were more)."""
        with self._relation(self._transpile(sql), sql) as rel:
            names, types = list(rel.columns), [str(t) for t in rel.types]
            rows = (rel.limit(limit + 1) if limit is not None else rel).fetchall()
        truncated = limit is not None and len(rows) > limit
        return Tabular(names, types, rows[:limit] if limit is not None else rows, truncated)

    def _failure(self, kind: str, message: str, sql: str) -> SqlExecutionError:
        """Databricks-style: a SQLSTATE, and the error class in the message."""
        if kind == "NO_RESULT":
            return SqlExecutionError(message, sql=sql, sql_state="42000")
        if kind == "TIMEOUT":
            return SqlExecutionError(message, sql=sql, sql_state=SQL_STATES["TIMEOUT"])
        return SqlExecutionError(f"[{kind}] {message}", sql=sql, sql_state=SQL_STATES.get(kind, "XX000"))

    def _transpile(self, sql: str) -> str:
        try:
            return to_duckdb(_map_information_schema(sql))
        except (ReadOnlySqlError, SqlParseError) as exc:
            raise SqlExecutionError(str(exc), sql=sql, sql_state=SQL_STATES[type(exc).__name__]) from exc


@dataclass
class StatementRecord:
    """One executed statement: its state, manifest, chunks and how many polls it still pretends to run."""

    statement_id: str
    state: str
    columns: list[dict[str, Any]] = field(default_factory=list)
    chunks: list[list[list[str | None]]] = field(default_factory=list)
    total_rows: int = 0
    truncated: bool = False
    error: dict[str, str] | None = None
    sql_state: str | None = None
    pending_polls: int = 0

    @classmethod
    def succeeded(cls, statement_id: str, result: Tabular, chunk_rows: int) -> StatementRecord:
        columns = [{"name": n, "position": i, **databricks_type(t)}
                   for i, (n, t) in enumerate(zip(result.names, result.duck_types))]
        cells = [[render(v) for v in row] for row in result.rows]
        chunks = [cells[i:i + chunk_rows] for i in range(0, len(cells), chunk_rows)]
        return cls(statement_id, "SUCCEEDED", columns, chunks, len(cells), result.truncated)

    @classmethod
    def failed(cls, statement_id: str, exc: SqlExecutionError) -> StatementRecord:
        return cls(statement_id, "FAILED", error={"error_code": "BAD_REQUEST", "message": str(exc)}, sql_state=exc.sql_state)

    def status(self) -> dict[str, Any]:
        if self.pending_polls > 0:
            return {"state": "RUNNING"}
        out: dict[str, Any] = {"state": self.state}
        if self.error:
            out["error"] = self.error
        if self.sql_state:
            out["sql_state"] = self.sql_state
        return out

    def response(self) -> dict[str, Any]:
        """The StatementResponse: status, and for a finished success the manifest and the first chunk."""
        out: dict[str, Any] = {"statement_id": self.statement_id, "status": self.status()}
        if self.pending_polls > 0 or self.state != "SUCCEEDED":
            return out
        out["manifest"] = self.manifest()
        if self.chunks:
            out["result"] = self.chunk(0)
        return out

    def manifest(self) -> dict[str, Any]:
        offsets = [sum(len(c) for c in self.chunks[:i]) for i in range(len(self.chunks))]
        return {
            "format": "JSON_ARRAY",
            "schema": {"column_count": len(self.columns), "columns": self.columns},
            "total_row_count": self.total_rows,
            "total_chunk_count": len(self.chunks),
            "chunks": [{"chunk_index": i, "row_offset": offsets[i], "row_count": len(c)} for i, c in enumerate(self.chunks)],
            "truncated": self.truncated,
        }

    def chunk(self, index: int) -> dict[str, Any]:
        data = self.chunks[index]
        out: dict[str, Any] = {
            "chunk_index": index,
            "row_offset": sum(len(c) for c in self.chunks[:index]),
            "row_count": len(data),
            "data_array": data,
        }
        if index + 1 < len(self.chunks):
            out["next_chunk_index"] = index + 1
            out["next_chunk_internal_link"] = f"/api/2.0/sql/statements/{self.statement_id}/result/chunks/{index + 1}"
        return out
