"""Fixes on one column's config: synonyms, description, format assistance / entity matching, exclusion.

Table and column names match case-insensitively (as Genie resolves them). A fix that needs a column config the
space lacks creates it; a fix that would only remove something absent is a no-op.
"""

from __future__ import annotations

from typing import Literal

from genie_enhance.space.fixes.base import (
    FixBase,
    NonEmpty,
    column_config,
    fold,
    get_flag,
    require_table,
    set_flag,
    short,
)
from genie_enhance.space.lines import join_lines, split_lines
from genie_enhance.space.model import SerializedSpace


class ColumnFix(FixBase):
    """A fix aimed at `table`.`column`."""

    table: NonEmpty
    column: NonEmpty

    @property
    def target(self) -> str:
        return f"{self.table}.{self.column}"

    def _key(self, *extra: str) -> str:
        return "|".join([self.type, self.table.lower(), self.column.lower(), *extra])  # type: ignore[attr-defined]


class AddSynonym(ColumnFix):
    """Teach Genie a business term for a column (case-insensitive duplicates are skipped)."""

    type: Literal["add_synonym"] = "add_synonym"
    synonym: NonEmpty

    def _apply(self, space: SerializedSpace) -> None:
        table = require_table(space, self.table)
        existing = table.column(self.column)
        if existing is not None and any(fold(s) == fold(self.synonym) for s in existing.synonyms or []):
            return
        config = column_config(table, self.column, create=True)
        config.synonyms = [*(config.synonyms or []), self.synonym]

    @property
    def key(self) -> str:
        return self._key(fold(self.synonym))

    def describe(self) -> str:
        return f'add synonym "{self.synonym}" to {self.target}'


class RemoveSynonym(ColumnFix):
    """Drop a misleading synonym (every case variant of it); absent synonym ⇒ no-op."""

    type: Literal["remove_synonym"] = "remove_synonym"
    synonym: NonEmpty

    def _apply(self, space: SerializedSpace) -> None:
        config = column_config(require_table(space, self.table), self.column, create=False)
        if config is None or not config.synonyms:
            return
        kept = [s for s in config.synonyms if fold(s) != fold(self.synonym)]
        if len(kept) != len(config.synonyms):
            config.synonyms = kept

    @property
    def key(self) -> str:
        return self._key(fold(self.synonym))

    def describe(self) -> str:
        return f'remove synonym "{self.synonym}" from {self.target}'


class SetColumnDescription(ColumnFix):
    """Replace the space-local description of a column (overrides the Unity Catalog comment)."""

    type: Literal["set_column_description"] = "set_column_description"
    description: NonEmpty

    def _apply(self, space: SerializedSpace) -> None:
        table = require_table(space, self.table)
        existing = table.column(self.column)
        if existing is not None and join_lines(existing.description) == self.description:
            return
        column_config(table, self.column, create=True).description = split_lines(self.description)

    @property
    def key(self) -> str:
        return self._key(self.description)

    def describe(self) -> str:
        return f'set description of {self.target}: "{short(self.description)}"'


class EnableFormatAssistance(ColumnFix):
    """Let Genie sample example values so it learns the column's value format."""

    type: Literal["enable_format_assistance"] = "enable_format_assistance"

    def _apply(self, space: SerializedSpace) -> None:
        table = require_table(space, self.table)
        existing = table.column(self.column)
        if existing is not None and get_flag(existing, "enable_format_assistance"):
            return
        set_flag(space, column_config(table, self.column, create=True), "enable_format_assistance")

    @property
    def key(self) -> str:
        return self._key()

    def describe(self) -> str:
        return f"enable format assistance on {self.target}"


class EnableEntityMatching(ColumnFix):
    """Index the column's distinct values so user terms map to stored values; needs format assistance, so this
    turns that on too."""

    type: Literal["enable_entity_matching"] = "enable_entity_matching"

    def _apply(self, space: SerializedSpace) -> None:
        table = require_table(space, self.table)
        existing = table.column(self.column)
        flags = ("enable_format_assistance", "enable_entity_matching")
        if existing is not None and all(get_flag(existing, f) for f in flags):
            return
        config = column_config(table, self.column, create=True)
        for flag in flags:
            set_flag(space, config, flag)

    @property
    def key(self) -> str:
        return self._key()

    def describe(self) -> str:
        return f"enable entity matching (and format assistance) on {self.target}"


class ExcludeColumn(ColumnFix):
    """Hide a column from Genie (e.g. a confusing duplicate of a better column)."""

    type: Literal["exclude_column"] = "exclude_column"

    def _apply(self, space: SerializedSpace) -> None:
        table = require_table(space, self.table)
        existing = table.column(self.column)
        if existing is not None and existing.exclude:
            return
        column_config(table, self.column, create=True).exclude = True

    @property
    def key(self) -> str:
        return self._key()

    def describe(self) -> str:
        return f"exclude column {self.target}"


class IncludeColumn(ColumnFix):
    """Make an excluded column visible again; a column without a config is already included (no-op)."""

    type: Literal["include_column"] = "include_column"

    def _apply(self, space: SerializedSpace) -> None:
        config = column_config(require_table(space, self.table), self.column, create=False)
        if config is not None and config.exclude:
            config.exclude = False

    @property
    def key(self) -> str:
        return self._key()

    def describe(self) -> str:
        return f"include column {self.target}"
