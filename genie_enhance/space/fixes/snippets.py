"""SQL snippet fixes ("SQL expressions" in the UI): measures (aggregates), filters (conditions), expressions
(dimensions).

Decision on an existing snippet: a measure/expression with the same alias, or a filter with the same SQL
(`normalize_sql`), is the same snippet. The fix then *merges* into it instead of adding a duplicate: new synonyms
are appended (case-insensitive), the fix's SQL, display name and instruction replace the stored ones when they
differ. Re-applying the fix changes nothing.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, model_validator
from sqlglot import exp

from genie_enhance.errors import FixError, ReadOnlySqlError, SqlParseError
from genie_enhance.space.fixes.base import FixBase, NonEmpty, fold, instruction_ids, set_fields, short, sorted_by_id
from genie_enhance.space.ids import unique_id
from genie_enhance.space.lines import join_lines, split_lines
from genie_enhance.space.model import SerializedSpace, SnippetBase, SqlExpression, SqlFilter, SqlMeasure
from genie_enhance.sql import ensure_read_only, normalize_sql

SnippetKind = Literal["measure", "filter", "expression"]
_COLLECTIONS = {"measure": "measures", "filter": "filters", "expression": "expressions"}
_MODELS: dict[str, type[SnippetBase]] = {"measure": SqlMeasure, "filter": SqlFilter, "expression": SqlExpression}
_LEADING_WHERE = re.compile(r"^\s*where\b", re.IGNORECASE)


def check_snippet_sql(kind: str, sql: str) -> None:
    """A snippet is one read-only SQL expression with table-qualified columns; a measure aggregates, an
    expression does not, a filter has no WHERE keyword. Raises `FixError` naming the rule broken."""
    if kind == "filter" and _LEADING_WHERE.match(sql):
        raise FixError(f"filter snippet {short(sql)!r} starts with WHERE; write the condition without it")
    try:
        tree = ensure_read_only(f"SELECT {sql}")
    except (ReadOnlySqlError, SqlParseError) as exc:
        raise FixError(f"{kind} snippet {short(sql)!r} is not a single SQL expression: {exc}") from exc
    extra = sorted(k for k, v in tree.args.items() if v and k != "expressions")
    if not isinstance(tree, exp.Select) or extra or len(tree.expressions) != 1:
        raise FixError(f"{kind} snippet {short(sql)!r} must be one expression, not a query or a list")
    node = tree.expressions[0]
    if isinstance(node, exp.Alias):
        raise FixError(f"{kind} snippet {short(sql)!r}: put the name in `alias`, not `AS` in the SQL")
    bare = sorted({c.name for c in node.find_all(exp.Column) if not c.table and not isinstance(c.this, exp.Star)})
    if bare:
        raise FixError(f"{kind} snippet {short(sql)!r}: qualify columns with their table ({', '.join(bare)})")
    aggregates = node.find(exp.AggFunc) is not None
    if kind == "measure" and not aggregates:
        raise FixError(f"measure snippet {short(sql)!r} must aggregate (SUM, COUNT, AVG, ...)")
    if kind == "expression" and aggregates:
        raise FixError(f"expression snippet {short(sql)!r} aggregates; add it as a measure instead")


def merge_synonyms(existing: list[str], new: list[str]) -> list[str]:
    """`existing` followed by the `new` synonyms it lacks, ignoring case and whitespace differences."""
    out, seen = list(existing), {fold(s) for s in existing}
    for synonym in new:
        if fold(synonym) not in seen:
            seen.add(fold(synonym))
            out.append(synonym)
    return out


class AddSqlSnippet(FixBase):
    """Add a reusable measure, filter or expression (or merge into the existing one it duplicates)."""

    type: Literal["add_sql_snippet"] = "add_sql_snippet"
    kind: SnippetKind
    alias: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    sql: NonEmpty
    display_name: NonEmpty | None = None
    synonyms: list[NonEmpty] = Field(default_factory=list)
    instruction: NonEmpty | None = None

    @model_validator(mode="after")
    def _alias_rule(self) -> AddSqlSnippet:
        if self.kind != "filter" and not self.alias:
            raise ValueError(f"a {self.kind} snippet needs an `alias`")
        if self.kind == "filter" and self.alias:
            raise ValueError("filter snippets have no `alias`; name them with `display_name`")
        return self

    def _find(self, items: list[SnippetBase]) -> SnippetBase | None:
        if self.kind == "filter":
            target = normalize_sql(self.sql)
            return next((s for s in items if normalize_sql(join_lines(s.sql)) == target), None)
        alias = (self.alias or "").lower()
        return next((s for s in items if (getattr(s, "alias", "") or "").lower() == alias), None)

    def _apply(self, space: SerializedSpace) -> None:
        check_snippet_sql(self.kind, self.sql)
        snippets = space.instructions.sql_snippets
        name = _COLLECTIONS[self.kind]
        items: list[SnippetBase] = getattr(snippets, name)
        existing = self._find(items)
        if existing is not None:
            self._merge(existing)
            return
        snippet = _MODELS[self.kind](
            id=unique_id(instruction_ids(space), self.kind, self.alias or "", self.sql),
            sql=split_lines(self.sql),
            **set_fields(
                alias=self.alias,
                display_name=self.display_name,
                synonyms=merge_synonyms([], self.synonyms) or None,
                instruction=split_lines(self.instruction) if self.instruction else None,
            ),
        )
        setattr(snippets, name, sorted_by_id([*items, snippet]))

    def _merge(self, snippet: SnippetBase) -> None:
        if normalize_sql(join_lines(snippet.sql)) != normalize_sql(self.sql):
            snippet.sql = split_lines(self.sql)
        synonyms = merge_synonyms(snippet.synonyms or [], self.synonyms)
        if synonyms != (snippet.synonyms or []):
            snippet.synonyms = synonyms
        if self.display_name and snippet.display_name != self.display_name:
            snippet.display_name = self.display_name
        if self.instruction and join_lines(snippet.instruction) != self.instruction:
            snippet.instruction = split_lines(self.instruction)

    @property
    def key(self) -> str:
        synonyms = ",".join(sorted({fold(s) for s in self.synonyms}))
        return "|".join([
            self.type, self.kind, (self.alias or "").lower(), normalize_sql(self.sql), synonyms,
            self.display_name or "", self.instruction or "",
        ])

    def describe(self) -> str:
        name = self.alias or self.display_name
        label = f' "{name}"' if name else ""
        return f"add {self.kind} snippet{label}: {short(self.sql)}"
