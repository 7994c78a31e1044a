"""Asset checks of the loop: the blocking validity gate before anything is applied, and score regression.

The checks are declared as specs on their assets and evaluated from the engine's results in the same step, so
the gate sees exactly the candidate that `applied_config` would apply.
"""

from __future__ import annotations

import dagster as dg

from genie_enhance.engine.batch import added_problems
from genie_enhance.engine.iteration.plan import policy_history
from genie_enhance.engine.iteration.state import IterationState
from genie_enhance.engine.policy import Policy, ScoredIteration, conclusive, regressed
from genie_enhance.engine.runtime import Runtime
from genie_enhance.space.io import parse_space

VALID = dg.AssetCheckSpec(
    "valid", asset="validated_config", blocking=True,
    description="The candidate config adds no validation error over its base (schema, budgets, references, "
                "every SQL parses, is read-only and runs with LIMIT 0). Blocks applied_config when it fails.",
)
NO_SCORE_REGRESSION = dg.AssetCheckSpec(
    "no_score_regression", asset="benchmark_results",
    description="The batch applied after the previous (conclusive) iteration did not make the score worse by the "
                "policy's rollback rule: the objective dropped beyond the noise tolerance, or held while the train "
                "score dropped. Fails exactly when the policy rolls the batch back. On a re-run of a completed "
                "iteration: the re-score matches the record.",
)


def valid(rt: Runtime, state: IterationState) -> dg.AssetCheckResult:
    """Re-validate the candidate (live path) or the recorded applied version (read-only path) against its base."""
    if state.historical:
        applied = state.need_record().applied_version_id
        if applied is None:
            return dg.AssetCheckResult(check_name="valid", passed=True,
                                       metadata={"problems": 0, "checked": "nothing applied"})
        candidate = parse_space(rt.tracking.version_bytes(applied).decode("utf-8"), source=f"version {applied}")
        base = state.need_snapshot().space
    elif state.batch is None:
        return dg.AssetCheckResult(check_name="valid", passed=True, metadata={"problems": 0, "checked": "no batch"})
    else:
        base, candidate = state.batch.base, state.batch.candidate
    problems = added_problems(rt, base, candidate)
    return dg.AssetCheckResult(
        check_name="valid", passed=not problems,
        metadata={"problems": len(problems),
                  "details": dg.MetadataValue.md("\n".join(f"- {p}" for p in problems) or "none")},
    )


def no_score_regression(rt: Runtime, state: IterationState) -> dg.AssetCheckResult:
    """The policy's rollback rule on this iteration's history (live path), or the re-score against the record."""
    objective = state.need_scored().objective
    if state.historical:
        recorded = state.need_record().objective
        same = (objective is None and recorded is None) or (
            objective is not None and recorded is not None and abs(objective - recorded) <= 1e-9)
        return dg.AssetCheckResult(check_name="no_score_regression", passed=same,
                                   severity=dg.AssetCheckSeverity.WARN,
                                   metadata={"rescored": objective if objective is not None else "n/a",
                                             "recorded": recorded if recorded is not None else "n/a"})
    history = policy_history(rt, state.campaign_id, state.iteration, state.need_snapshot(), state.need_scored())
    return regression_check(history, rt.settings.policy())


def regression_check(history: list[ScoredIteration], policy: Policy) -> dg.AssetCheckResult:
    """Fails exactly when the policy rolls the last batch back (`engine.policy.regressed`)."""
    judged = conclusive(history, policy)
    previous = judged[-2] if len(judged) > 1 and judged[-1] is history[-1] else None
    last = history[-1]
    return dg.AssetCheckResult(
        check_name="no_score_regression", passed=not regressed(history, policy), severity=dg.AssetCheckSeverity.WARN,
        metadata={"objective": _shown(last.objective), "train": _shown(last.train),
                  "previous_objective": _shown(previous.objective if previous else None),
                  "previous_train": _shown(previous.train if previous else None),
                  "batch_applied": bool(previous and previous.batch_applied),
                  "tolerance": policy.noise_tolerance},
    )


def _shown(value: float | None) -> float | str:
    return "n/a" if value is None else value
