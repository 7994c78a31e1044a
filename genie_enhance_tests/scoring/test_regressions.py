"""Regressions are questions that went pass → fail between two scorings, by question id."""

from __future__ import annotations

from genie_enhance.scoring.regressions import pass_to_fail, regressions_by_iteration


def test_only_pass_to_fail_counts() -> None:
    before = {"a": "pass", "b": "pass", "c": "fail", "d": "pass", "e": "pass"}
    after = {"a": "fail", "b": "pass", "c": "fail", "d": "needs_review", "f": "fail"}
    assert pass_to_fail(before, after) == ["a"]  # d is not a fail, e was not asked, f is new


def test_by_iteration_compares_each_with_the_one_before() -> None:
    verdicts = {3: {"a": "pass"}, 1: {"a": "pass", "b": "pass"}, 2: {"a": "fail", "b": "pass"}}
    assert regressions_by_iteration(verdicts) == {2: ["a"], 3: []}
