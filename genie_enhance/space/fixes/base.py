"""The common shape of every fix, plus the small space-editing helpers the fix types share.

A fix is a typed, JSON-friendly description of one config change. `apply` is pure: it edits a deep copy, so the
caller's space is never touched and a rejected batch leaves nothing half-applied. Fixes are idempotent: applying
one to a space that already has its effect returns an equal space.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Annotated, Any, Literal, TypeVar, overload

from pydantic import BaseModel, ConfigDict, StringConstraints, model_serializer
from pydantic.functional_serializers import SerializerFunctionWrapHandler

from genie_enhance.errors import FixError
from genie_enhance.space.ids import Identified
from genie_enhance.space.model import ColumnConfig, SerializedSpace, TableSource
from genie_enhance.space.normalize import V1_COLUMN_FLAGS

T = TypeVar("T")

NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
"""A required text field: surrounding whitespace is dropped and an empty value is rejected."""

# v2 column flag name → its v1 spelling (v1 spaces reject the v2 names).
V1_FLAG_NAMES = {v2: v1 for v1, v2 in V1_COLUMN_FLAGS.items()}


def _require_type(schema: dict[str, Any]) -> None:
    """`type` has a default for Python callers, but JSON producers (LLMs) must always write it."""
    if "type" in schema.get("properties", {}):
        schema["required"] = ["type", *(r for r in schema.get("required", []) if r != "type")]


class FixBase(BaseModel, ABC):
    """Base of every fix: strict input (unknown fields are an error), immutable once built."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, str_strip_whitespace=True, json_schema_extra=_require_type,
    )

    @model_serializer(mode="wrap")
    def _type_first(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """JSON reads best with the discriminator first: `{"type": "add_synonym", "table": ...}`."""
        data = handler(self)
        return {"type": data.pop("type"), **data} if "type" in data else data

    def apply(self, space: SerializedSpace) -> SerializedSpace:
        """A new space with this fix applied; `space` itself is left unchanged. Raises `FixError`."""
        out = space.model_copy(deep=True)
        self._apply(out)
        return out

    @abstractmethod
    def _apply(self, space: SerializedSpace) -> None:
        """Edit `space` (a private copy) in place."""

    @property
    @abstractmethod
    def key(self) -> str:
        """Stable dedupe key: two fixes with the same effect have the same key."""

    @abstractmethod
    def describe(self) -> str:
        """One human-readable line."""


# ---------------------------------------------------------------------------------------------- text helpers
def fold(text: str) -> str:
    """Case- and whitespace-insensitive form of a text, for comparisons and keys."""
    return " ".join(text.split()).casefold()


def short(text: str, limit: int = 60) -> str:
    """A one-line, length-capped rendering of `text` for `describe()`."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def set_fields(**values: Any) -> dict[str, Any]:
    """Keyword arguments without the `None` ones: passing `None` explicitly would make the lossless model emit
    `null` for a field the API never had."""
    return {k: v for k, v in values.items() if v is not None}


# ---------------------------------------------------------------------------------------------- space helpers
def require_table(space: SerializedSpace, identifier: str) -> TableSource:
    """The table or metric view named `identifier` (case-insensitive), or `FixError`."""
    table = space.table(identifier)
    if table is None:
        known = ", ".join(t.identifier for t in space.all_tables()) or "none"
        raise FixError(f"table {identifier!r} is not in the space (tables: {known})")
    return table


@overload
def column_config(table: TableSource, column: str, *, create: Literal[True]) -> ColumnConfig: ...
@overload
def column_config(table: TableSource, column: str, *, create: bool) -> ColumnConfig | None: ...
def column_config(table: TableSource, column: str, *, create: bool) -> ColumnConfig | None:
    """The column's config (case-insensitive); with `create`, a new one is added and the list re-sorted."""
    existing = table.column(column)
    if existing is not None or not create:
        return existing
    config = ColumnConfig(column_name=column)
    table.column_configs = sorted([*table.column_configs, config], key=lambda c: c.column_name)
    return config


def flag_name(space: SerializedSpace, v2_name: str) -> str:
    """The name of a column flag in this space's version (v1 spaces reject the v2 names and vice versa)."""
    return V1_FLAG_NAMES[v2_name] if space.version < 2 else v2_name


def get_flag(config: ColumnConfig, v2_name: str) -> bool:
    """A column flag's value, whichever version's name the config uses."""
    extras = config.__pydantic_extra__ or {}
    return bool(getattr(config, v2_name) or extras.get(V1_FLAG_NAMES[v2_name]))


def set_flag(space: SerializedSpace, config: ColumnConfig, v2_name: str) -> None:
    """Turn a column flag on, spelled as the space's version expects; no change if it is already on."""
    if get_flag(config, v2_name):
        return
    setattr(config, flag_name(space, v2_name), True)


def instruction_ids(space: SerializedSpace) -> set[str]:
    """Every id in the instruction uniqueness pool: text, examples, functions, joins and all snippets."""
    ins = space.instructions
    snippets = ins.sql_snippets
    items: list[Identified] = [
        *ins.text_instructions, *ins.example_question_sqls, *ins.sql_functions, *ins.join_specs,
        *snippets.filters, *snippets.expressions, *snippets.measures,
    ]
    return {item.id for item in items if item.id}


def sorted_by_id(items: list[T]) -> list[T]:
    """Instruction items in the ascending-id order the API requires."""
    return sorted(items, key=lambda item: getattr(item, "id", None) or "")
