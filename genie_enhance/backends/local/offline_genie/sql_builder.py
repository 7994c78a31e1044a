"""Render an `Intent` as one Databricks SQL query, built from sqlglot expressions.

Shape rules:
- the base table is the measure's table (for a listing, the listed table); other tables join only along
  `join_specs`, on shortest paths; a table no path reaches raises `Unrelatable`;
- tables keep their three-part identifiers and are aliased by their own name, so snippet SQL written as
  `orders.amount` reads naturally;
- grouped answers select the group columns, then the measure; ranked answers (top/bottom N, "the most X")
  select the dimension and the measure, ordered by the measure, with LIMIT; time-grain answers are ordered by
  time; other grouped answers by the measure, largest first;
- counting rows of a table through a join that may repeat them (one-to-many, many-to-many or an unknown
  relationship) counts its distinct keys instead.
"""

from __future__ import annotations

from sqlglot import exp

from genie_enhance.backends.local.offline_genie.intent import Condition, Dimension, Intent, Measure
from genie_enhance.backends.local.offline_genie.joins import JoinEdge
from genie_enhance.backends.local.offline_genie.schema import ColumnInfo, TableInfo
from genie_enhance.backends.local.offline_genie.snippets import qualify
from genie_enhance.backends.local.offline_genie.text import format_number
from genie_enhance.backends.local.offline_genie.vocabulary import Vocabulary
from genie_enhance.core.required import required
from genie_enhance.sql import DIALECT

_AGG = {"SUM": exp.Sum, "AVG": exp.Avg, "MIN": exp.Min, "MAX": exp.Max}
_CMP = {">": exp.GT, ">=": exp.GTE, "<": exp.LT, "<=": exp.LTE, "=": exp.EQ, "!=": exp.NEQ}
_PART = {"year": "YEAR", "month": "MONTH", "quarter": "QUARTER"}


class Unrelatable(Exception):
    """Two tables the question needs have no join path between them in the space."""

    def __init__(self, left: TableInfo, right: TableInfo) -> None:
        super().__init__(f"I could not relate {left.short} and {right.short}: the space defines no join between them.")
        self.left = left
        self.right = right


def _table(info: TableInfo, alias: str) -> exp.Expr:
    parts = info.parts
    table = exp.Table(this=exp.to_identifier(parts[-1]))
    if len(parts) >= 2:
        table.set("db", exp.to_identifier(parts[-2]))
    if len(parts) >= 3:
        table.set("catalog", exp.to_identifier(parts[-3]))
    return table.as_(alias) if alias else table


def _number(value: float) -> exp.Expr:
    return exp.Literal.number(format_number(value))


class SqlBuilder:
    def __init__(self, intent: Intent, vocab: Vocabulary) -> None:
        self.intent = intent
        self.vocab = vocab
        self.aliases: dict[str, str] = {}
        self.dim_columns: list[tuple[Dimension, ColumnInfo | None]] = []

    # ------------------------------------------------------------------ tables
    def base(self) -> TableInfo:
        m = self.intent.measure
        if m is not None:
            return self.vocab.tables[m.tables[0]]
        assert self.intent.select_table is not None
        return self.intent.select_table

    def _dim_column(self, d: Dimension, base: TableInfo) -> ColumnInfo | None:
        """A table named as a grouping stands for its label column, or the base table's key towards it."""
        if d.table is None:
            return d.column
        table = d.table
        label = table.label_column()
        if table is base:
            return label
        fk = self.vocab.joins.key_towards(base.key, table.key)
        if fk is not None and (label is None or label is table.key_column()):
            return fk
        if self.vocab.joins.path(base.key, table.key) is not None:
            return label
        guess = base.columns.get(f"{table.singular}_id")
        if guess is not None:
            return guess
        raise Unrelatable(base, table)

    def _needed(self, base: TableInfo) -> list[str]:
        keys: list[str] = []
        intent = self.intent
        if intent.measure is not None:
            keys += intent.measure.tables
        for d, col in self.dim_columns:
            keys += d.snippet.tables if d.snippet is not None else [col.table_key] if col is not None else []
        for c in intent.conditions:
            keys += c.tables
        keys += [c.table_key for c in intent.select]
        return [k for k in dict.fromkeys(keys) if k != base.key]

    def _joins(self, base: TableInfo) -> list[tuple[str, JoinEdge]]:
        steps, missing = self.vocab.joins.connect(base.key, self._needed(base))
        if missing is not None:
            raise Unrelatable(base, self.vocab.tables[missing])
        used = {base.short}
        for key in [base.key, *(k for k, _ in steps)]:
            alias = self.vocab.tables[key].short
            n = 2
            while alias in used and key != base.key:
                alias, n = f"{self.vocab.tables[key].short}_{n}", n + 1
            used.add(alias)
            self.aliases[key] = alias
        return steps

    # ------------------------------------------------------------------ expressions
    def col(self, c: ColumnInfo) -> exp.Column:
        return exp.column(exp.to_identifier(c.name), table=exp.to_identifier(self.aliases[c.table_key]))

    def measure_expr(self, m: Measure, fanout: bool) -> exp.Expr:
        if m.snippet is not None and m.agg == "SNIPPET":
            return qualify(m.snippet.tree, self.aliases)
        inner = None
        if m.snippet is not None:
            inner = qualify(m.snippet.tree, self.aliases)
        elif m.column is not None:
            inner = self.col(m.column)
        if m.agg is None:
            return required(inner, f"the column of the row-level measure over {m.table.short}")
        if m.agg == "COUNT" and inner is None:
            key = m.table.key_column()
            if fanout and key is not None:
                return exp.Count(this=exp.Distinct(expressions=[self.col(key)]))
            return exp.Count(this=exp.Star())
        if m.agg == "COUNT_DISTINCT":
            return exp.Count(this=exp.Distinct(expressions=[inner]))
        if m.agg == "COUNT":
            return exp.Count(this=inner)
        return _AGG[m.agg](this=inner)

    def dim_expr(self, d: Dimension, col: ColumnInfo | None) -> exp.Expr:
        if d.snippet is not None:
            return qualify(d.snippet.tree, self.aliases)
        column = self.col(required(col, "the dimension's column"))
        if d.grain:
            return exp.TimestampTrunc(this=column, unit=exp.var(d.grain))
        return column

    def condition(self, c: Condition, fanout: bool) -> exp.Expr:
        if c.kind == "snippet":
            return exp.paren(qualify(required(c.snippet, "a snippet condition's snippet").tree, self.aliases))
        target: exp.Expr
        values: list[exp.Expr]
        if c.kind == "equals":
            target = self.col(required(c.column, "an equals condition's column"))
            lits = [exp.Literal.string(v) for v in c.values]
            cond = exp.EQ(this=target, expression=lits[0]) if len(lits) == 1 else exp.In(this=target, expressions=lits)
            if c.op == "=":
                return cond
            return exp.not_(cond) if len(lits) > 1 else exp.NEQ(this=target, expression=lits[0])
        if c.kind in _PART:
            target = exp.Anonymous(this=_PART[c.kind], expressions=[self.col(required(c.column, "a date part's column"))])
            values = [_number(v) for v in c.values]
        elif c.kind == "date":
            target = exp.cast(self.col(required(c.column, "a date condition's column")), "DATE")
            values = [exp.cast(exp.Literal.string(v), "DATE") for v in c.values]
        else:
            target = (self.measure_expr(c.measure, fanout) if c.measure is not None
                      else self.col(required(c.column, "a comparison's column")))
            values = [_number(v) for v in c.values]
        if c.op == "between":
            return exp.Between(this=target, low=values[0], high=values[1])
        return _CMP[c.op](this=target, expression=values[0])

    # ------------------------------------------------------------------ query
    def build(self) -> exp.Select:
        intent = self.intent
        base = self.base()
        self.dim_columns = [(d, self._dim_column(d, base)) for d in intent.dims]
        steps = self._joins(base)
        fanout = any(edge.fans_out_towards(key) for key, edge in steps)
        query = exp.Select().from_(_table(base, self.aliases[base.key]))
        for key, edge in steps:
            joined = _table(self.vocab.tables[key], self.aliases[key])
            query = query.join(joined, on=qualify(edge.condition, self.aliases))
        if intent.measure is None:
            query = query.select(*(self.col(c) for c in intent.select))
            if intent.distinct:
                query = query.distinct()
        else:
            query = self._aggregate(query, fanout)
        where = [self.condition(c, fanout) for c in intent.conditions if c.measure is None]
        having = [self.condition(c, fanout) for c in intent.conditions if c.measure is not None]
        if where:
            query = query.where(*where)
        if having:
            query = query.having(*having)
        return query

    def _aggregate(self, query: exp.Select, fanout: bool) -> exp.Select:
        intent, m = self.intent, required(self.intent.measure, "the aggregate's measure")
        dims = [(d, self.dim_expr(d, c)) for d, c in self.dim_columns]
        measure = self.measure_expr(m, fanout)
        alias = m.alias or "value"
        query = query.select(*(exp.alias_(e, d.alias) if d.alias else e for d, e in dims), exp.alias_(measure, alias))
        if dims and m.agg is not None:
            query = query.group_by(*(e for _, e in dims))
        desc = bool(intent.rank is None or intent.rank.descending)
        # nulls where Databricks puts them by default (first ascending, last descending): no NULLS clause
        order_measure = exp.Ordered(this=exp.to_identifier(alias), desc=desc, nulls_first=not desc)
        time = [e for d, e in dims if d.grain]
        if intent.rank is not None:
            query = query.order_by(order_measure).limit(intent.rank.limit)
        elif time:
            query = query.order_by(*time)
        elif dims and m.agg is not None:
            query = query.order_by(order_measure)
        return query

def build_sql(intent: Intent, vocab: Vocabulary) -> str:
    """Databricks SQL for an intent; raises `Unrelatable` when the needed tables cannot be joined."""
    return SqlBuilder(intent, vocab).build().sql(dialect=DIALECT)
