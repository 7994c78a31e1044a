"""One regression rule: the `no_score_regression` asset check fails exactly when the policy rolls the batch back.

Each case is a history where the check's old rule (objective ≥ the previous iteration's − tolerance, whatever the
previous iteration was) and the policy's rollback rule disagreed; now the check reports the policy's answer.
"""

from __future__ import annotations

import pytest

from genie_enhance.defs.checks import regression_check
from genie_enhance.engine.policy import Policy, ScoredIteration, decide, regressed

POLICY = Policy(target=0.95, max_iterations=10, patience=5, noise_tolerance=0.02)


def it(n: int, objective: float, train: float, *, applied: bool = True, answered: float = 1.0) -> ScoredIteration:
    return ScoredIteration(iteration=n, version_id=f"v{n}", objective=objective, train=train, batch_applied=applied,
                           answered=answered)


def old_rule(history: list[ScoredIteration], policy: Policy) -> bool:
    """What the check used to compute: passed unless the objective fell below the previous one's − tolerance."""
    previous, last = history[-2].objective, history[-1].objective
    return previous is None or last is None or last >= previous - policy.noise_tolerance


CASES = {
    # the objective held but the train score fell: the policy rolls back, the old check passed
    "train_dropped": ([it(1, 0.6, 0.8), it(2, 0.6, 0.6)], False),
    # the previous iteration was inconclusive (API errors): the batch is judged against iteration 1, a gain
    "after_inconclusive": ([it(1, 0.5, 0.5), it(2, 0.9, 0.9, answered=0.4), it(3, 0.7, 0.7)], True),
    # nothing was applied after iteration 1: a lower re-score is noise, not a harmful batch
    "no_batch": ([it(1, 0.6, 0.6, applied=False), it(2, 0.5, 0.5)], True),
    # the last iteration is inconclusive: nothing is judged, nothing rolled back
    "inconclusive_last": ([it(1, 0.6, 0.6), it(2, 0.2, 0.2, answered=0.3)], True),
}


@pytest.mark.parametrize("name", CASES)
def test_the_check_reports_the_policys_rollback_rule(name: str) -> None:
    history, passes = CASES[name]
    assert old_rule(history, POLICY) is not passes  # the old check disagreed with the decision here
    result = regression_check(history, POLICY)
    assert result.passed is passes
    assert result.passed is not decide(history, POLICY).rollback
    assert result.passed is not regressed(history, POLICY)


def test_a_harmful_batch_fails_the_check_with_its_numbers() -> None:
    history = [it(1, 0.7, 0.7), it(2, 0.6, 0.7)]
    result = regression_check(history, POLICY)
    assert not result.passed and decide(history, POLICY).rollback
    shown = {key: value.value for key, value in result.metadata.items()}
    assert shown == {"objective": 0.6, "train": 0.7, "previous_objective": 0.7, "previous_train": 0.7,
                     "batch_applied": True, "tolerance": 0.02}
