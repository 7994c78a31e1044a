"""Rules on the raw text of a space: template placeholders and lines joined without a newline.

Both explain a whole family of later failures, so `validate_space` lets them stand in for the problems they cause
(a `${catalog}` identifier or a `DESCLIMIT 10` also fails to parse, to resolve and to run): `dominated` drops those.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import Any

from sqlglot.dialects import Dialect

from genie_enhance.space.io import json_path
from genie_enhance.space.model import SerializedSpace
from genie_enhance.space.validation.budgets import walk
from genie_enhance.space.validation.locate import path_parts
from genie_enhance.space.validation.problems import Problem
from genie_enhance.sql import DIALECT

PLACEHOLDER = re.compile(r"\$\{[^{}]*\}|\{\{[^{}]*\}\}")
TEXT_FIELDS = {"description", "usage_guidance", "question", "instruction", "comment"}
DOMINANT = {"template_placeholder", "joined_lines"}
_LAST_WORD = re.compile(r"(\w+)\Z")
_FIRST_WORD = re.compile(r"^(\w+)")


@lru_cache(maxsize=1)
def _keywords() -> frozenset[str]:
    words = Dialect.get_or_raise(DIALECT).tokenizer_class.KEYWORDS
    return frozenset(k for k in words if k.isalpha())


def _strings(space: SerializedSpace) -> Iterator[tuple[tuple[int | str, ...], str]]:
    return ((loc, value) for loc, value in walk(space.model_dump(mode="json")) if isinstance(value, str))


def _field(loc: tuple[int | str, ...]) -> tuple[int | str, ...]:
    """The field a string belongs to: a lines array's element belongs to the array."""
    return loc[:-1] if loc and isinstance(loc[-1], int) else loc


def check_template_placeholders(space: SerializedSpace) -> Iterator[Problem]:
    """One problem for the whole space, however many placeholders it holds (a template, not a space)."""
    found = [(loc, m.group()) for loc, text in _strings(space) for m in PLACEHOLDER.finditer(text)]
    if not found:
        return
    names = list(dict.fromkeys(text for _, text in found))
    sample = ", ".join(names[:3]) + (", …" if len(names) > 3 else "")
    fields = [json_path(_field(loc)) for loc, _ in found]
    yield Problem(
        json_path(_field(found[0][0])), "template_placeholder",
        f"template placeholder — not a deployable space: {len(found)} placeholder(s) ({sample}) in "
        f"{len(set(fields))} field(s); render the template (substitute real catalog/schema names) first",
    )


def _sql_kind(loc: tuple[int | str, ...]) -> str | None:
    """"sql" for a lines field holding SQL, "text" for free text, None for anything else (ids, join sql, …)."""
    if not loc or not isinstance(loc[-1], str):
        return None
    name, parents = loc[-1], loc[:-1]
    if name == "sql" and "join_specs" not in parents:
        return "sql"
    if name == "content":
        return "sql" if "answer" in parents else "text"
    return "text" if name in TEXT_FIELDS else None


def _lines_fields(value: Any, loc: tuple[int | str, ...] = ()) -> Iterator[tuple[tuple[int | str, ...], list[str]]]:
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, list) and len(item) > 1 and all(isinstance(s, str) for s in item):
                yield (*loc, key), item
            else:
                yield from _lines_fields(item, (*loc, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _lines_fields(item, (*loc, i))


def _glued(before: str, after: str) -> tuple[str, str] | None:
    """The two words run together where a line without a final newline meets the next one."""
    last, first = _LAST_WORD.search(before), _FIRST_WORD.match(after)
    return (last.group(1), first.group(1)) if last and first else None


def check_joined_lines(space: SerializedSpace) -> Iterator[Problem]:
    """A line of SQL or text that does not end with a newline runs into the next (`… DESC` + `LIMIT 10` reads
    `DESCLIMIT 10`): an error in SQL when a keyword is glued, a warning in text."""
    keywords = _keywords()
    for loc, lines in _lines_fields(space.model_dump(mode="json")):
        kind = _sql_kind(loc)
        if kind is None:
            continue
        for i in range(len(lines) - 1):
            words = _glued(lines[i], lines[i + 1])
            if words is None or (kind == "sql" and not {w.upper() for w in words} & keywords):
                continue
            code = "joined_lines" if kind == "sql" else "joined_text_lines"
            yield Problem(
                json_path((*loc, i)), code,
                f"line {i} does not end with a newline, so it runs into line {i + 1}: "
                f"`{words[0]}{words[1]}`; end each line with \\n",
            )
            break


def _covers(field: str, path: str) -> bool:
    return path == field or path.startswith((field + ".", field + "["))


def _placeholder_fields(space: SerializedSpace) -> set[str]:
    return {json_path(_field(loc)) for loc, text in _strings(space) if PLACEHOLDER.search(text)}


def dominated(space: SerializedSpace, problems: Iterable[Problem]) -> list[Problem]:
    """The problems without those a placeholder or joined SQL lines explain (same field or below it)."""
    problems = list(problems)
    fields = {json_path(_field(path_parts(p.path))) for p in problems if p.code == "joined_lines"}
    if any(p.code == "template_placeholder" for p in problems):
        fields |= _placeholder_fields(space)
    return [p for p in problems if p.code in DOMINANT or not any(_covers(f, p.path) for f in fields)]

