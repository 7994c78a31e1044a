"""The keep / roll back / stop policy: a pure function of the campaign's scored history.

Why pure: the CLI and the Dagster sensor must take the same decision from the same history, tests must be able to
state every case as data, and a resumed campaign must decide exactly as the uninterrupted one would have.
"""

from __future__ import annotations

from enum import Enum

from pydantic import BaseModel, Field


class StopReason(str, Enum):
    CONVERGED = "converged"
    STALLED = "stalled"
    MAX_ITERATIONS = "max_iterations"
    NO_FIXES = "no_fixes"
    BUDGET = "budget"
    CONCURRENT_EDIT = "concurrent_edit"  # someone else edited the live space and the batch could not be rebased


class Action(str, Enum):
    CONTINUE = "continue"
    STOP = "stop"


class Policy(BaseModel):
    """Campaign limits and tolerances (all scores are fractions in [0, 1])."""

    target: float = Field(0.9, ge=0, le=1, description="objective (holdout score) at which the campaign converges")
    max_iterations: int = Field(6, ge=1, description="iterations before the campaign stops; 1 only scores the "
                                "space (a batch is judged by the next iteration's score)")
    patience: int = Field(2, ge=1, description="iterations without gain before `stalled`")
    noise_tolerance: float = Field(0.0, ge=0, description="objective drop tolerated before a batch is rolled back")
    min_gain: float = Field(1e-9, ge=0, description="smallest objective/train increase that counts as a gain")
    max_cost_usd: float | None = Field(None, ge=0, description="stop when the LLM calls cost this much (USD)")
    max_wall_s: float | None = Field(None, ge=0, description="stop after this many seconds of iterations")
    min_answered: float = Field(0.9, ge=0, le=1, description="share of holdout (and train) questions that must "
                                "be answered (not API errors) for an iteration to decide anything")


class ScoredIteration(BaseModel):
    """What the policy needs to know about one scored iteration."""

    iteration: int
    version_id: str
    objective: float | None = None
    train: float | None = None
    batch_applied: bool = False  # a batch was applied on top of this iteration's config
    cost_usd: float = 0.0
    wall_s: float = 0.0
    answered: float = Field(1.0, ge=0, le=1, description="lowest share of answered questions (holdout, train)")
    surgical: bool = False  # the batch applied after this iteration is a surgical candidate (judged, never gated)


class Decision(BaseModel):
    action: Action
    stop_reason: StopReason | None = None
    rollback: bool = False  # the last batch is harmful: restore `best_version_id`'s exact bytes
    best_iteration: int
    best_version_id: str
    reason: str
    inconclusive: bool = False  # too few answers: no keep, no rollback, no convergence; nothing new is proposed
    surgical: bool = False  # the next batch is the last one minus `removed`, built on the version before it
    regressed: list[str] = Field(default_factory=list)  # questions the last batch took from pass to fail
    removed: list[str] = Field(default_factory=list)  # keys of the fixes the gate takes out of the last batch


def _score(value: float | None) -> float:
    return -1.0 if value is None else value


def best_iteration(history: list[ScoredIteration]) -> ScoredIteration:
    """Highest objective, then highest train score; the earliest wins a tie (fewest changes)."""
    best = history[0]
    for item in history[1:]:
        if (_score(item.objective), _score(item.train)) > (_score(best.objective), _score(best.train)):
            best = item
    return best


def _is_harmful(prev: ScoredIteration, last: ScoredIteration, policy: Policy) -> bool:
    """The batch applied after `prev` lowered the objective beyond tolerance, or kept it and lowered train."""
    drop = _score(prev.objective) - _score(last.objective)
    if drop > policy.noise_tolerance:
        return True
    train_drop = _score(prev.train) - _score(last.train)
    return drop >= -policy.min_gain and train_drop > policy.noise_tolerance


def _iterations_without_gain(history: list[ScoredIteration], policy: Policy) -> int:
    best = history[0]
    stale = 0
    for item in history[1:]:
        gained = _score(item.objective) > _score(best.objective) + policy.min_gain or (
            abs(_score(item.objective) - _score(best.objective)) <= policy.min_gain
            and _score(item.train) > _score(best.train) + policy.min_gain
        )
        if gained:
            best, stale = item, 0
        else:
            stale += 1
    return stale


def conclusive(history: list[ScoredIteration], policy: Policy) -> list[ScoredIteration]:
    """The iterations whose scores rest on enough answers to compare, keep, roll back or converge on."""
    return [h for h in history if h.answered >= policy.min_answered]


def regressed(history: list[ScoredIteration], policy: Policy) -> bool:
    """The rollback rule: the batch applied before the last iteration made it worse (`_is_harmful`), judged
    between conclusive iterations only; an inconclusive last iteration judges nothing. The `no_score_regression`
    asset check reports this very rule, so the check and the decision cannot disagree."""
    if not history or history[-1].answered < policy.min_answered:
        return False
    scored = conclusive(history, policy)
    if len(scored) < 2 or not scored[-2].batch_applied:
        return False
    if scored[-2].surgical:  # a surgical candidate stays only if neither the batch nor the version before it beats it
        return any(_is_harmful(other, scored[-1], policy) for other in scored[-3:-1])
    return _is_harmful(scored[-2], scored[-1], policy)


def decide(history: list[ScoredIteration], policy: Policy) -> Decision:
    """Decide after the last iteration of `history` was scored (before anything new is proposed).

    Scores are compared only between conclusive iterations: an inconclusive one (too many API errors) is
    skipped, so the batch applied before it is judged by the next conclusive iteration. Budgets and the
    iteration cap count every iteration."""
    if not history:
        raise ValueError("decide() needs at least one scored iteration")
    last = history[-1]
    if last.answered < policy.min_answered:
        return _inconclusive(history, policy)
    scored = conclusive(history, policy)
    best = best_iteration(scored)
    rollback = regressed(history, policy)
    current = best if rollback else last
    base = dict(rollback=rollback, best_iteration=best.iteration, best_version_id=best.version_id)
    note = (f"batch after iteration {scored[-2].iteration} lowered the score; restoring iteration {best.iteration}. "
            if rollback else "")
    if rollback and scored[-2].surgical:
        note = (f"the surgical candidate applied after iteration {scored[-2].iteration} scored below the batch or the "
                f"version before it; restoring iteration {best.iteration}. ")

    def stop(reason: StopReason, why: str) -> Decision:
        return Decision(action=Action.STOP, stop_reason=reason, reason=note + why, **base)

    if current.objective is not None and current.objective >= policy.target:
        return stop(StopReason.CONVERGED, f"objective {current.objective:.3f} ≥ target {policy.target:.3f}")
    limit = _limit_reached(history, policy)
    if limit is not None:
        return stop(*limit)
    stale = _iterations_without_gain(scored, policy)
    if stale >= policy.patience:
        return stop(StopReason.STALLED, f"no gain for {stale} iterations (patience {policy.patience})")
    return Decision(action=Action.CONTINUE, reason=note + "score below target; propose the next batch", **base)


def _inconclusive(history: list[ScoredIteration], policy: Policy) -> Decision:
    """Too few answers to judge the last iteration: keep the live config as it is, unjudged, and score it again
    next iteration (unless a budget or the iteration cap ends the campaign)."""
    last = history[-1]
    best = best_iteration(conclusive(history, policy) or history)
    why = (f"inconclusive: only {last.answered:.0%} of the questions were answered (API errors; need "
           f"{policy.min_answered:.0%}); no keep, no rollback, no convergence")
    base = dict(best_iteration=best.iteration, best_version_id=best.version_id, inconclusive=True)
    limit = _limit_reached(history, policy)
    if limit is not None:
        return Decision(action=Action.STOP, stop_reason=limit[0], reason=f"{why}; {limit[1]}", **base)
    return Decision(action=Action.CONTINUE, reason=f"{why}; the same config is scored again next iteration", **base)


def _limit_reached(history: list[ScoredIteration], policy: Policy) -> tuple[StopReason, str] | None:
    """The budget or iteration cap that ends the campaign now, if any."""
    cost = sum(h.cost_usd for h in history)
    wall = sum(h.wall_s for h in history)
    if policy.max_cost_usd is not None and cost >= policy.max_cost_usd:
        return StopReason.BUDGET, f"cost ${cost:.4f} reached the cap ${policy.max_cost_usd:.4f}"
    if policy.max_wall_s is not None and wall >= policy.max_wall_s:
        return StopReason.BUDGET, f"wall time {wall:.1f}s reached the cap {policy.max_wall_s:.1f}s"
    if len(history) >= policy.max_iterations:
        return StopReason.MAX_ITERATIONS, f"{len(history)} of {policy.max_iterations} iterations done"
    return None


def decide_concurrent_edit(decision: Decision, why: str) -> Decision:
    """Someone else edited the live space mid-iteration and the batch could not be rebased onto their edit."""
    return decision.model_copy(update={"action": Action.STOP, "stop_reason": StopReason.CONCURRENT_EDIT,
                                       "reason": f"{decision.reason}; {why}"})


def decide_no_fixes(decision: Decision) -> Decision:
    """The proposers produced nothing valid to apply: the campaign cannot improve further."""
    return decision.model_copy(
        update={"action": Action.STOP, "stop_reason": StopReason.NO_FIXES,
                "reason": decision.reason + "; no valid fixes to apply"}
    )


# ------------------------------------------------------------------------------ per-question regression gate
class GateVerdict(str, Enum):
    JUDGE_WHOLE = "judge_whole"  # the batch is kept or rolled back whole, by the rules above
    SURGICAL = "surgical"  # measure a candidate: the version before the batch plus the batch minus the implicated
    ROLLBACK_WHOLE = "rollback_whole"  # every fix is implicated: the candidate would be the previous version


class GateInput(BaseModel):
    """What the engine measured about the last batch: questions that went pass → fail and the fixes touching them."""

    regressed: list[str] = Field(default_factory=list)
    implicated: list[str] = Field(default_factory=list)  # keys of the batch's fixes that touch a regressed question
    batch_fixes: int = 0  # fixes the batch applied
    scored: int = 0  # questions scored in both iterations


def regression_allowance(policy: Policy, scored: int) -> int:
    """Regressions tolerated as noise: the noise tolerance's share of the questions scored (0 when noise-free)."""
    return int(policy.noise_tolerance * scored + 1e-9)


# The gate rule as data: the first row whose condition holds decides. Conditions are named in `_GATE_CONDITIONS`.
GATE_RULES: tuple[tuple[str, GateVerdict], ...] = (
    ("no_batch", GateVerdict.JUDGE_WHOLE),  # nothing was applied before the last scoring
    ("within_allowance", GateVerdict.JUDGE_WHOLE),  # regressions ≤ the noise allowance
    ("candidate_batch", GateVerdict.JUDGE_WHOLE),  # the batch is a surgical candidate: best of the three is kept
    ("unattributed", GateVerdict.JUDGE_WHOLE),  # no fix touches what the regressed questions use
    ("no_room", GateVerdict.JUDGE_WHOLE),  # a budget or the iteration cap leaves no iteration to measure a candidate
    ("all_implicated", GateVerdict.ROLLBACK_WHOLE),
    ("otherwise", GateVerdict.SURGICAL),
)


def gate_verdict(history: list[ScoredIteration], gate: GateInput, policy: Policy) -> tuple[str, GateVerdict]:
    """The first `GATE_RULES` row that holds for the last batch, as (condition, verdict)."""
    scored = conclusive(history, policy)
    prev = scored[-2] if len(scored) > 1 else None
    conditions = {
        "no_batch": prev is None or not prev.batch_applied or history[-1].answered < policy.min_answered,
        "within_allowance": len(gate.regressed) <= regression_allowance(policy, gate.scored),
        "candidate_batch": prev is not None and prev.surgical,
        "unattributed": not gate.implicated,
        "no_room": _limit_reached(history, policy) is not None,
        "all_implicated": len(set(gate.implicated)) >= gate.batch_fixes,
        "otherwise": True,
    }
    return next((name, verdict) for name, verdict in GATE_RULES if conditions[name])


def decide_gate(decision: Decision, history: list[ScoredIteration], gate: GateInput, policy: Policy) -> Decision:
    """Apply the regression gate to `decide`'s decision: a batch that broke more passing questions than the noise
    allowance is not kept whole; the fixes touching them are taken out (surgical) or, when all are, it goes."""
    condition, verdict = gate_verdict(history, gate, policy)
    regressed = {"regressed": sorted(gate.regressed)}
    if verdict is GateVerdict.JUDGE_WHOLE:
        return decision.model_copy(update=regressed) if condition != "no_batch" else decision
    scored = conclusive(history, policy)
    prev = scored[-2]
    broke = f"the batch after iteration {prev.iteration} broke {len(gate.regressed)} passing question(s) " \
            f"(allowance {regression_allowance(policy, gate.scored)}): {', '.join(sorted(gate.regressed))}"
    if verdict is GateVerdict.ROLLBACK_WHOLE:
        best = best_iteration(scored[:-1])
        return Decision(action=Action.CONTINUE, rollback=True, best_iteration=best.iteration,
                        best_version_id=best.version_id, removed=sorted(set(gate.implicated)), **regressed,
                        reason=f"{broke}; every fix touches them: restoring iteration {best.iteration}")
    return Decision(action=Action.CONTINUE, surgical=True, best_iteration=decision.best_iteration,
                    best_version_id=decision.best_version_id, removed=sorted(set(gate.implicated)), **regressed,
                    reason=f"surgical rollback: {broke}; removing {len(set(gate.implicated))} of {gate.batch_fixes} "
                           f"fixes ({', '.join(sorted(set(gate.implicated)))}) and measuring the rest on "
                           "the version the batch was built on")
