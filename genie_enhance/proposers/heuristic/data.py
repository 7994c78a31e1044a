"""Facts measured in the warehouse that ground a fix: key uniqueness, whether a value is stored, cardinality.

Why: a join's relationship type, an entity-matching switch or a value in a snippet is only trustworthy when the
data says so (an ungrounded fix is how optimizers lower accuracy). Every probe is one small read-only aggregate,
built with sqlglot (no string pasting of values), cached for the proposer run, and a failed probe is "unknown"
rather than an error: a fix that cannot be grounded is simply not proposed.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

from genie_enhance.core.protocols import Warehouse
from genie_enhance.errors import GenieEnhanceError
from genie_enhance.proposers.heuristic.terms import folded
from genie_enhance.sql import DIALECT

MAX_ENTITY_VALUES = 1024  # Genie indexes at most this many distinct values per column
MAX_VALUE_CHARS = 127  # … each at most this long


@dataclass(frozen=True)
class ColumnStats:
    rows: int
    non_null: int
    distinct: int
    max_length: int | None = None

    @property
    def unique(self) -> bool:
        """Every non-null value appears once (a key side of a join)."""
        return self.non_null > 0 and self.distinct == self.non_null

    @property
    def categorical(self) -> bool:
        """Few enough short distinct values for Genie's value dictionary."""
        return 0 < self.distinct <= MAX_ENTITY_VALUES and (self.max_length or 0) <= MAX_VALUE_CHARS


def _table(identifier: str) -> exp.Table:
    return exp.to_table(identifier, dialect=DIALECT)


def _col(column: str) -> exp.Column:
    return exp.column(exp.to_identifier(column, quoted=True))


class DataProbe:
    """Cached warehouse probes for one proposer run."""

    def __init__(self, warehouse: Warehouse) -> None:
        self.warehouse = warehouse
        self._stats: dict[tuple[str, str, bool], ColumnStats | None] = {}
        self._values: dict[tuple[str, str, str], str | None] = {}
        self._indexed: dict[tuple[str, str], list[str]] = {}

    def _rows(self, query: exp.Expr) -> list[tuple] | None:
        try:
            return self.warehouse.execute(query.sql(dialect=DIALECT)).rows
        except (GenieEnhanceError, ValueError, RuntimeError):
            return None

    def stats(self, table: str, column: str, *, lengths: bool = False) -> ColumnStats | None:
        """Row count, non-null count, distinct count (and, for text, the longest value) of a column."""
        key = (table.lower(), column.lower(), lengths)
        if key not in self._stats:
            parts: list[exp.Expr] = [
                exp.Count(this=exp.Star()),
                exp.Count(this=_col(column)),
                exp.Count(this=exp.Distinct(expressions=[_col(column)])),
            ]
            if lengths:
                parts.append(exp.Max(this=exp.Length(this=exp.cast(_col(column), "STRING"))))
            rows = self._rows(exp.select(*parts).from_(_table(table)))
            if not rows:
                self._stats[key] = None
            else:
                row = rows[0]
                self._stats[key] = ColumnStats(int(row[0] or 0), int(row[1] or 0), int(row[2] or 0),
                                               int(row[3]) if lengths and row[3] is not None else None)
        return self._stats[key]

    def stored_value(self, table: str, column: str, value: str) -> str | None:
        """The value as stored when some row holds it (ignoring case), else None."""
        key = (table.lower(), column.lower(), value)
        if key not in self._values:
            lowered = exp.Lower(this=exp.cast(_col(column), "STRING"))
            query = (
                exp.select(_col(column)).from_(_table(table))
                .where(exp.EQ(this=lowered, expression=exp.Literal.string(value.lower())))
                .order_by(_col(column)).limit(1)
            )
            rows = self._rows(query)
            self._values[key] = str(rows[0][0]) if rows and rows[0][0] is not None else None
        return self._values[key]

    def indexed_value(self, table: str, column: str, value: str) -> str | None:
        """The stored value among the ≤1024 most frequent distinct values a value dictionary would index (matched
        ignoring case and punctuation), else None: entity matching cannot place a value it does not index."""
        key = (table.lower(), column.lower())
        if key not in self._indexed:
            try:
                self._indexed[key] = self.warehouse.distinct_values(table, column, MAX_ENTITY_VALUES)
            except (GenieEnhanceError, ValueError, RuntimeError):
                self._indexed[key] = []
        target = folded(value)
        return next((v for v in self._indexed[key] if v is not None and folded(v) == target), None)

    def non_null_everywhere(self, table: str, column: str) -> bool:
        stats = self.stats(table, column)
        return stats is not None and stats.rows > 0 and stats.non_null == stats.rows

    def relationship(self, left_table: str, left_column: str, right_table: str, right_column: str) -> str | None:
        """MANY_TO_ONE / ONE_TO_MANY / ONE_TO_ONE / MANY_TO_MANY measured from key uniqueness on each side."""
        left = self.stats(left_table, left_column)
        right = self.stats(right_table, right_column)
        if left is None or right is None or not left.non_null or not right.non_null:
            return None
        return {
            (False, True): "MANY_TO_ONE", (True, False): "ONE_TO_MANY",
            (True, True): "ONE_TO_ONE", (False, False): "MANY_TO_MANY",
        }[(left.unique, right.unique)]
