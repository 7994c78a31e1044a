"""SQL helpers built on sqlglot: parse in the Databricks dialect, enforce read-only, transpile to DuckDB."""

from genie_enhance.sql.parse import (
    DIALECT,
    KNOWN_DIALECTS,
    check_dialect,
    ensure_read_only,
    from_dialect,
    normalize_sql,
    parse_statement,
    read_only_view,
    referenced_columns,
    referenced_tables,
    to_duckdb,
)

__all__ = [
    "DIALECT",
    "KNOWN_DIALECTS",
    "check_dialect",
    "ensure_read_only",
    "from_dialect",
    "normalize_sql",
    "parse_statement",
    "read_only_view",
    "referenced_columns",
    "referenced_tables",
    "to_duckdb",
]
