"""The decision policy is a pure function of the scored history: every case stated as data."""

from __future__ import annotations

import pytest

from genie_enhance.engine.policy import (
    Action,
    Policy,
    ScoredIteration,
    StopReason,
    best_iteration,
    decide,
    decide_concurrent_edit,
    decide_no_fixes,
)


def it(n: int, objective: float | None, train: float | None = None, *, applied: bool = True, cost: float = 0.0, wall: float = 0.0) -> ScoredIteration:
    return ScoredIteration(iteration=n, version_id=f"v{n}", objective=objective, train=train if train is not None else objective,
                           batch_applied=applied, cost_usd=cost, wall_s=wall)


POLICY = Policy(target=0.9, max_iterations=6, patience=2)


def test_first_iteration_below_target_continues() -> None:
    d = decide([it(1, 0.3)], POLICY)
    assert d.action is Action.CONTINUE and not d.rollback and d.best_version_id == "v1"


def test_converged_when_objective_reaches_target() -> None:
    d = decide([it(1, 0.5), it(2, 0.92)], POLICY)
    assert d.action is Action.STOP and d.stop_reason is StopReason.CONVERGED and d.best_iteration == 2


def test_harmful_batch_is_rolled_back_to_best_version() -> None:
    d = decide([it(1, 0.4), it(2, 0.6), it(3, 0.5)], POLICY)
    assert d.rollback and d.best_version_id == "v2" and d.action is Action.CONTINUE
    assert "lowered the score" in d.reason


def test_drop_within_noise_tolerance_is_kept() -> None:
    d = decide([it(1, 0.6), it(2, 0.58)], Policy(noise_tolerance=0.05))
    assert not d.rollback


def test_same_objective_but_train_regression_is_rolled_back() -> None:
    d = decide([it(1, 0.5, 0.7), it(2, 0.5, 0.6)], POLICY)
    assert d.rollback and d.best_version_id == "v1"


def test_no_rollback_when_previous_iteration_applied_nothing() -> None:
    d = decide([it(1, 0.6, applied=False), it(2, 0.5)], POLICY)
    assert not d.rollback


def test_objective_gain_with_train_drop_is_kept() -> None:
    d = decide([it(1, 0.5, 0.8), it(2, 0.6, 0.7)], POLICY)
    assert not d.rollback and d.best_iteration == 2


def test_stalled_after_patience_iterations_without_gain() -> None:
    d = decide([it(1, 0.5), it(2, 0.5), it(3, 0.5)], POLICY)
    assert d.action is Action.STOP and d.stop_reason is StopReason.STALLED


def test_train_gain_at_equal_objective_is_progress() -> None:
    d = decide([it(1, 0.5, 0.5), it(2, 0.5, 0.6), it(3, 0.5, 0.7)], POLICY)
    assert d.action is Action.CONTINUE


def test_max_iterations() -> None:
    hist = [it(i, 0.1 * i) for i in range(1, 7)]
    d = decide(hist, POLICY)
    assert d.stop_reason is StopReason.MAX_ITERATIONS


def test_converged_beats_max_iterations() -> None:
    hist = [it(i, 0.1 * i) for i in range(1, 6)] + [it(6, 0.95)]
    assert decide(hist, POLICY).stop_reason is StopReason.CONVERGED


@pytest.mark.parametrize("policy,hist", [
    (Policy(max_cost_usd=1.0), [it(1, 0.2, cost=0.6), it(2, 0.3, cost=0.5)]),
    (Policy(max_wall_s=10), [it(1, 0.2, wall=4), it(2, 0.3, wall=7)]),
])
def test_budget_caps(policy: Policy, hist: list[ScoredIteration]) -> None:
    assert decide(hist, policy).stop_reason is StopReason.BUDGET


def test_rollback_then_stop_still_restores_best() -> None:
    hist = [it(i, 0.5) for i in range(1, 6)] + [it(6, 0.3)]
    d = decide(hist, POLICY)
    assert d.action is Action.STOP and d.rollback and d.best_version_id == "v1"


def test_no_fixes_stop() -> None:
    d = decide_no_fixes(decide([it(1, 0.3)], POLICY))
    assert d.action is Action.STOP and d.stop_reason is StopReason.NO_FIXES


def test_none_objective_counts_below_any_score() -> None:
    assert best_iteration([it(1, None), it(2, 0.0)]).iteration == 2


def test_empty_history_is_an_error() -> None:
    with pytest.raises(ValueError):
        decide([], POLICY)


# ------------------------------------------------------------------------------ too few answers: inconclusive
def ans(n: int, objective: float | None, answered: float, *, applied: bool = False) -> ScoredIteration:
    return it(n, objective, applied=applied).model_copy(update={"answered": answered})


@pytest.mark.parametrize("hist,action,stop_reason,best", [
    # 14 of 28 holdout questions were API errors, the 14 answered nearly all right: not converged
    ([ans(1, 13 / 14, 0.5)], Action.CONTINUE, None, "v1"),
    # a harmful-looking drop measured on half the questions: no rollback, best stays the conclusive one
    ([it(1, 0.6), ans(2, 0.1, 0.5)], Action.CONTINUE, None, "v1"),
    # exactly at the threshold is enough to decide
    ([ans(1, 0.95, 0.9)], Action.STOP, StopReason.CONVERGED, "v1"),
    # the iteration cap and budgets still end a campaign that keeps getting too few answers
    ([ans(1, 0.95, 0.5), ans(2, 0.95, 0.5)], Action.STOP, StopReason.MAX_ITERATIONS, "v1"),
])
def test_too_few_answers_decide_nothing(hist: list[ScoredIteration], action: Action, stop_reason: StopReason | None,
                                        best: str) -> None:
    policy = Policy(target=0.9, max_iterations=2 if len(hist) == 2 and hist[0].answered < 0.9 else 6, patience=2)
    d = decide(hist, policy)
    assert (d.action, d.stop_reason, d.best_version_id) == (action, stop_reason, best)
    assert d.inconclusive is (hist[-1].answered < policy.min_answered)
    assert not d.rollback
    if d.inconclusive:
        assert "inconclusive" in d.reason and d.stop_reason is not StopReason.CONVERGED


def test_the_batch_before_an_inconclusive_iteration_is_judged_by_the_next_conclusive_one() -> None:
    hist = [it(1, 0.6, applied=True), ans(2, 0.9, 0.4), it(3, 0.4)]
    d = decide(hist, POLICY)
    assert d.rollback and d.best_version_id == "v1" and "after iteration 1" in d.reason


def test_inconclusive_iterations_never_count_as_best_or_as_stalling() -> None:
    hist = [it(1, 0.5, applied=True), ans(2, 0.99, 0.3), ans(3, 0.99, 0.3), it(4, 0.6)]
    d = decide(hist, POLICY)
    assert d.action is Action.CONTINUE and d.best_version_id == "v4"


def test_min_answered_is_configurable() -> None:
    assert decide([ans(1, 0.95, 0.5)], Policy(min_answered=0.5)).stop_reason is StopReason.CONVERGED
    assert decide([ans(1, 0.95, 0.99)], Policy(min_answered=1.0)).inconclusive


def test_concurrent_edit_stop() -> None:
    d = decide_concurrent_edit(decide([it(1, 0.3)], POLICY), "the batch could not be rebased")
    assert d.action is Action.STOP and d.stop_reason is StopReason.CONCURRENT_EDIT and "rebased" in d.reason
