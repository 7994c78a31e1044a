"""Structural rules: ids, id uniqueness pools, sorting, per-item counts, tables and column configs."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from genie_enhance.space.ids import is_valid_id
from genie_enhance.space.model import ColumnConfig, SerializedSpace
from genie_enhance.space.normalize import V1_COLUMN_FLAGS
from genie_enhance.space.validation.locate import SNIPPET_KINDS, instruction_items, question_items, table_items
from genie_enhance.space.validation.problems import Problem

MAX_ENTITY_MATCHING_COLUMNS = 120
SUPPORTED_VERSIONS = (1, 2)
_PART = r"(`(?:[^`]|``)+`|[^.`]+)"  # one name part: backtick-quoted (may contain dots) or plain
_IDENTIFIER = re.compile(rf"{_PART}\.{_PART}\.{_PART}")  # catalog.schema.table


def _by_id(item: Any) -> str:
    return item.id or ""


def check_version(space: SerializedSpace) -> Iterator[Problem]:
    if "version" not in space.model_fields_set:
        yield Problem("version", "version", "version is required (2)")
    elif space.version not in SUPPORTED_VERSIONS:
        yield Problem("version", "version", f"unsupported version {space.version!r}; expected 2 (1 is upgraded)")


def check_ids(space: SerializedSpace) -> Iterator[Problem]:
    """Every id is 32 lowercase hex and unique within its pool (questions; instruction items)."""
    pools = (("sample and benchmark questions", question_items(space)), ("instruction items", instruction_items(space)))
    for pool_name, items in pools:
        seen: dict[str, str] = {}
        for path, item in items:
            ident = item.id
            if not ident:
                yield Problem(f"{path}.id", "missing_id", "missing id (32 lowercase hex characters)")
                continue
            if not is_valid_id(ident):
                yield Problem(f"{path}.id", "invalid_id", f"id {ident!r} is not 32 lowercase hex characters")
            if ident in seen:
                yield Problem(
                    f"{path}.id", "duplicate_id",
                    f"id {ident} is already used by {seen[ident]} (ids are unique across {pool_name})",
                )
            else:
                seen[ident] = path


def _sorted_collections(space: SerializedSpace) -> Iterator[tuple[str, list[Any], Callable[[Any], Any], str, str]]:
    """(path, items, sort key, key name, code) for every collection the API may want sorted (genie_api §1.11), in
    v1 as in v2. Sample questions, benchmarks and example parameters are not checked: the server itself exports them
    in descending or arbitrary order, and deploys that never sort them succeed."""
    ds, ins = space.data_sources, space.instructions
    yield "data_sources.tables", ds.tables, lambda t: t.identifier, "identifier", "unsorted"
    yield "data_sources.metric_views", ds.metric_views, lambda t: t.identifier, "identifier", "unsorted"
    for path, table in table_items(space):
        yield f"{path}.column_configs", table.column_configs, lambda c: c.column_name, "column_name", "unsorted"
    yield ("instructions.sql_functions", ins.sql_functions, lambda f: (f.id or "", f.identifier), "(id, identifier)",
           "unsorted")
    for name in ("text_instructions", "example_question_sqls", "join_specs"):
        yield f"instructions.{name}", getattr(ins, name), _by_id, "id", "unsorted_unverified"
    for kind in SNIPPET_KINDS:
        yield f"instructions.sql_snippets.{kind}", getattr(ins.sql_snippets, kind), _by_id, "id", "unsorted_unverified"


def check_sorting(space: SerializedSpace) -> Iterator[Problem]:
    """The first out-of-order element of each collection."""
    for path, items, key, key_name, code in _sorted_collections(space):
        keys = [key(item) for item in items]
        for i in range(1, len(keys)):
            if keys[i] < keys[i - 1]:
                yield Problem(
                    f"{path}[{i}]", code,
                    f"{path} must be sorted by {key_name} ascending: {keys[i]!r} comes after {keys[i - 1]!r}",
                )
                break


def check_text_instructions(space: SerializedSpace) -> Iterator[Problem]:
    for i in range(1, len(space.instructions.text_instructions)):
        yield Problem(
            f"instructions.text_instructions[{i}]", "too_many_text_instructions",
            "at most one text instruction is allowed; merge it into instructions.text_instructions[0]",
        )


def check_benchmark_answers(space: SerializedSpace) -> Iterator[Problem]:
    """At most one answer per benchmark question, in format "SQL"."""
    for i, question in enumerate(space.benchmarks.questions):
        if len(question.answer) > 1:
            yield Problem(
                f"benchmarks.questions[{i}].answer[1]", "too_many_answers",
                f"at most one answer per benchmark question is allowed (found {len(question.answer)})",
            )
        for j, answer in enumerate(question.answer):
            if "format" not in answer.model_fields_set:
                yield Problem(f"benchmarks.questions[{i}].answer[{j}].format", "answer_format", 'missing format "SQL"')
            elif answer.format != "SQL":
                yield Problem(
                    f"benchmarks.questions[{i}].answer[{j}].format", "answer_format",
                    f'answer format must be "SQL", not {answer.format!r}',
                )


def check_table_identifiers(space: SerializedSpace) -> Iterator[Problem]:
    """Table and metric-view identifiers are three-part `catalog.schema.table` and unique (case-insensitive)."""
    seen: dict[str, str] = {}
    for path, table in table_items(space):
        ident = table.identifier
        match = _IDENTIFIER.fullmatch(ident)
        if not match or any(part != part.strip() for part in match.groups()):
            yield Problem(
                f"{path}.identifier", "table_identifier",
                f"identifier {ident!r} is not a three-part name catalog.schema.table",
            )
        if ident.lower() in seen:
            yield Problem(
                f"{path}.identifier", "duplicate_table", f"table {ident} is already listed at {seen[ident.lower()]}"
            )
        else:
            seen[ident.lower()] = path


def column_flag(col: ColumnConfig, name: str) -> bool:
    """A v2 column flag, falling back to its v1 name (`get_example_values`, `build_value_dictionary`)."""
    value = getattr(col, name)
    if value is None:
        old = next(k for k, v in V1_COLUMN_FLAGS.items() if v == name)
        value = (col.__pydantic_extra__ or {}).get(old)
    return bool(value)


def _column_items(space: SerializedSpace) -> Iterator[tuple[str, str, ColumnConfig]]:
    """(path, table identifier, column config) for every column config."""
    for table_path, table in table_items(space):
        for j, col in enumerate(table.column_configs):
            yield f"{table_path}.column_configs[{j}]", table.identifier, col


def check_duplicate_columns(space: SerializedSpace) -> Iterator[Problem]:
    """(table identifier, column_name) is unique, case-insensitively."""
    seen: dict[tuple[str, str], str] = {}
    for path, identifier, col in _column_items(space):
        key = (identifier.lower(), col.column_name.lower())
        if key in seen:
            yield Problem(
                f"{path}.column_name", "duplicate_column",
                f"column {col.column_name} of {identifier} is already configured at {seen[key]}",
            )
        else:
            seen[key] = path


def check_v1_column_flags(space: SerializedSpace) -> Iterator[Problem]:
    """Version 2 spaces reject the v1 names `get_example_values` / `build_value_dictionary`."""
    if space.version < 2:
        return
    for path, _, col in _column_items(space):
        for old, new in V1_COLUMN_FLAGS.items():
            if old in (col.__pydantic_extra__ or {}):
                yield Problem(f"{path}.{old}", "v1_column_flag", f"v1 field name in a version 2 space; use {new}")


def check_entity_matching(space: SerializedSpace) -> Iterator[Problem]:
    """Entity matching needs format assistance, and at most 120 columns per space may use it."""
    matching = [(path, col) for path, _, col in _column_items(space) if column_flag(col, "enable_entity_matching")]
    for path, col in matching:
        if not column_flag(col, "enable_format_assistance"):
            yield Problem(
                f"{path}.enable_entity_matching", "entity_matching_without_format_assistance",
                "entity matching requires enable_format_assistance to be true",
            )
    if len(matching) > MAX_ENTITY_MATCHING_COLUMNS:
        yield Problem(
            f"{matching[MAX_ENTITY_MATCHING_COLUMNS][0]}.enable_entity_matching", "entity_matching_limit",
            f"{len(matching)} columns use entity matching; at most {MAX_ENTITY_MATCHING_COLUMNS} are allowed",
        )
