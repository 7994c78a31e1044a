"""A Databricks SQL warehouse through the Statement Execution API (`w.statement_execution`).

Every statement passes our read-only check before anything is sent. Results come back INLINE as JSON_ARRAY
(strings), in chunks: we read all of them (`next_chunk_index`) and convert cells with the manifest's column
types (`types.py`). A SQL failure is HTTP 200 with `status.state = FAILED`, raised as `SqlExecutionError` with
the warehouse's SQL state; an API failure (auth, throttling past the SDK's retry budget) is a
`DatabricksBackendError`, because it says nothing about the SQL.
"""

from __future__ import annotations

import re
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import DatabricksError
from databricks.sdk.service.sql import (
    Disposition,
    ExecuteStatementRequestOnWaitTimeout,
    Format,
    ResultData,
    StatementResponse,
    StatementState,
)
from sqlglot import exp

from genie_enhance.backends.databricks.client import workspace_host
from genie_enhance.backends.databricks.errors import backend_error
from genie_enhance.backends.databricks.types import convert_rows, type_label
from genie_enhance.core.catalog import Catalog
from genie_enhance.core.protocols import ResultSet
from genie_enhance.core.required import required
from genie_enhance.errors import SqlExecutionError
from genie_enhance.sql import DIALECT, ensure_read_only

_WAIT_TIMEOUT = re.compile(r"^(0|[5-9]|[1-4][0-9]|50)s$")
_IN_PROGRESS = (StatementState.PENDING, StatementState.RUNNING)
SDK_ERRORS = (DatabricksError, TimeoutError, OSError)  # OSError covers requests' connection errors


def limit_zero(sql: str) -> str:
    """`sql` wrapped so that it is planned and checked but returns no row (row_limit cannot be 0)."""
    body = sql.strip().rstrip(";").rstrip()
    return f"SELECT * FROM (\n{body}\n) AS limit_zero_check LIMIT 0"


class DatabricksWarehouse:
    """`Warehouse` over a SQL warehouse. `catalog_source` gives the table identifiers `catalog()` describes when
    called without any (e.g. the space's tables); without it, every catalog the identity can see is listed."""

    def __init__(
        self,
        w: WorkspaceClient,
        warehouse_id: str,
        *,
        wait_timeout: str = "30s",
        poll_interval_s: float = 1.0,
        max_poll_interval_s: float = 5.0,
        timeout_s: float = 300.0,
        catalog_source: Callable[[], Iterable[str]] | None = None,
    ) -> None:
        if not _WAIT_TIMEOUT.match(wait_timeout):
            raise ValueError(f"wait_timeout must be '0s' or between '5s' and '50s', got {wait_timeout!r}")
        self.w = w
        self.warehouse_id = warehouse_id
        self.wait_timeout = wait_timeout
        self.poll_interval_s = poll_interval_s
        self.max_poll_interval_s = max(max_poll_interval_s, poll_interval_s)
        self.timeout_s = timeout_s
        self.catalog_source = catalog_source

    # ------------------------------------------------------------------------------------------ execute
    def execute(self, sql: str, limit: int | None = None) -> ResultSet:
        ensure_read_only(sql)  # never send anything but one read-only query
        if limit is not None and limit < 0:
            raise ValueError(f"limit must be >= 0, got {limit}")
        statement = limit_zero(sql) if limit == 0 else sql
        response = self._finished(self._submit(statement, limit + 1 if limit else None), sql)
        manifest = response.manifest
        columns = list(manifest.schema.columns or []) if manifest and manifest.schema else []
        try:
            rows = convert_rows(columns, self._all_rows(response, sql))
        except ValueError as exc:
            raise SqlExecutionError(f"unexpected result value: {exc}", sql=sql, sql_state="RESULT_CONVERSION") from exc
        truncated = len(rows) > limit if limit is not None else bool(manifest and manifest.truncated)
        if limit is not None:
            rows = rows[:limit]
        result = ResultSet.from_rows([c.name or "" for c in columns], rows, [type_label(c) for c in columns])
        result.truncated = truncated
        return result

    def _submit(self, statement: str, row_limit: int | None) -> StatementResponse:
        try:
            return self.w.statement_execution.execute_statement(
                statement=statement,
                warehouse_id=self.warehouse_id,
                wait_timeout=self.wait_timeout,
                on_wait_timeout=ExecuteStatementRequestOnWaitTimeout.CONTINUE,
                disposition=Disposition.INLINE,
                format=Format.JSON_ARRAY,
                row_limit=row_limit,
            )
        except SDK_ERRORS as exc:
            raise backend_error(exc, "execute statement", workspace_host(self.w)) from exc

    def _finished(self, response: StatementResponse, sql: str) -> StatementResponse:
        """Poll until the statement leaves PENDING/RUNNING (backing off), cancel it past `timeout_s`."""
        deadline = time.monotonic() + self.timeout_s
        interval = self.poll_interval_s
        while _state(response) in _IN_PROGRESS:
            if time.monotonic() >= deadline:
                self._cancel(response.statement_id)
                raise SqlExecutionError(
                    f"statement did not finish within {self.timeout_s:g}s (cancelled)", sql=sql, sql_state="TIMEOUT"
                )
            time.sleep(min(interval, max(0.0, deadline - time.monotonic())))
            interval = min(interval * 1.5, self.max_poll_interval_s)
            try:
                response = self.w.statement_execution.get_statement(required(response.statement_id, "the statement id"))
            except SDK_ERRORS as exc:
                raise backend_error(exc, f"poll statement {response.statement_id}", workspace_host(self.w)) from exc
        state = _state(response)
        if state != StatementState.SUCCEEDED:
            status = response.status
            error = status.error if status else None
            code = error.error_code.value if error and error.error_code else (state.value if state else "UNKNOWN")
            message = error.message if error and error.message else f"statement ended in state {state.value if state else None}"
            raise SqlExecutionError(f"{code}: {message}", sql=sql, sql_state=(status.sql_state if status else None) or code)
        return response

    def _cancel(self, statement_id: str | None) -> None:
        if not statement_id:
            return
        try:
            self.w.statement_execution.cancel_execution(statement_id)
        except SDK_ERRORS:
            pass  # best effort: the timeout is what we report

    def _all_rows(self, response: StatementResponse, sql: str) -> list[list[Any]]:
        """Every row of every chunk, following `next_chunk_index`."""
        result = response.result
        manifest = response.manifest
        if result is None:
            if not manifest or not manifest.total_chunk_count:
                return []
            result = self._chunk(response.statement_id, 0)
        if result.external_links:
            raise SqlExecutionError("EXTERNAL_LINKS results are not supported (asked for INLINE)", sql=sql)
        rows: list[list[Any]] = list(result.data_array or [])
        current, upcoming = result.chunk_index or 0, result.next_chunk_index
        while upcoming is not None:
            if upcoming <= current:
                raise SqlExecutionError(f"chunk {current} points back to chunk {upcoming}", sql=sql)
            chunk = self._chunk(response.statement_id, upcoming)
            rows.extend(chunk.data_array or [])
            current, upcoming = upcoming, chunk.next_chunk_index
        return rows

    def _chunk(self, statement_id: str | None, index: int) -> ResultData:
        try:
            return self.w.statement_execution.get_statement_result_chunk_n(required(statement_id, "the statement id"), index)
        except SDK_ERRORS as exc:
            raise backend_error(exc, f"fetch chunk {index} of statement {statement_id}", workspace_host(self.w)) from exc

    # ------------------------------------------------------------------------------------------ catalog
    def catalog(self, identifiers: Iterable[str] | None = None) -> Catalog:
        """Columns of the named tables (from each table's `<catalog>.information_schema.columns`)."""
        if identifiers is None and self.catalog_source is not None:
            identifiers = self.catalog_source()
        catalog = Catalog()
        if identifiers is None:
            self._describe(
                catalog,
                exp.table_("columns", db="information_schema", catalog="system"),
                exp.and_(exp.column("table_catalog").neq("system"), exp.column("table_schema").neq("information_schema")),
            )
            return catalog
        by_catalog: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for identifier in identifiers:
            parts = [p.name for p in exp.to_table(identifier, dialect=DIALECT).parts]
            if len(parts) != 3:
                raise ValueError(f"not a three-part catalog.schema.table identifier: {identifier!r}")
            by_catalog[parts[0].lower()].append((parts[1].lower(), parts[2].lower()))
        for name, tables in by_catalog.items():
            wanted = exp.or_(*(
                exp.and_(_lower("table_schema").eq(exp.Literal.string(schema)),
                         _lower("table_name").eq(exp.Literal.string(table)))
                for schema, table in tables
            ))
            source = exp.table_("columns", db="information_schema", catalog=name, quoted=True)
            self._describe(catalog, source, exp.and_(_lower("table_catalog").eq(exp.Literal.string(name)), wanted))
        return catalog

    def _describe(self, catalog: Catalog, source: exp.Table, condition: exp.Expr) -> None:
        query = (
            exp.select("table_catalog", "table_schema", "table_name", "column_name", "data_type")
            .from_(source)
            .where(condition)
            .order_by("table_catalog", "table_schema", "table_name", "ordinal_position")
        )
        found: dict[str, dict[str, str]] = defaultdict(dict)
        for cat, schema, table, column, data_type in self.execute(query.sql(dialect=DIALECT)).rows:
            found[f"{cat}.{schema}.{table}"][str(column)] = str(data_type)
        for identifier, columns in found.items():
            catalog.add(identifier, columns)

    def distinct_values(self, identifier: str, column: str, limit: int = 1024) -> list[str]:
        col = exp.column(column, quoted=True)
        value = exp.cast(col, "STRING")
        query = (
            exp.select(value.as_("v"))
            .from_(exp.to_table(identifier, dialect=DIALECT))
            .where(exp.not_(col.is_(exp.null())))
            .group_by(value.copy())
            .order_by(exp.Ordered(this=exp.Count(this=exp.Star()), desc=True), "v")
            .limit(int(limit))
        )
        return [str(row[0]) for row in self.execute(query.sql(dialect=DIALECT)).rows]


def _lower(column: str) -> exp.Expr:
    return exp.func("lower", exp.column(column))


def _state(response: StatementResponse) -> StatementState | None:
    return response.status.state if response.status else None
