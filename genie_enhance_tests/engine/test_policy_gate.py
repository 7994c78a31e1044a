"""The per-question regression gate is part of the pure policy: every case of its rule stated as data."""

from __future__ import annotations

import pytest

from genie_enhance.engine.policy import (
    GATE_RULES,
    Action,
    GateInput,
    GateVerdict,
    Policy,
    ScoredIteration,
    decide,
    decide_gate,
    gate_verdict,
    regression_allowance,
)


def it(n: int, objective: float, *, applied: bool = True, surgical: bool = False, answered: float = 1.0) -> ScoredIteration:
    return ScoredIteration(iteration=n, version_id=f"v{n}", objective=objective, train=objective,
                           batch_applied=applied, surgical=surgical, answered=answered)


def gate(regressed: int, implicated: int, fixes: int = 6, scored: int = 20) -> GateInput:
    return GateInput(regressed=[f"q{i}" for i in range(regressed)], implicated=[f"k{i}" for i in range(implicated)],
                     batch_fixes=fixes, scored=scored)


POLICY = Policy(target=0.95, max_iterations=6)
NOISY = Policy(target=0.95, max_iterations=6, noise_tolerance=0.1)  # 2 of 20 questions are noise


@pytest.mark.parametrize("history,measured,policy,condition,verdict", [
    # a batch that fixed five and broke two, one fix touches the two: measure the batch without it
    ([it(1, 0.5), it(2, 0.65)], gate(2, 1), POLICY, "otherwise", GateVerdict.SURGICAL),
    # the same batch lowered the score: still surgical, better than a whole rollback
    ([it(1, 0.5), it(2, 0.4)], gate(2, 1), POLICY, "otherwise", GateVerdict.SURGICAL),
    # no regression: judged whole as before
    ([it(1, 0.5), it(2, 0.7)], gate(0, 0), POLICY, "within_allowance", GateVerdict.JUDGE_WHOLE),
    # two regressions in twenty questions are within a 10% noise tolerance
    ([it(1, 0.5), it(2, 0.7)], gate(2, 1), NOISY, "within_allowance", GateVerdict.JUDGE_WHOLE),
    # three are not
    ([it(1, 0.5), it(2, 0.7)], gate(3, 1), NOISY, "otherwise", GateVerdict.SURGICAL),
    # nothing was applied before the last scoring
    ([it(1, 0.5, applied=False), it(2, 0.4)], gate(2, 1), POLICY, "no_batch", GateVerdict.JUDGE_WHOLE),
    # too few answers to judge anything
    ([it(1, 0.5), it(2, 0.4, answered=0.5)], gate(2, 1), POLICY, "no_batch", GateVerdict.JUDGE_WHOLE),
    # the batch was itself a surgical candidate: the best of the three is kept by the score, never gated again
    ([it(1, 0.5), it(2, 0.6, surgical=True), it(3, 0.6)], gate(1, 1), POLICY, "candidate_batch", GateVerdict.JUDGE_WHOLE),
    # no fix touches what the broken questions use
    ([it(1, 0.5), it(2, 0.7)], gate(2, 0), POLICY, "unattributed", GateVerdict.JUDGE_WHOLE),
    # the last iteration: no iteration left to measure a candidate
    ([it(i, 0.1 * i) for i in range(1, 7)], gate(2, 1), POLICY, "no_room", GateVerdict.JUDGE_WHOLE),
    # every fix is implicated: the candidate is the previous version
    ([it(1, 0.5), it(2, 0.7)], gate(2, 6), POLICY, "all_implicated", GateVerdict.ROLLBACK_WHOLE),
])
def test_gate_rule(history: list[ScoredIteration], measured: GateInput, policy: Policy, condition: str,
                   verdict: GateVerdict) -> None:
    assert gate_verdict(history, measured, policy) == (condition, verdict)


def test_every_rule_row_is_reachable_and_the_last_one_always_holds() -> None:
    assert [name for name, _ in GATE_RULES][-1] == "otherwise"
    assert len({name for name, _ in GATE_RULES}) == len(GATE_RULES)


@pytest.mark.parametrize("tolerance,scored,allowed", [(0.0, 40, 0), (0.05, 40, 2), (0.05, 39, 1), (0.1, 20, 2)])
def test_regression_allowance(tolerance: float, scored: int, allowed: int) -> None:
    assert regression_allowance(Policy(noise_tolerance=tolerance), scored) == allowed


def test_surgical_decision_names_the_regressions_and_the_removed_fixes() -> None:
    history = [it(1, 0.5), it(2, 0.65)]
    measured = GateInput(regressed=["q7", "q3"], implicated=["add_synonym:x"], batch_fixes=6, scored=20)
    d = decide_gate(decide(history, POLICY), history, measured, POLICY)
    assert d.surgical and not d.rollback and d.action is Action.CONTINUE
    assert d.regressed == ["q3", "q7"] and d.removed == ["add_synonym:x"]
    assert "q3, q7" in d.reason and "add_synonym:x" in d.reason and "the version the batch was built on" in d.reason


def test_whole_rollback_restores_the_version_before_the_batch_even_when_the_score_rose() -> None:
    history = [it(1, 0.5), it(2, 0.7)]
    d = decide_gate(decide(history, POLICY), history, gate(2, 6), POLICY)
    assert d.rollback and d.best_version_id == "v1" and not d.surgical


def test_judged_whole_keeps_the_decision_and_reports_the_regressions() -> None:
    history = [it(1, 0.5), it(2, 0.7)]
    before = decide(history, NOISY)
    d = decide_gate(before, history, gate(2, 1), NOISY)
    assert d.model_copy(update={"regressed": []}) == before and d.regressed == ["q0", "q1"]


@pytest.mark.parametrize("batch,cand,rollback,best", [
    (0.65, 0.75, False, "v3"),  # the candidate kept the five and gave the two back: kept
    (0.65, 0.65, False, "v2"),  # as good as the batch, with fewer regressions: kept (the live config is v3)
    (0.65, 0.6, True, "v2"),  # the removed fix carried more than it broke: the batch is restored
    (0.45, 0.48, True, "v1"),  # better than the batch but below the version before it: that version is restored
])
def test_the_best_of_previous_batch_and_candidate_is_kept(batch: float, cand: float, rollback: bool, best: str) -> None:
    history = [it(1, 0.5), it(2, batch, surgical=True), it(3, cand)]
    d = decide_gate(decide(history, POLICY), history, gate(1, 1), POLICY)
    assert d.rollback is rollback and not d.surgical
    if rollback:
        assert d.best_version_id == best and "surgical candidate" in d.reason
    else:
        assert d.action is Action.CONTINUE
