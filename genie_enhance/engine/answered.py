"""Enough answers to decide on: the share of questions the service answered, and one re-ask of the rest.

Why: a score computed on half the holdout (the other half API errors) is not the config's score — 13 of 14
answered can "converge" a campaign whose other 14 questions were never asked successfully. Scoring re-asks the
failed questions once when too few were answered; the policy then decides `inconclusive` if still too few.
"""

from __future__ import annotations

from collections.abc import Sequence

from genie_enhance.scoring.runner import QuestionResult, ScoreReport, Scores, count_results

INCONCLUSIVE = "inconclusive"  # event kind: an iteration's answers were too few to decide on (data: answered share)
REASKED = "reasked"  # event kind: scoring asked the questions that failed with API errors once more


def answered_share(results: Sequence[QuestionResult]) -> float:
    """The lowest share of answered (not service-failed) questions over the roles that have questions."""
    shares = []
    for role in ("holdout", "train"):
        asked = [r for r in results if r.role == role]
        if asked:
            shares.append(sum(1 for r in asked if not r.is_service_failure) / len(asked))
    return min(shares, default=1.0)


def service_failures(report: ScoreReport) -> list[QuestionResult]:
    return [q for q in report.questions if q.is_service_failure]


def merge_reasked(report: ScoreReport, reasked: ScoreReport) -> ScoreReport:
    """The report with every re-asked question's new result in place of its old one (order kept)."""
    by_id = {q.id: q for q in reasked.questions}
    questions = [by_id.get(q.id, q) for q in report.questions]
    return report.model_copy(update={
        "questions": questions, "counts": count_results(questions), "score": Scores.of(questions),
        "genie_calls": report.genie_calls + reasked.genie_calls, "wall_s": round(report.wall_s + reasked.wall_s, 3),
    })
