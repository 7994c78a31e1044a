"""A DuckDB file as a read-only SQL warehouse speaking Databricks SQL.

The file is attached READ_ONLY under the catalog name the space's three-part identifiers use, external access
is switched off, and every statement passes the read-only check and is transpiled Databricks → DuckDB by sqlglot
before it runs. One parent connection per warehouse; each call uses its own cursor, so calls are thread-safe.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from genie_enhance.core.catalog import Catalog
from genie_enhance.core.protocols import ResultSet
from genie_enhance.errors import SqlExecutionError
from genie_enhance.sql import to_duckdb


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class DuckDBWarehouse:
    """`Warehouse` over a DuckDB file; `catalog` defaults to the file stem."""

    def __init__(self, path: str | Path, catalog: str | None = None, *, timeout_s: float | None = 60.0) -> None:
        self.path = Path(path)
        if not self.path.exists():
            raise FileNotFoundError(f"warehouse file not found: {self.path}")
        self.catalog_name = catalog or self.path.stem
        self.timeout_s = timeout_s
        self._con = duckdb.connect(":memory:")
        self._con.execute(f"ATTACH {duckdb_literal(str(self.path))} AS {_quote(self.catalog_name)} (READ_ONLY)")
        self._con.execute(f"USE {_quote(self.catalog_name)}")
        self._con.execute("SET enable_external_access = false")
        self._lock = threading.Lock()

    def close(self) -> None:
        self._con.close()

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        with self._lock:
            cur = self._con.cursor()
        cur.execute(f"USE {_quote(self.catalog_name)}")  # cursors do not inherit the parent's USE
        return cur

    @contextmanager
    def _relation(self, duck_sql: str, sql: str) -> Iterator[duckdb.DuckDBPyRelation]:
        """The relation of one statement on its own cursor, interrupted after `timeout_s`; whatever fails inside
        the block (running or fetching) becomes the `SqlExecutionError` of `_failure`."""
        cur = self._cursor()
        timer = threading.Timer(self.timeout_s, cur.interrupt) if self.timeout_s else None
        try:
            if timer:
                timer.start()
            rel = cur.sql(duck_sql)
            if rel is None:
                raise self._failure("NO_RESULT", "statement returned no result set", sql)
            yield rel
        except duckdb.InterruptException as exc:
            raise self._failure("TIMEOUT", f"query timed out after {self.timeout_s}s", sql) from exc
        except duckdb.Error as exc:
            raise self._failure(type(exc).__name__, str(exc).splitlines()[0], sql) from exc
        finally:
            if timer:
                timer.cancel()
            cur.close()

    def _failure(self, kind: str, message: str, sql: str) -> SqlExecutionError:
        """The error of a failed statement; `kind` is NO_RESULT, TIMEOUT or the DuckDB exception class name."""
        return SqlExecutionError(message, sql=sql, sql_state=None if kind == "NO_RESULT" else kind)

    def execute(self, sql: str, limit: int | None = None) -> ResultSet:
        duck_sql = to_duckdb(sql)  # raises ReadOnlySqlError / SqlParseError before anything runs
        with self._relation(duck_sql, sql) as rel:
            types = [str(t) for t in rel.types]
            frame = (rel.limit(limit + 1) if limit is not None else rel).df()
        truncated = limit is not None and len(frame) > limit
        if truncated:
            frame = frame.iloc[:limit]
        return ResultSet.from_frame(frame, types, truncated=truncated)

    def catalog(self, identifiers: Iterable[str] | None = None) -> Catalog:
        cur = self._cursor()
        try:
            rows = cur.execute(
                "SELECT table_schema, table_name, column_name, data_type FROM information_schema.columns "
                "WHERE table_catalog = ? ORDER BY table_schema, table_name, ordinal_position",
                [self.catalog_name],
            ).fetchall()
        finally:
            cur.close()
        wanted = {i.lower() for i in identifiers} if identifiers is not None else None
        catalog = Catalog()
        for schema, table, column, dtype in rows:
            ident = f"{self.catalog_name}.{schema}.{table}".lower()
            if wanted is not None and ident not in wanted:
                continue
            catalog.tables.setdefault(ident, {})[column.lower()] = dtype
        return catalog

    def distinct_values(self, identifier: str, column: str, limit: int = 1024) -> list[str]:
        parts = identifier.split(".")
        table = ".".join(_quote(p) for p in parts)
        cur = self._cursor()
        try:
            rows = cur.execute(
                f"SELECT CAST({_quote(column)} AS VARCHAR) AS v FROM {table} "
                f"WHERE {_quote(column)} IS NOT NULL GROUP BY v ORDER BY COUNT(*) DESC, v LIMIT {int(limit)}"
            ).fetchall()
        except duckdb.Error as exc:
            raise SqlExecutionError(str(exc).splitlines()[0]) from exc
        finally:
            cur.close()
        return [r[0] for r in rows]


def duckdb_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
