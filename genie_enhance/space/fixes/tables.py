"""Fixes on a table as a whole."""

from __future__ import annotations

from typing import Literal

from genie_enhance.space.fixes.base import FixBase, NonEmpty, require_table, short
from genie_enhance.space.lines import join_lines, split_lines
from genie_enhance.space.model import SerializedSpace


class SetTableDescription(FixBase):
    """Replace the space-local description of a table or metric view (overrides its Unity Catalog comment)."""

    type: Literal["set_table_description"] = "set_table_description"
    table: NonEmpty
    description: NonEmpty

    def _apply(self, space: SerializedSpace) -> None:
        table = require_table(space, self.table)
        if join_lines(table.description) != self.description:
            table.description = split_lines(self.description)

    @property
    def key(self) -> str:
        return f"{self.type}|{self.table.lower()}|{self.description}"

    def describe(self) -> str:
        return f'set description of table {self.table}: "{short(self.description)}"'
