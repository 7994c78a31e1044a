"""Check a taught phrase against every other train question that uses the same phrase.

Why: a synonym or snippet is read in *every* question, not just the failure it was made for. If another train
question says the same phrase (as a whole phrase of its own) and its expected SQL does not use what the phrase is
about to mean, the fix would change that question's answer for the worse — the classic regression of ungrounded
vocabulary. Meanings are compared on the train questions' expected SQL only:
- a column synonym is consistent when the other answer reads that column, or counts rows of the column's table
  and the column is unique in the data (counting its distinct values is then the same number); a synonym that
  is the table's own name (a label column: "customers" → the name column) only needs the answer to read the table;
- a measure / filter / expression snippet is consistent when the other answer computes the same aggregate /
  applies the same conditions / groups by the same expression.
"""

from __future__ import annotations

from functools import lru_cache

import sqlglot
from sqlglot import exp

from genie_enhance.proposers.heuristic.case import Workbench
from genie_enhance.proposers.heuristic.shape import ColumnRef, QueryShape, analyse, render
from genie_enhance.proposers.heuristic.terms import content_runs
from genie_enhance.scoring.runner import QuestionResult
from genie_enhance.space.fixes import AddSqlSnippet, AddSynonym
from genie_enhance.sql import DIALECT, normalize_sql
from genie_enhance.words import stems, tokenize


@lru_cache(maxsize=4096)
def _expr(sql: str) -> str:
    return normalize_sql(f"SELECT {sql}")


class PhraseEvidence:
    """The other train questions and their phrases (computed once per run); a question's expected-SQL shape and
    its rendered parts only when a fix's phrase is said in it, once. Why lazily: analysing an expected SQL costs
    tens of milliseconds, and most train questions say none of a batch's phrases (10,000 questions: minutes)."""

    def __init__(self, results: list[QuestionResult], bench: Workbench) -> None:
        self.bench = bench
        self.items: list[tuple[QuestionResult, set[tuple[str, ...]]]] = []
        for result in results:
            if result.role != "train":
                continue
            tokens = tokenize(result.question)
            runs = {tuple(t.stem for t in tokens[r.start : r.end]) for r in content_runs(tokens)}
            self.items.append((result, runs))
        self._shapes: dict[int, QueryShape | None] = {}
        self._rendered: dict[tuple[int, str], set[str]] = {}

    def _shape(self, index: int) -> QueryShape | None:
        """The shape of item `index`'s expected SQL (None when it cannot be analysed: the item is no evidence)."""
        if index not in self._shapes:
            self._shapes[index] = analyse(self.items[index][0].expected_sql, self.bench.catalog)
        return self._shapes[index]

    def _uses_column(self, shape: QueryShape, ref: ColumnRef) -> bool:
        if shape.uses(ref) or any(ref in (a, b) for a, b in shape.joins):
            return True
        counts_rows = any(a.star and a.func == "COUNT" for a in shape.aggregates) and shape.base_table == ref.table
        stats = self.bench.probe.stats(ref.table, ref.column) if counts_rows else None
        return bool(stats is not None and stats.unique and stats.non_null == stats.rows)

    def _names_table(self, phrase: str, table: str) -> bool:
        return any(t.kind == "table" and t.table == table for t in self.bench.schema_vocab.lookup(stems(phrase)))

    def _renders(self, shape: QueryShape, parts: str) -> set[str]:
        key = (id(shape), parts)  # shapes live in `_shapes` as long as this object: their ids are stable
        if key not in self._rendered:
            self._rendered[key] = self._render_parts(shape, parts)
        return self._rendered[key]

    def _render_parts(self, shape: QueryShape, parts: str) -> set[str]:
        names = self.bench.names
        if parts == "aggregates":
            return {_expr(render(a.node, shape, names)) for a in shape.aggregates}
        if parts == "predicates":
            return {_expr(render(p.node, shape, names)) for p in shape.predicates}
        return {_expr(render(g.node, shape, names)) for g in shape.groups}

    def _consistent(self, fix: object, shape: QueryShape) -> bool:
        if isinstance(fix, AddSynonym):
            ref = ColumnRef(fix.table.lower(), fix.column.lower())
            if self._names_table(fix.synonym, ref.table):
                return ref.table in shape.tables  # the phrase names the entity; the column is its label
            return self._uses_column(shape, ref)
        if isinstance(fix, AddSqlSnippet):
            if fix.kind == "measure":
                return _expr(fix.sql) in self._renders(shape, "aggregates")
            if fix.kind == "filter":
                condition = sqlglot.condition(fix.sql, dialect=DIALECT)
                parts = condition.flatten() if isinstance(condition, exp.And) else [condition]
                return {_expr(part.sql(dialect=DIALECT)) for part in parts} <= self._renders(shape, "predicates")
            return _expr(fix.sql) in self._renders(shape, "groups")
        return True

    def contradiction(self, fix: object, own_id: str, *, within: bool = False) -> str | None:
        """The first other train question that says the fix's phrase but whose answer means something else.

        `within`: the phrase also counts as said inside a longer phrase of the question (used for derived variants,
        which no question asked for: "sold" in "units sold" must not become revenue)."""
        if isinstance(fix, AddSynonym):
            phrases = [fix.synonym]
        elif isinstance(fix, AddSqlSnippet):
            phrases = [p for p in [fix.display_name, *fix.synonyms] if p]
        else:
            return None
        stemmed = [(p, stems(p)) for p in phrases]  # once, not once per train question (10,000 of them)
        for index, (result, runs) in enumerate(self.items):
            if result.id == own_id:
                continue
            said = [p for p, words in stemmed if _says(runs, words, within)]
            if not said:
                continue
            shape = self._shape(index)
            if shape is not None and not self._consistent(fix, shape):
                return f'train question {result.id} also says "{said[0]}" but its answer does not mean it that way'
        return None


def _says(runs: set[tuple[str, ...]], words: tuple[str, ...], within: bool) -> bool:
    if words in runs:
        return True
    n = len(words)
    return within and n > 0 and any(run[i : i + n] == words for run in runs for i in range(len(run) - n + 1))
