"""What a warehouse holds: tables and their columns, used to check that a space only references real objects."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Catalog:
    """Tables by lower-cased three-part identifier → {lower-cased column name: type name}."""

    tables: dict[str, dict[str, str]] = field(default_factory=dict)

    def add(self, identifier: str, columns: dict[str, str]) -> None:
        self.tables[identifier.lower()] = {c.lower(): t for c, t in columns.items()}

    def has_table(self, identifier: str) -> bool:
        return identifier.lower() in self.tables

    def columns(self, identifier: str) -> dict[str, str]:
        return self.tables.get(identifier.lower(), {})

    def has_column(self, identifier: str, column: str) -> bool:
        return column.lower() in self.columns(identifier)
