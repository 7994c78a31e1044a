"""Typed config fixes: one pydantic model per kind of change, discriminated by `type`.

Every fix has `apply(space) -> space` (pure, idempotent, raises `FixError` when it cannot apply), a `key` for
dedupe and `describe()` for humans. JSON reads naturally, e.g.
`{"type": "add_synonym", "table": "cat.sch.t", "column": "amt_usd", "synonym": "revenue"}`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any

from pydantic import Field, TypeAdapter, ValidationError
from pydantic_core import ErrorDetails

from genie_enhance.errors import FixError
from genie_enhance.space.fixes.base import FixBase
from genie_enhance.space.fixes.columns import (
    AddSynonym,
    EnableEntityMatching,
    EnableFormatAssistance,
    ExcludeColumn,
    IncludeColumn,
    RemoveSynonym,
    SetColumnDescription,
)
from genie_enhance.space.fixes.examples import AddExampleSql, ExampleParameter
from genie_enhance.space.fixes.instructions import AppendTextInstruction, SetTextInstruction
from genie_enhance.space.fixes.joins import AddJoin, ColumnPair, FixJoin
from genie_enhance.space.fixes.snippets import AddSqlSnippet
from genie_enhance.space.fixes.tables import SetTableDescription
from genie_enhance.space.io import json_path
from genie_enhance.space.model import SerializedSpace

FIX_TYPES: tuple[type[FixBase], ...] = (
    AddSynonym, RemoveSynonym, SetColumnDescription, SetTableDescription, AddJoin, FixJoin, AddExampleSql,
    EnableFormatAssistance, EnableEntityMatching, AddSqlSnippet, SetTextInstruction, AppendTextInstruction,
    ExcludeColumn, IncludeColumn,
)

Fix = Annotated[
    AddSynonym | RemoveSynonym | SetColumnDescription | SetTableDescription | AddJoin | FixJoin | AddExampleSql
    | EnableFormatAssistance | EnableEntityMatching | AddSqlSnippet | SetTextInstruction | AppendTextInstruction
    | ExcludeColumn | IncludeColumn,
    Field(discriminator="type"),
]
FixAdapter: TypeAdapter[Fix] = TypeAdapter(Fix)


def _problem(error: ErrorDetails, tag: object) -> str:
    loc = tuple(error["loc"])
    if error["type"] in ("union_tag_invalid", "union_tag_not_found"):
        loc = ("type",)
    if loc and loc[0] == tag:  # the union puts the matched `type` first; it is not part of the JSON path
        loc = loc[1:]
    message = error["msg"].removeprefix("Value error, ")
    return f"{json_path(loc)}: {message}"


def parse_fix(data: dict[str, Any]) -> Fix:
    """A fix from its JSON object; every problem is reported as `FixError` naming the field path."""
    if not isinstance(data, dict):
        raise FixError(f"a fix must be a JSON object, got {type(data).__name__}")
    try:
        return FixAdapter.validate_python(data)
    except ValidationError as exc:
        tag = data.get("type")
        problems = "; ".join(_problem(e, tag) for e in exc.errors())
        raise FixError(f"invalid fix{f' ({tag})' if isinstance(tag, str) else ''}: {problems}") from exc


def fix_json_schema() -> dict[str, Any]:
    """JSON schema of one fix (a `oneOf` over the types), for LLM prompts and structured output."""
    return FixAdapter.json_schema()


def apply_fixes(space: SerializedSpace, fixes: Iterable[FixBase]) -> SerializedSpace:
    """Apply `fixes` in order; the input is never changed and the first `FixError` aborts the whole batch."""
    for fix in fixes:
        space = fix.apply(space)
    return space


def dedupe_fixes(fixes: Iterable[FixBase]) -> list[FixBase]:
    """`fixes` without repeats of an earlier fix's key (the first one wins, order kept)."""
    seen: set[str] = set()
    out = []
    for fix in fixes:
        if fix.key not in seen:
            seen.add(fix.key)
            out.append(fix)
    return out


__all__ = [
    "FIX_TYPES", "AddExampleSql", "AddJoin", "AddSqlSnippet", "AddSynonym", "AppendTextInstruction", "ColumnPair",
    "EnableEntityMatching", "EnableFormatAssistance", "ExampleParameter", "ExcludeColumn", "Fix", "FixAdapter",
    "FixBase", "FixJoin", "IncludeColumn", "RemoveSynonym", "SetColumnDescription", "SetTableDescription",
    "SetTextInstruction", "apply_fixes", "dedupe_fixes", "fix_json_schema", "parse_fix",
]
