"""SQL helpers built on sqlglot: parse in the Databricks dialect, enforce read-only, transpile to DuckDB."""

from genie_enhance.sql.parse import (
    DIALECT,
    ensure_read_only,
    normalize_sql,
    parse_statement,
    read_only_view,
    referenced_columns,
    referenced_tables,
    to_duckdb,
)

__all__ = [
    "DIALECT",
    "ensure_read_only",
    "normalize_sql",
    "parse_statement",
    "read_only_view",
    "referenced_columns",
    "referenced_tables",
    "to_duckdb",
]
