"""Per-question regressions: the questions that passed in one scoring and fail in the next.

Why by question id and not by score: a batch that fixes five questions and breaks two raises the score, yet users
ask above all that passing questions never regress; the gate, the report and the Dagster metadata all read this
one definition. Callers leave service failures (API errors) out: they say nothing about the config.
"""

from __future__ import annotations

from collections.abc import Mapping

from genie_enhance.scoring.verdicts import Verdict


def pass_to_fail(before: Mapping[str, str], after: Mapping[str, str]) -> list[str]:
    """Ids whose verdict was `pass` in `before` and is `fail` in `after` (verdicts by question id), sorted."""
    return sorted(q for q, verdict in after.items() if verdict == Verdict.FAIL and before.get(q) == Verdict.PASS)


def regressions_by_iteration(verdicts: Mapping[int, Mapping[str, str]]) -> dict[int, list[str]]:
    """Iteration → the questions that went pass → fail since the iteration scored before it."""
    order = sorted(verdicts)
    return {cur: pass_to_fail(verdicts[prev], verdicts[cur]) for prev, cur in zip(order, order[1:])}
