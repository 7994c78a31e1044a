"""What a question asks for, resolved to schema objects but not yet to SQL (parser output, builder input)."""

from __future__ import annotations

from dataclasses import dataclass, field

from genie_enhance.backends.local.offline_genie.schema import ColumnInfo, TableInfo
from genie_enhance.backends.local.offline_genie.snippets import Snippet

AGG_PREFIX = {"SUM": "total", "AVG": "avg", "MIN": "min", "MAX": "max", "COUNT_DISTINCT": "distinct"}


@dataclass
class Measure:
    """An aggregate (`agg` COUNT | COUNT_DISTINCT | SUM | AVG | MIN | MAX) or a raw column (`agg` None, row-level).

    `column` None with COUNT means COUNT(*) over `table`; a measure snippet carries its own aggregation, an
    expression snippet is aggregated with `agg`.
    """

    table: TableInfo
    agg: str | None = "COUNT"
    column: ColumnInfo | None = None
    snippet: Snippet | None = None

    @property
    def alias(self) -> str:
        if self.snippet is not None and self.snippet.kind == "measure":
            return self.snippet.name
        base = self.snippet.name if self.snippet is not None else (self.column.name if self.column else "")
        if self.agg is None:
            return base
        if self.agg == "COUNT" and not base:
            return f"{self.table.singular}_count"
        if self.agg in ("COUNT", "COUNT_DISTINCT"):
            return f"{base}_count" if self.agg == "COUNT" else f"distinct_{base}_count"
        return f"{AGG_PREFIX[self.agg]}_{base}"

    @property
    def tables(self) -> list[str]:
        if self.snippet is not None:
            return list(self.snippet.tables)
        return [self.column.table_key if self.column else self.table.key]


@dataclass
class Dimension:
    """A grouping: a column (optionally truncated to a time `grain`), an expression snippet, or a table's label."""

    column: ColumnInfo | None = None
    snippet: Snippet | None = None
    grain: str | None = None
    table: TableInfo | None = None

    @property
    def alias(self) -> str | None:
        if self.grain:
            return self.grain.lower()
        if self.snippet is not None:
            return self.snippet.name
        return None


@dataclass
class Condition:
    """A WHERE (or, with `having`, HAVING) condition.

    kind: `equals` (column IN values), `snippet` (filter snippet), `compare` (column or measure `op` values),
    `year` / `month` / `quarter` (part of a temporal column `op` value), `date` (temporal column `op` dates).
    """

    kind: str
    column: ColumnInfo | None = None
    snippet: Snippet | None = None
    measure: Measure | None = None
    op: str = "="
    values: list = field(default_factory=list)

    @property
    def tables(self) -> list[str]:
        if self.snippet is not None:
            return list(self.snippet.tables)
        if self.measure is not None:
            return self.measure.tables
        return [self.column.table_key] if self.column else []


@dataclass
class Rank:
    limit: int
    descending: bool = True


@dataclass
class Intent:
    """The parsed question. Exactly one of `measure` (aggregate/ranked answer) or `select` (row listing) drives it."""

    question: str
    measure: Measure | None = None
    dims: list[Dimension] = field(default_factory=list)
    conditions: list[Condition] = field(default_factory=list)
    rank: Rank | None = None
    select: list[ColumnInfo] = field(default_factory=list)
    select_table: TableInfo | None = None
    distinct: bool = False
    focus: list[TableInfo] = field(default_factory=list)
    problem: str | None = None

    @property
    def grouped(self) -> bool:
        return bool(self.dims) and self.measure is not None and self.measure.agg is not None
