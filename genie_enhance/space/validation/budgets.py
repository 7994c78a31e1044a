"""Budget rules (instructions, snippets, tables) and the generic size limits on every string and array."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from genie_enhance.space.io import json_path
from genie_enhance.space.model import SerializedSpace
from genie_enhance.space.validation.locate import SNIPPET_KINDS
from genie_enhance.space.validation.problems import Problem

MAX_INSTRUCTIONS = 100
MAX_SNIPPETS = 200
MAX_TABLES = 30
MAX_STRING_CHARS = 25_000
MAX_ARRAY_ITEMS = 10_000


def instruction_count(space: SerializedSpace) -> int:
    """Instruction slots used: each example SQL, each SQL function, and the text block as a whole count 1."""
    ins = space.instructions
    return len(ins.example_question_sqls) + len(ins.sql_functions) + (1 if ins.text_instructions else 0)


def snippet_count(space: SerializedSpace) -> int:
    """Knowledge-store snippets used: table descriptions, join specs and SQL snippets share one pool."""
    described = sum(1 for t in space.all_tables() if t.description)
    snippets = space.instructions.sql_snippets
    return described + len(space.instructions.join_specs) + sum(len(getattr(snippets, k)) for k in SNIPPET_KINDS)


def table_count(space: SerializedSpace) -> int:
    """Tables plus metric views."""
    return len(space.all_tables())


def check_budgets(space: SerializedSpace) -> Iterator[Problem]:
    """The per-space limits of genie_api §1.11."""
    n = instruction_count(space)
    if n > MAX_INSTRUCTIONS:
        yield Problem(
            "instructions", "instruction_budget",
            f"{n} instructions (example SQLs + SQL functions + the text block); at most {MAX_INSTRUCTIONS}",
        )
    n = snippet_count(space)
    if n > MAX_SNIPPETS:
        yield Problem(
            "instructions", "snippet_budget",
            f"{n} snippets (table descriptions + join specs + SQL snippets); at most {MAX_SNIPPETS}",
        )
    n = table_count(space)
    if n > MAX_TABLES:
        yield Problem("data_sources", "table_budget", f"{n} tables and metric views; at most {MAX_TABLES}")
    if n == 0:
        yield Problem("data_sources.tables", "no_tables", "a space needs at least one table")


def walk(value: Any, loc: tuple[int | str, ...] = ()) -> Iterator[tuple[tuple[int | str, ...], Any]]:
    """Every value of a JSON document with its location, the document itself first."""
    yield loc, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from walk(item, (*loc, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from walk(item, (*loc, i))


def check_sizes(space: SerializedSpace) -> Iterator[Problem]:
    """Every string ≤25,000 characters and every array ≤10,000 items, anywhere in the document."""
    for loc, value in walk(space.model_dump(mode="json")):
        if isinstance(value, str) and len(value) > MAX_STRING_CHARS:
            yield Problem(
                json_path(loc), "string_too_long", f"string of {len(value)} characters; at most {MAX_STRING_CHARS}"
            )
        elif isinstance(value, list) and len(value) > MAX_ARRAY_ITEMS:
            yield Problem(json_path(loc), "array_too_long", f"array of {len(value)} items; at most {MAX_ARRAY_ITEMS}")
