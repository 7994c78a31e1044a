"""One train failure prepared for the fix families, and the candidate fixes they return.

A candidate belongs to an *aspect* of the failure (a join, the measure, one grouping, one filter, one value) and
has a *rung*: the families offer, per aspect, a ladder of fixes from the lightest (a synonym) to heavier ones
(a snippet, a description). The proposer takes, per aspect, the first rung not already in the space; a failure
whose ladders are all in place and still fails gets a parameterized example as the last resort.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from genie_enhance.diagnosis import Diagnosis
from genie_enhance.proposers.base import ProposerContext
from genie_enhance.proposers.heuristic.data import DataProbe
from genie_enhance.proposers.heuristic.reading import Reading, read_question
from genie_enhance.proposers.heuristic.shape import ColumnRef, QueryShape, analyse
from genie_enhance.proposers.heuristic.vocab import SpaceVocabulary, build_vocabulary
from genie_enhance.scoring.categories import FailureCategory
from genie_enhance.scoring.runner import QuestionResult
from genie_enhance.space.fixes import Fix
from genie_enhance.space.model import SerializedSpace


@dataclass
class Candidate:
    fix: Fix
    family: str  # joins | entities | snippets | synonyms | descriptions | examples
    aspect: str
    rung: int
    rationale: str
    expected_effect: str
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass
class FailureCase:
    result: QuestionResult
    diagnosis: Diagnosis
    reading: Reading
    expected: QueryShape
    generated: QueryShape | None

    @property
    def qid(self) -> str:
        return self.result.id

    @property
    def question(self) -> str:
        return self.result.question

    @property
    def category(self) -> FailureCategory:
        return self.diagnosis.category


class Workbench:
    """What the families share for one proposer run: the space, its vocabulary, the catalog and data probes."""

    def __init__(self, ctx: ProposerContext) -> None:
        self.ctx = ctx
        self.space: SerializedSpace = ctx.space
        self.catalog = ctx.catalog
        self.vocab: SpaceVocabulary = build_vocabulary(ctx.space, ctx.catalog)
        self.schema_vocab: SpaceVocabulary = build_vocabulary(ctx.space, ctx.catalog, configured=False)
        self.probe = DataProbe(ctx.warehouse)
        shorts: dict[str, list[str]] = {}
        for table in self.space.all_tables():
            shorts.setdefault(table.identifier.rsplit(".", 1)[-1].lower(), []).append(table.identifier.lower())
        # a snippet qualifies a column by its table's name, or the full identifier when two tables share a name
        self.names = {full: (short if len(fulls) == 1 else full) for short, fulls in shorts.items() for full in fulls}

    def in_space(self, table: str) -> bool:
        return self.space.table(table) is not None

    def identifier(self, table: str) -> str:
        """The identifier as the space spells it (fixes address tables that way)."""
        found = self.space.table(table)
        return found.identifier if found is not None else table

    def column_type(self, ref: ColumnRef) -> str:
        return self.catalog.columns(ref.table).get(ref.column, "")

    def is_text(self, ref: ColumnRef) -> bool:
        dtype = self.column_type(ref).upper()
        return any(k in dtype for k in ("CHAR", "STRING", "TEXT", "VARCHAR"))

    def is_numeric(self, ref: ColumnRef) -> bool:
        dtype = self.column_type(ref).upper()
        return any(k in dtype for k in ("INT", "DECIMAL", "NUMERIC", "DOUBLE", "FLOAT", "REAL", "LONG", "NUMBER"))

    def column_config(self, ref: ColumnRef):
        table = self.space.table(ref.table)
        return table.column(ref.column) if table is not None else None

    def synonyms(self, ref: ColumnRef) -> list[str]:
        config = self.column_config(ref)
        return list(config.synonyms or []) if config is not None else []

    def case(self, result: QuestionResult, diagnosis: Diagnosis) -> FailureCase | None:
        expected = analyse(result.expected_sql, self.catalog)
        if expected is None:
            return None
        reading = read_question(result.question, self.schema_vocab)
        return FailureCase(result, diagnosis, reading, expected, analyse(result.generated_sql, self.catalog))
