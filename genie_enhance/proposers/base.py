"""What every proposer shares: the proposal it returns, the context it reads, and the protocol it implements.

Why a context object: a proposer must see only *train* failures (never a holdout question or its SQL), the current
config, the catalog and the warehouse (to ground its fixes in data), what earlier campaigns learned (`lessons`) and
which fixes were already reverted or found invalid in this campaign (`blocked_keys`, never proposed again;
`blocked_reasons` says why). Everything else a
proposer needs it derives from these.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field, model_validator

from genie_enhance.core.catalog import Catalog
from genie_enhance.core.protocols import Warehouse
from genie_enhance.diagnosis import Diagnosis
from genie_enhance.proposers.lessons import Lesson
from genie_enhance.scoring.categories import FailureCategory
from genie_enhance.scoring.runner import QuestionResult
from genie_enhance.space.fixes import Fix
from genie_enhance.space.model import SerializedSpace


class Proposal(BaseModel):
    """One proposed config fix, with why it was proposed and which train failures it targets."""

    model_config = ConfigDict(frozen=True)

    fix: Fix
    proposer: str  # "heuristic" | "llm:<model>"
    rationale: str  # why, with the evidence
    question_ids: list[str]  # train questions it targets
    category: FailureCategory  # the failure category it addresses
    expected_effect: str = ""  # e.g. "fixes 2 train failures (q1, q2)"
    evidence: dict[str, Any] = Field(default_factory=dict)  # machine-readable grounding (data probes, SQL parts)

    @property
    def key(self) -> str:
        return self.fix.key

    def describe(self) -> str:
        return f"{self.fix.describe()} [{self.proposer}; {self.category.value}; {', '.join(self.question_ids)}]"


class ProposerContext(BaseModel):
    """Everything a proposer may read. `train_failures` holds TRAIN results only — never holdout."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    space: SerializedSpace
    catalog: Catalog
    warehouse: Warehouse
    train_failures: list[tuple[QuestionResult, Diagnosis]]
    # every scored TRAIN question, passing ones too: a phrase taught for one failure must not contradict what the
    # same phrase means in the other train questions (that is how a fix regresses passing questions)
    train_results: list[QuestionResult] = Field(default_factory=list)
    lessons: list[Lesson] = Field(default_factory=list)
    iteration: int = 0
    blocked_keys: set[str] = Field(default_factory=set)  # keys of fixes reverted or invalid earlier in the campaign
    blocked_reasons: dict[str, str] = Field(default_factory=dict)  # key → why it is blocked (for the record)

    @model_validator(mode="after")
    def _train_only(self) -> ProposerContext:
        """A holdout result must never reach a proposer: the holdout score would stop measuring generalisation."""
        leaked = [r.id for r in [*(r for r, _ in self.train_failures), *self.train_results] if r.role != "train"]
        if leaked:
            raise ValueError(f"proposers see train questions only; got holdout results {', '.join(sorted(set(leaked)))}")
        return self

    def failure_ids(self) -> list[str]:
        return [result.id for result, _ in self.train_failures]


@runtime_checkable
class Proposer(Protocol):
    name: str

    def propose(self, ctx: ProposerContext) -> list[Proposal]: ...


class ProposalSet(BaseModel):
    """The proposals to validate and apply (`kept`) and the ones dropped, each with the reason."""

    kept: list[Proposal] = Field(default_factory=list)
    rejected: list[tuple[Proposal, str]] = Field(default_factory=list)

    @property
    def fixes(self) -> list[Fix]:
        return [p.fix for p in self.kept]

    def addressed_ids(self) -> set[str]:
        """Train question ids some kept proposal targets."""
        return {qid for p in self.kept for qid in p.question_ids}
