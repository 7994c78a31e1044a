"""The Genie and Warehouse protocols, and the values that cross them.

`Genie.ask`, `Warehouse.execute` and `SpaceStore.export/update` (in `genie_enhance.space.store`, beside the model it
stores) are all a backend has to provide; the local (DuckDB + offline Genie) and Databricks backends implement
them, so every engine function runs on either. They live here, below `scoring`, `space` and `backends`, so that
each of those imports them without importing one another.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Protocol, runtime_checkable

import pandas as pd

from genie_enhance.core.catalog import Catalog


@dataclass
class ResultSet:
    """A query result: column names, their warehouse type names, and typed rows held in a DataFrame.

    The frame's own column labels are positional (`c0`, `c1`, …) because result column names may repeat.
    """

    columns: list[str]
    frame: pd.DataFrame
    column_types: list[str] = field(default_factory=list)
    truncated: bool = False

    @classmethod
    def from_rows(cls, columns: list[str], rows: Iterable[Iterable[Any]], column_types: list[str] | None = None) -> ResultSet:
        labels = [f"c{i}" for i in range(len(columns))]
        frame = pd.DataFrame([tuple(r) for r in rows], columns=labels, dtype=object) if columns else pd.DataFrame()
        if len(frame.columns) == len(labels):
            frame = frame.infer_objects()
        return cls(list(columns), frame, list(column_types or ["" for _ in columns]))

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, column_types: list[str] | None = None, truncated: bool = False) -> ResultSet:
        columns = [str(c) for c in frame.columns]
        positional = frame.copy(deep=False)
        positional.columns = [f"c{i}" for i in range(len(columns))]
        return cls(columns, positional.reset_index(drop=True), list(column_types or ["" for _ in columns]), truncated)

    @property
    def row_count(self) -> int:
        return len(self.frame)

    @property
    def rows(self) -> list[tuple[Any, ...]]:
        """Rows as Python tuples (NaN/NaT shown as None)."""
        if self.frame.empty:
            return []
        clean = self.frame.astype(object).where(self.frame.notna(), None)
        return [tuple(r) for r in clean.itertuples(index=False, name=None)]


class AnswerStatus(str, Enum):
    COMPLETED = "completed"  # answered (with SQL, or text only)
    FAILED = "failed"  # the service reported an error
    TIMEOUT = "timeout"  # no terminal state within the per-question timeout
    CANCELLED = "cancelled"


@dataclass
class GenieAnswer:
    """What Genie answered to one question. `sql` is None for a text-only answer or a failure."""

    question: str
    sql: str | None = None
    text: str | None = None
    status: AnswerStatus = AnswerStatus.COMPLETED
    error: str | None = None
    error_type: str | None = None  # e.g. RATE_LIMIT_EXCEEDED, SQL_EXECUTION_EXCEPTION, HTTP_503
    latency_s: float = 0.0
    retryable: bool = False
    meta: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class Genie(Protocol):
    def ask(self, question: str) -> GenieAnswer: ...


@runtime_checkable
class Warehouse(Protocol):
    def execute(self, sql: str, limit: int | None = None) -> ResultSet:
        """Run one read-only Databricks SQL statement; `limit` caps the rows fetched (0 = plan and check only)."""
        ...

    def catalog(self, identifiers: Iterable[str] | None = None) -> Catalog:
        """Tables and columns (all, or only those named)."""
        ...

    def distinct_values(self, identifier: str, column: str, limit: int = 1024) -> list[str]:
        """Up to `limit` distinct non-null values of a column, as strings (entity matching): the most frequent
        first, ties alphabetically, so a capped value dictionary holds the values questions most often name."""
        ...
