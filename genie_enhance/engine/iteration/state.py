"""What the steps of one iteration hand along (`IterationState`), and what the iteration adds up to.

Why an explicit state: the CLI chains the steps in one call, while Dagster runs each as its own asset and passes
the state between assets through its IO manager, so a step may run in another process than the one before it.
Each step therefore measures its own duration, LLM calls and cost and adds them to the state (`measured`),
instead of diffing counters across the whole iteration.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import NoReturn

from genie_enhance.engine.batch import Batch
from genie_enhance.engine.iteration.plan import Plan
from genie_enhance.engine.iteration.score import Scored
from genie_enhance.engine.iteration.snapshot import Snapshot
from genie_enhance.engine.policy import Action, Decision
from genie_enhance.engine.runtime import Runtime
from genie_enhance.tracking import FixRecord, IterationRecord, IterationSummary

STEPS = ("snapshot", "score", "plan", "validate", "apply", "complete")


@dataclass
class IterationOutcome:
    iteration: int
    snapshot: Snapshot
    scored: Scored
    decision: Decision
    batch: Batch | None
    applied_version_id: str | None


@dataclass
class IterationState:
    """What the steps of one iteration have produced so far (picklable: Dagster stores it between assets)."""

    campaign_id: str
    iteration: int
    snapshot: Snapshot | None = None
    scored: Scored | None = None
    planned: Plan | None = None
    batch: Batch | None = None
    decision: Decision | None = None
    applied_version_id: str | None = None
    outcome: IterationOutcome | None = None
    record: IterationRecord | None = None  # set when the iteration had completed before: the read-only path
    fixes: list[FixRecord] | None = None  # the recorded fixes (read-only path)
    llm_calls: int = 0
    cost_usd: float = 0.0
    durations: dict[str, float] = field(default_factory=dict)

    @property
    def historical(self) -> bool:
        return self.record is not None

    @property
    def wall_s(self) -> float:
        return sum(self.durations.values())

    def require(self, *names: str) -> None:
        """Fail clearly when a step runs before the steps it depends on."""
        missing = [n for n in names if getattr(self, n) is None]
        if missing:
            self._missing(*missing)

    def _missing(self, *names: str) -> NoReturn:
        raise ValueError(f"iteration {self.iteration} of {self.campaign_id}: step needs {', '.join(names)} first")

    # typed reads of what an earlier step produced (each fails like `require` when that step has not run)
    def need_snapshot(self) -> Snapshot:
        return self.snapshot if self.snapshot is not None else self._missing("snapshot")

    def need_scored(self) -> Scored:
        return self.scored if self.scored is not None else self._missing("scored")

    def need_plan(self) -> Plan:
        return self.planned if self.planned is not None else self._missing("planned")

    def need_decision(self) -> Decision:
        return self.decision if self.decision is not None else self._missing("decision")

    def need_record(self) -> IterationRecord:
        return self.record if self.record is not None else self._missing("record")

    def need_outcome(self) -> IterationOutcome:
        return self.outcome if self.outcome is not None else self._missing("outcome")


@contextmanager
def measured(rt: Runtime, state: IterationState, step: str) -> Iterator[None]:
    """Attribute LLM calls to this iteration and add the step's time, calls and cost to the state."""
    rt.current.update(campaign_id=state.campaign_id, iteration=state.iteration)
    started = time.monotonic()
    calls = len(rt.llm.calls) if rt.llm is not None else 0
    cost = rt.llm.total_cost_usd() if rt.llm is not None else 0.0
    try:
        yield
    finally:
        state.durations[step] = state.durations.get(step, 0.0) + time.monotonic() - started
        if rt.llm is not None:
            state.llm_calls += len(rt.llm.calls) - calls
            state.cost_usd += rt.llm.total_cost_usd() - cost


def iteration_summary(state: IterationState) -> IterationSummary:
    """The row the tracking store keeps for the iteration (and the policy reads back)."""
    scored, planned, decision, batch, applied = (state.need_scored(), state.need_plan(), state.need_decision(),
                                                 state.batch, state.applied_version_id)
    return IterationSummary(
        score_train=scored.report.score.train, score_holdout=scored.report.score.holdout,
        score_all=scored.report.score.all, objective=scored.objective, counts=scored.report.counts,
        decision="rollback" if (decision.rollback or decision.surgical) and decision.action is Action.CONTINUE
        else decision.action.value,
        decision_reason=decision.reason, stop_reason=decision.stop_reason.value if decision.stop_reason else None,
        fixes_proposed=len(planned.proposals), fixes_applied=len(batch.accepted) if applied and batch else 0,
        fixes_rejected=len(planned.rejected) + (len(batch.invalid) if batch else 0),
        genie_calls=scored.report.genie_calls, llm_calls=state.llm_calls, cost_usd=state.cost_usd,
        wall_s=state.wall_s, applied_version_id=applied,
    )
