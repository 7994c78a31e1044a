"""Every checkable item of a space together with its JSON path, so rules report where a problem is."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from genie_enhance.space.lines import join_lines
from genie_enhance.space.model import ExampleQuestionSql, SerializedSpace, SnippetBase, TableSource

SNIPPET_KINDS = ("filters", "expressions", "measures")


@dataclass
class Statement:
    """A complete SQL statement the space holds (example SQL or benchmark answer)."""

    path: str  # the lines field, e.g. `instructions.example_question_sqls[0].sql`
    sql: str
    example: ExampleQuestionSql | None = None  # set for example SQL (which may declare parameters)
    owner: str = ""  # path of the example / benchmark question itself


def question_items(space: SerializedSpace) -> list[tuple[str, Any]]:
    """Id pool 1: sample questions and benchmark questions."""
    return [
        *((f"config.sample_questions[{i}]", q) for i, q in enumerate(space.config.sample_questions)),
        *((f"benchmarks.questions[{i}]", q) for i, q in enumerate(space.benchmarks.questions)),
    ]


def snippet_items(space: SerializedSpace) -> list[tuple[str, str, SnippetBase]]:
    """(path, kind, snippet) for every filter, expression and measure."""
    snippets = space.instructions.sql_snippets
    return [
        (f"instructions.sql_snippets.{kind}[{i}]", kind, s)
        for kind in SNIPPET_KINDS
        for i, s in enumerate(getattr(snippets, kind))
    ]


def instruction_items(space: SerializedSpace) -> list[tuple[str, Any]]:
    """Id pool 2: every instruction item (text, examples, functions, joins, snippets)."""
    ins = space.instructions
    names = ("text_instructions", "example_question_sqls", "sql_functions", "join_specs")
    return [
        *((f"instructions.{name}[{i}]", item) for name in names for i, item in enumerate(getattr(ins, name))),
        *((path, s) for path, _, s in snippet_items(space)),
    ]


def table_items(space: SerializedSpace) -> list[tuple[str, TableSource]]:
    """Tables then metric views, each with its path."""
    ds = space.data_sources
    return [
        *((f"data_sources.tables[{i}]", t) for i, t in enumerate(ds.tables)),
        *((f"data_sources.metric_views[{i}]", t) for i, t in enumerate(ds.metric_views)),
    ]


def statements(space: SerializedSpace) -> list[Statement]:
    """Example SQL and SQL benchmark answers (answers in another format are not SQL and are skipped)."""
    out = []
    for i, e in enumerate(space.instructions.example_question_sqls):
        owner = f"instructions.example_question_sqls[{i}]"
        out.append(Statement(f"{owner}.sql", join_lines(e.sql), e, owner))
    for i, q in enumerate(space.benchmarks.questions):
        owner = f"benchmarks.questions[{i}]"
        for j, answer in enumerate(q.answer):
            if answer.format == "SQL":
                out.append(Statement(f"{owner}.answer[{j}].content", join_lines(answer.content), None, owner))
    return out


_IDENTITY_KEYS = ("id", "identifier", "column_name", "name")


def path_parts(path: str) -> tuple[int | str, ...]:
    """`a.b[2].c` → `("a", "b", 2, "c")` (the inverse of `json_path`)."""
    return tuple(name if name else int(index) for name, index in re.findall(r"([^.\[\]]+)|\[(\d+)\]", path))


def anchored_path(data: Any, path: str) -> str:
    """`path` with each list index replaced by the item's identity (`[id=…]`, `[identifier=…]`, …) where it has
    one, so a problem keeps its place when a fix inserts an item before it (sorted collections shift indices)."""
    out, node = "", data
    for part in path_parts(path):
        if isinstance(part, int):
            item = node[part] if isinstance(node, list) and part < len(node) else None
            key = next((k for k in _IDENTITY_KEYS if isinstance(item, dict) and item.get(k)), None)
            out += f"[{key}={item[key]}]" if key and isinstance(item, dict) else f"[{part}]"
            node = item
        else:
            out += ("." if out else "") + part
            node = node.get(part) if isinstance(node, dict) else None
    return out or path
