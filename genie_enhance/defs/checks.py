"""Asset checks of the loop: the blocking validity gate before anything is applied, and score regression.

The checks are declared as specs on their assets and evaluated from the engine's results in the same step, so
the gate sees exactly the candidate that `applied_config` would apply.
"""

from __future__ import annotations

import dagster as dg

from genie_enhance.engine.batch import added_problems
from genie_enhance.engine.iteration.state import IterationState
from genie_enhance.engine.runtime import Runtime
from genie_enhance.space.io import parse_space

VALID = dg.AssetCheckSpec(
    "valid", asset="validated_config", blocking=True,
    description="The candidate config adds no validation error over its base (schema, budgets, references, "
                "every SQL parses, is read-only and runs with LIMIT 0). Blocks applied_config when it fails.",
)
NO_SCORE_REGRESSION = dg.AssetCheckSpec(
    "no_score_regression", asset="benchmark_results",
    description="The objective did not drop below the previous iteration's beyond the noise tolerance (the policy "
                "then rolls the batch back). On a re-run of a completed iteration: the re-score matches the record.",
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
    objective = state.need_scored().objective
    if state.historical:
        recorded = state.need_record().objective
        same = (objective is None and recorded is None) or (
            objective is not None and recorded is not None and abs(objective - recorded) <= 1e-9)
        return dg.AssetCheckResult(check_name="no_score_regression", passed=same,
                                   severity=dg.AssetCheckSeverity.WARN,
                                   metadata={"rescored": objective if objective is not None else "n/a",
                                             "recorded": recorded if recorded is not None else "n/a"})
    earlier = [h for h in rt.tracking.history(state.campaign_id) if h.iteration < state.iteration]
    previous = earlier[-1].objective if earlier else None
    tolerance = rt.settings.noise_tolerance
    passed = previous is None or objective is None or objective >= previous - tolerance
    return dg.AssetCheckResult(
        check_name="no_score_regression", passed=passed, severity=dg.AssetCheckSeverity.WARN,
        metadata={"objective": objective if objective is not None else "n/a",
                  "previous": previous if previous is not None else "n/a", "tolerance": tolerance},
    )
