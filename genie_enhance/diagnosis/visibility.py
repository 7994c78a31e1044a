"""What Genie can see of the warehouse: the space's tables and their non-excluded columns.

Why: a question fails differently when the object it needs is invisible (not in the space, excluded, or not in
the warehouse at all) than when Genie picked a wrong but visible object; the fixes differ too (add the table or
un-exclude the column vs. describe it better).
"""

from __future__ import annotations

from typing import Literal

from genie_enhance.core.catalog import Catalog
from genie_enhance.space.model import SerializedSpace, TableSource

ColumnStatus = Literal["excluded", "unknown"]


class SpaceView:
    """Table and column visibility. Without a space every catalog table counts as visible."""

    def __init__(self, catalog: Catalog, space: SerializedSpace | None = None) -> None:
        self.catalog = catalog
        self.space = space
        sources = space.data_sources.tables + space.data_sources.metric_views if space is not None else []
        self._tables: dict[str, TableSource] = {t.identifier.lower(): t for t in sources}

    def has_table(self, table: str) -> bool:
        """Whether Genie can read `table` (a lower-case three-part id)."""
        return self.space is None or table.lower() in self._tables

    def known_table(self, table: str) -> bool:
        """Whether the warehouse has `table` (an empty catalog knows nothing, so it never says no)."""
        return not self.catalog.tables or self.catalog.has_table(table)

    def column_status(self, column: str) -> ColumnStatus | None:
        """`excluded` (hidden by the space), `unknown` (not in the warehouse table) or None (visible)."""
        table, _, name = column.rpartition(".")
        source = self._tables.get(table)
        config = source.column(name) if source is not None else None
        if config is not None and config.exclude:
            return "excluded"
        if self.catalog.has_table(table) and not self.catalog.has_column(table, name):
            return "unknown"
        return None

    def unknown_columns(self, columns: set[str]) -> list[str]:
        return sorted(c for c in columns if self.column_status(c) == "unknown")

    def unknown_tables(self, tables: set[str]) -> list[str]:
        return sorted(t for t in tables if not self.known_table(t))
