"""Resolve mentions to the schema object a role needs, with documented tie-breaking.

`choose` ranks the candidate targets of one mention by, in order:
1. fit for the role (a numeric column or measure snippet for a measure or comparison, a table for a count,
   a non-numeric column, expression snippet or table for a grouping, a date/timestamp column for time);
2. the strength of the phrase that matched it (snippet > synonym > value > column name > table name, see
   `vocabulary`);
3. the target's table is named in the question (its "focus");
4. the target's table is already in use by this question (e.g. the measure's table);
5. the column is used by some snippet (configured columns are the ones people mean);
6. space order: earlier table, then earlier column.
"""

from __future__ import annotations

from genie_enhance.backends.local.offline_genie.intent import Dimension, Intent, Measure
from genie_enhance.backends.local.offline_genie.mentions import Mention
from genie_enhance.backends.local.offline_genie.schema import ColumnInfo, TableInfo
from genie_enhance.backends.local.offline_genie.vocabulary import Target, Vocabulary
from genie_enhance.core.required import required

NEAR_TABLE_WORDS = 3  # "orders placed in 2024": a table this close before a time phrase owns its date


def is_key(col: ColumnInfo) -> bool:
    """Identifier-like columns (`id`, `*_id`) are labels, not quantities to add up."""
    stems = col.name_stems
    return bool(stems) and stems[-1] in ("id", "key", "code")


def _fit(t: Target, role: str) -> int:
    col = t.column if t.kind == "column" else None
    numeric = col is not None and col.category == "number" and not is_key(col)
    if role == "measure":
        return 2 if t.kind == "measure" or numeric else 1 if t.kind in ("table", "expression") else 0
    if role == "count":
        return 2 if t.kind == "table" else 1 if t.kind in ("column", "measure") else 0
    if role == "compare":
        return 2 if numeric or t.kind == "measure" else 1 if t.kind == "table" else 0
    if role == "dim":
        if t.kind in ("expression", "table") or (col is not None and not numeric):
            return 2
        return 1 if col is not None else 0
    if role == "date":
        return 2 if col is not None and col.category == "temporal" else 0
    if role == "value":
        return 2 if t.kind == "value" else 0
    return 0


class RoleChooser:
    def __init__(self, vocab: Vocabulary, mentions: list[Mention]) -> None:
        self.vocab = vocab
        self.mentions = mentions
        self.focus: list[TableInfo] = []
        for m in mentions:
            t = m.first("table")
            if t is not None and t.table not in self.focus and (m.kinds == {"table"} or int(m.rank(t)) >= 3):
                self.focus.append(t.tbl)
        self.context: list[str] = []

    def choose(self, m: Mention, role: str) -> Target:
        focus = {t.key for t in self.focus}

        def score(t: Target) -> tuple:
            table = t.table or (self.vocab.table_of(t.column) if t.column else None)
            key = table.key if table else ""
            return (
                _fit(t, role),
                m.rank(t),
                key in focus,
                key in self.context,
                bool(t.column is not None and t.column.has_snippet),
                -(table.order if table else 0),
                -(t.column.order if t.column is not None else 0),
            )

        return max(m.targets, key=score)

    def _use(self, table: TableInfo | None) -> None:
        if table is not None and table.key not in self.context:
            self.context.append(table.key)

    def measure(self, m: Mention, agg: str | None) -> Measure | None:
        """The measure a mention names under an aggregation word (None: no word, pick the natural one)."""
        t = self.choose(m, "count" if agg in ("COUNT", "COUNT_DISTINCT") else "measure")
        table = t.table or self.vocab.table_of(t.col)
        self._use(table)
        if t.kind in ("value", "filter"):
            return Measure(table, "COUNT")  # "how many premium customers": count rows; the value filters them
        m.used = True
        if t.kind == "measure":
            return Measure(table, "SNIPPET", snippet=t.snippet)
        if t.kind == "expression":
            plain = {"COUNT": "COUNT_DISTINCT", None: "SUM", "EARLIEST": "MIN", "LATEST": "MAX"}.get(agg, agg)
            return Measure(table, plain, snippet=t.snippet)
        if t.kind == "table":
            # "the latest order": its date; "the largest order", "the average order": its main quantity
            if agg in ("EARLIEST", "LATEST") and table.temporal_columns():
                return Measure(table, "MIN" if agg == "EARLIEST" else "MAX", column=table.temporal_columns()[0])
            quantity = self.first_quantity(table)
            if agg in ("MIN", "MAX", "AVG") and quantity is not None:
                return Measure(table, agg, column=quantity)
            if agg == "COUNT_DISTINCT":
                return Measure(table, "COUNT_DISTINCT", column=table.key_column())
            return Measure(table, "COUNT")
        col = t.col
        numeric = col.category == "number" and not is_key(col)
        agg = {"EARLIEST": "MIN", "LATEST": "MAX"}.get(agg, agg) if agg is not None else None
        if agg is None:
            agg = "SUM" if numeric else "COUNT_DISTINCT"
        elif agg == "COUNT":
            # "how many units": add up a quantity; "how many cities": count an attribute's different values
            agg = "SUM" if numeric else "COUNT_DISTINCT"
        elif agg in ("SUM", "AVG") and col.category != "number":
            agg = "COUNT_DISTINCT"
        return Measure(table, agg, column=col)

    def dimension(self, m: Mention, measure: Measure | None) -> Dimension | None:
        t = self.choose(m, "dim")
        m.used = True
        if t.kind == "table":
            if measure is not None and measure.table is t.table and measure.snippet is None:
                if measure.agg == "COUNT" and measure.column is None:
                    referencing = self.referencing_table(t.table)
                    if referencing is None:
                        return None
                    measure.table = referencing  # "top 10 posters": count what references each of them
                elif measure.agg == "AVG":
                    return None  # "average amount per order": per row of the measure's own table
            self._use(t.table)
            return Dimension(table=t.table)
        if t.kind == "column":
            self._use(t.table)
            return Dimension(column=t.column)
        if t.kind == "expression":
            return Dimension(snippet=t.snippet)
        m.used = False
        return None

    def main_table(self, dims: list[Mention]) -> TableInfo | None:
        """The table a question is about: the first named, else the first a grouping or any mention points into."""
        if self.focus:
            return self.focus[0]
        for m in [*dims, *self.mentions]:
            t = self.choose(m, "count")
            table = t.table or (self.vocab.table_of(t.column) if t.column else None)
            if table is not None:
                return table
        tables = list(self.vocab.tables.values())
        return tables[0] if len(tables) == 1 else None

    def date_column(self, pos: int, intent: Intent) -> ColumnInfo | None:
        """The date a time phrase at `pos` filters or groups on.

        A date/timestamp column the question names (nearest first); else one of a table named right before the
        phrase with nothing else named in between ("orders placed in 2024", not "clients spend in 2024": there
        the measure is what happened in 2024); else the measure's table, the groupings' and filters' tables, the named
        tables, then the first table of the space that has one. Within a table, its first date/timestamp column.
        """
        dated = [(abs(m.start - pos), t.column) for m in self.mentions if _fit(t := self.choose(m, "date"), "date")]
        if dated:
            return min(dated, key=lambda d: d[0])[1]
        candidates: list[TableInfo] = []
        before = [m for m in self.mentions if m.end <= pos]
        last = max(before, key=lambda m: m.end) if before else None
        if last is not None and pos - last.end <= NEAR_TABLE_WORDS and last.first("table"):
            candidates.append(required(last.first("table"), "a table target").tbl)
        if intent.measure is not None:
            candidates += [self.vocab.tables[k] for k in intent.measure.tables]
        for d in intent.dims:
            if d.table is not None or d.column is not None:
                candidates.append(d.table or self.vocab.table_of(required(d.column, "the dimension's column")))
            else:
                candidates.append(self.vocab.tables[required(d.snippet, "the dimension's snippet").tables[0]])
        candidates += [self.vocab.tables[k] for c in intent.conditions for k in c.tables]
        candidates += self.focus + list(self.vocab.tables.values())
        for table in candidates:
            if table is not None and table.temporal_columns():
                return table.temporal_columns()[0]
        return None

    def default_numeric(self, intent: Intent) -> ColumnInfo | None:
        """The quantity a bare comparison ("orders over 100") refers to: the measure's column if numeric, else the
        first non-identifier numeric column of the measure's (or the main) table."""
        m = intent.measure
        if m is not None and m.column is not None and m.column.category == "number" and not is_key(m.column):
            return m.column
        table = m.table if m is not None else self.main_table([])
        return self.first_quantity(table) if table is not None else None

    @staticmethod
    def first_quantity(table: TableInfo) -> ColumnInfo | None:
        """A table's first numeric column that is not an identifier."""
        return next((c for c in table.columns.values() if c.category == "number" and not is_key(c)), None)

    def referencing_table(self, table: TableInfo) -> TableInfo | None:
        """The first table (join-spec order) on the "many" side of a join with `table`, e.g. orders for customers.

        Ranking or grouping a table by its own row count is meaningless (one each), so a question like "top 10
        customers" counts the rows that reference each customer. The many side comes from the `--rt=` marker,
        else from which side joins on its own key column.
        """
        for edge in self.vocab.joins.neighbours(table.key):
            other = edge.other(table.key)
            if edge.relationship in ("MANY_TO_ONE", "ONE_TO_MANY"):
                if edge.fans_out_towards(other):
                    return self.vocab.tables[other]
                continue
            own, theirs = edge.column_of(table.key), edge.column_of(other)
            if own is table.key_column() and theirs is not self.vocab.tables[other].key_column():
                return self.vocab.tables[other]
        return None
