"""SQL snippets (measures, filters, expressions) and text-instruction definitions, bound to the space's tables.

Snippet SQL names columns as `table.col`, `alias.col` (a join-spec alias) or the full identifier. Binding resolves
every column to a table of the space and stores the table *key* as the qualifier, so the SQL builder can later
re-qualify with whatever alias the query uses. A snippet that names an unknown table or column is unusable, as
Genie's UI would reject it, and is skipped.

Text instructions are prose; only lines of the shape `<term> means <sql>`, `<term> = <sql>` or
`<term> is defined as <sql>` whose SQL parses and references real columns become ad-hoc snippets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from genie_enhance.backends.local.offline_genie.schema import ColumnInfo, TableInfo
from genie_enhance.space.lines import join_lines
from genie_enhance.space.model import SerializedSpace
from genie_enhance.sql import DIALECT
from genie_enhance.words import identifier_stems, stems

_PREDICATES = (exp.Predicate, exp.Connector, exp.Not, exp.Between, exp.In, exp.Is, exp.Like, exp.ILike)
_DEFINITION = re.compile(
    r"^\s*(?:[-*\u2022]|\d+[.)])?\s*[\"'`\u201c]?(?P<term>[A-Za-z][A-Za-z0-9 \-/]{0,60}?)[\"'`\u201d]?\s*"
    r"(?:\bmeans\b|\bis defined as\b|(?<![<>!=])=(?!=))\s*(?P<sql>.+?)\s*\.?\s*$",
    re.IGNORECASE,
)


@dataclass(eq=False)
class Snippet:
    """A named piece of SQL: `measure` (aggregate), `filter` (condition) or `expression` (dimension)."""

    kind: str
    name: str
    tree: exp.Expr
    tables: list[str]
    columns: list[ColumnInfo]
    phrases: list[tuple[str, ...]] = field(default_factory=list)
    origin: str = "sql_snippets"

    def __repr__(self) -> str:
        return f"Snippet({self.kind}:{self.name})"


class TableResolver:
    """Maps a SQL qualifier (full identifier, `schema.table`, table name or join alias) to a table key."""

    def __init__(self, tables: dict[str, TableInfo]) -> None:
        self.tables = tables
        self._names: dict[str, str | None] = {}
        for key, info in tables.items():
            for name in (key, ".".join(info.parts[-2:]).lower(), info.short, *info.join_aliases):
                if name in self._names and self._names[name] != key:
                    self._names[name] = None  # ambiguous
                else:
                    self._names[name] = key

    def resolve(self, qualifier: str) -> str | None:
        return self._names.get(qualifier.lower())

    def column(self, column: exp.Column, prefer: list[str]) -> ColumnInfo | None:
        """The space column a parsed column reference means (unqualified names: first of `prefer`, then any table)."""
        name = column.name.lower()
        qualifier = ".".join(p for p in (column.catalog, column.db, column.table) if p)
        if qualifier:
            key = self.resolve(qualifier)
            return _lookup(self.tables[key], name) if key else None
        for key in [*prefer, *self.tables]:
            found = _lookup(self.tables[key], name) if key in self.tables else None
            if found is not None:
                return found
        return None


def _lookup(table: TableInfo, name: str) -> ColumnInfo | None:
    """A column of configured SQL: visible or excluded (exclusion hides a column from questions, not from SQL)."""
    return table.columns.get(name) or table.hidden.get(name)


def bind(
    tree: exp.Expr, resolver: TableResolver, prefer: list[str] | None = None
) -> tuple[exp.Expr, list[ColumnInfo]] | None:
    """A copy of `tree` whose columns are qualified by table key, and the columns used; None if one is unknown."""
    out = tree.copy()
    used: list[ColumnInfo] = []
    for col in list(out.find_all(exp.Column)):
        if isinstance(col.this, exp.Star):
            continue
        info = resolver.column(col, prefer or [])
        if info is None:
            return None
        col.set("table", exp.to_identifier(info.table_key, quoted=False))
        col.set("db", None)
        col.set("catalog", None)
        col.set("this", exp.to_identifier(info.name))
        if info not in used:
            used.append(info)
    return out, used


def qualify(tree: exp.Expr, aliases: dict[str, str]) -> exp.Expr:
    """A copy of a bound tree with table keys replaced by the query's table aliases."""
    out = tree.copy()
    for col in out.find_all(exp.Column):
        if col.table in aliases:
            col.set("table", exp.to_identifier(aliases[col.table]))
    return out


def parse_expression(sql: str) -> exp.Expr | None:
    try:
        tree = sqlglot.parse_one(sql, read=DIALECT)
    except (ParseError, TokenError, ValueError):
        return None
    return None if tree is None or isinstance(tree, (exp.Query, exp.Command)) else tree


def classify(tree: exp.Expr) -> str:
    """`measure` if it aggregates, `filter` if it is a condition, else `expression`."""
    if tree.find(exp.AggFunc):
        return "measure"
    return "filter" if isinstance(tree, _PREDICATES) else "expression"


def _phrases(*texts: str | None, identifiers: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found: list[tuple[str, ...]] = []
    for text in texts:
        words = stems(text) if text else ()
        if words and words not in found:
            found.append(words)
    for ident in identifiers:
        words = identifier_stems(ident)
        if words and words not in found:
            found.append(words)
    return found


def _make(
    kind: str, name: str, sql: str, resolver: TableResolver, phrases: list[tuple[str, ...]], origin: str
) -> Snippet | None:
    tree = parse_expression(sql)
    if tree is None:
        return None
    bound = bind(tree, resolver)
    if bound is None or not bound[1]:
        return None
    tree, cols = bound
    tables = list(dict.fromkeys(c.table_key for c in cols))
    return Snippet(kind, name, tree, tables, cols, phrases, origin)


def load_snippets(space: SerializedSpace, resolver: TableResolver) -> list[Snippet]:
    """Measures, filters and expressions of `instructions.sql_snippets` that bind to the space's columns."""
    found: list[Snippet] = []
    groups = space.instructions.sql_snippets
    for kind, items in (("measure", groups.measures), ("filter", groups.filters), ("expression", groups.expressions)):
        for i, item in enumerate(items):
            alias = getattr(item, "alias", "") or ""
            phrases = _phrases(item.display_name, *(item.synonyms or []), identifiers=(alias,) if alias else ())
            name = alias or item.display_name or f"{kind}_{i}"
            snippet = _make(kind, name, join_lines(item.sql), resolver, phrases, f"sql_snippets.{kind}s[{i}]")
            if snippet is not None and snippet.phrases:
                found.append(snippet)
    return found


def load_definitions(space: SerializedSpace, resolver: TableResolver) -> list[Snippet]:
    """Ad-hoc snippets from text-instruction lines `<term> means|=|is defined as <sql>`."""
    found: list[Snippet] = []
    for t in space.instructions.text_instructions:
        for line in join_lines(t.content).splitlines():
            m = _DEFINITION.match(line)
            if not m:
                continue
            term, sql = m.group("term").strip(), m.group("sql").strip().strip("`")
            term = re.sub(r"^(?:a|an|the)\s+", "", term, flags=re.IGNORECASE)
            tree = parse_expression(sql)
            if tree is None:
                continue
            name = "_".join(term.lower().split())
            snippet = _make(classify(tree), name, sql, resolver, _phrases(term), "text_instructions")
            if snippet is not None and snippet.phrases:
                found.append(snippet)
    return found
