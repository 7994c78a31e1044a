"""What the offline Genie knows about tables and columns: the warehouse schema seen through the space config.

Only tables listed in the space exist. Excluded columns are set aside (`TableInfo.hidden`): nothing can choose them
from a question, but SQL the space owner wrote (snippets, join conditions) may still use them, as in Genie.
Column names come lower-cased from `Warehouse.catalog` (SQL identifiers are case-insensitive on both engines).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

from genie_enhance.backends.local.offline_genie.text import content_stems
from genie_enhance.space.lines import join_lines
from genie_enhance.space.model import SerializedSpace
from genie_enhance.words import identifier_stems, stems

_NUMERIC = re.compile(r"int|long|short|byte|float|double|decimal|numeric|real|hugeint|number", re.I)
_TEMPORAL = re.compile(r"date|time", re.I)
_STRING = re.compile(r"char|string|text|varchar|enum", re.I)


def type_category(dtype: str) -> str:
    """`number`, `temporal`, `string`, `boolean` or `other` for a warehouse type name."""
    if _TEMPORAL.search(dtype) and "interval" not in dtype.lower():
        return "temporal"
    if dtype.lower().startswith("bool"):
        return "boolean"
    if _NUMERIC.search(dtype):
        return "number"
    if _STRING.search(dtype):
        return "string"
    return "other"


@dataclass(eq=False)
class ColumnInfo:
    """A visible column: its table key, lower-case name, type and the space's config for it."""

    table_key: str
    name: str
    dtype: str
    order: int
    synonyms: list[str] = field(default_factory=list)
    description: str = ""
    entity_matching: bool = False
    format_assistance: bool = False
    has_snippet: bool = False

    @property
    def category(self) -> str:
        return type_category(self.dtype)

    @property
    def name_stems(self) -> tuple[str, ...]:
        return identifier_stems(self.name)

    @cached_property
    def description_stems(self) -> set[str]:
        return content_stems(self.description)

    def __repr__(self) -> str:
        return f"Column({self.table_key}.{self.name})"


@dataclass(eq=False)
class TableInfo:
    """A table of the space: identifier as written, lower-case key, description and visible columns in order."""

    identifier: str
    order: int
    description: str = ""
    columns: dict[str, ColumnInfo] = field(default_factory=dict)
    hidden: dict[str, ColumnInfo] = field(default_factory=dict)  # excluded: usable by configured SQL only
    join_aliases: set[str] = field(default_factory=set)

    @property
    def key(self) -> str:
        return self.identifier.lower()

    @property
    def parts(self) -> list[str]:
        return self.identifier.split(".")

    @property
    def short(self) -> str:
        return self.parts[-1].lower()

    @cached_property
    def name_stems(self) -> tuple[str, ...]:
        return identifier_stems(self.short)

    @cached_property
    def description_stems(self) -> set[str]:
        return content_stems(self.description)

    @property
    def singular(self) -> str:
        return "_".join(self.name_stems)

    def key_column(self) -> ColumnInfo | None:
        """The row identifier: `id`, `<singular>_id`, else the first column named `*_id`/`id*`, else the first column.

        Used to count distinct rows of this table when a join could multiply them, and as a row label.
        """
        cols = list(self.columns.values())
        for wanted in ("id", f"{self.singular}_id", f"{self.short}_id"):
            if wanted in self.columns:
                return self.columns[wanted]
        for c in cols:
            if c.name_stems and c.name_stems[-1] == "id":
                return c
        return cols[0] if cols else None

    def label_column(self) -> ColumnInfo | None:
        """What names a row for people: `name`, `<singular>_name`, else the first string column named `*_name`,
        `*_title` or `*_nm`, else one with a synonym containing "name", else the key."""
        for wanted in ("name", f"{self.singular}_name", f"{self.short}_name"):
            if wanted in self.columns:
                return self.columns[wanted]
        for c in self.columns.values():
            if c.category == "string" and c.name_stems and c.name_stems[-1] in ("name", "title", "nm"):
                return c
        for c in self.columns.values():
            if c.category == "string" and any("name" in stems(s) for s in c.synonyms):
                return c
        return self.key_column()

    def temporal_columns(self) -> list[ColumnInfo]:
        return [c for c in self.columns.values() if c.category == "temporal"]

    def __repr__(self) -> str:
        return f"Table({self.identifier})"


def build_tables(space: SerializedSpace, catalog_columns: dict[str, dict[str, str]]) -> dict[str, TableInfo]:
    """Tables of the space that exist in the warehouse, with their non-excluded columns and column configs."""
    tables: dict[str, TableInfo] = {}
    for order, source in enumerate(space.all_tables()):
        key = source.identifier.lower()
        if key not in catalog_columns or key in tables:
            continue
        info = TableInfo(source.identifier, order, join_lines(source.description))
        for i, (name, dtype) in enumerate(catalog_columns[key].items()):
            cfg = source.column(name)
            col = ColumnInfo(key, name.lower(), dtype, i)
            if cfg is not None and cfg.exclude:
                info.hidden[col.name] = col
                continue
            if cfg is not None:
                col.synonyms = [s for s in (cfg.synonyms or []) if s and s.strip()]
                col.description = join_lines(cfg.description)
                col.entity_matching = bool(cfg.enable_entity_matching)
                col.format_assistance = bool(cfg.enable_format_assistance) or col.entity_matching
            info.columns[col.name] = col
        tables[key] = info
    return tables
