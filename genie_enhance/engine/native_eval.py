"""Our verdicts beside Genie's own benchmark evaluation (Databricks backend, `--native-eval`).

Genie can only grade benchmarks that live in the space (`benchmarks.questions`), so only questions of ours whose
id is one of those are sent. Agreement is counted over the questions both sides graded (pass, fail or
needs_review): a service failure or a broken benchmark on either side says nothing about who is right.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from genie_enhance.engine.runtime import Runtime
from genie_enhance.engine.summary import final_iteration
from genie_enhance.errors import ConfigError
from genie_enhance.scoring.verdicts import Verdict
from genie_enhance.space.io import canonical_bytes
from genie_enhance.space.model import SerializedSpace
from genie_enhance.tracking import version_id_for

if TYPE_CHECKING:  # databricks-sdk is heavy: not imported by local runs
    from genie_enhance.backends.databricks.native_eval import NativeEvalRun

GRADED = frozenset({Verdict.PASS.value, Verdict.FAIL.value, Verdict.NEEDS_REVIEW.value})
Evaluate = Callable[[Sequence[str]], "NativeEvalRun"]


class OurVerdict(BaseModel):
    id: str
    question: str
    verdict: str


def native_ids(benchmark_ids: Iterable[str], space: SerializedSpace) -> list[str]:
    """Ids of our benchmarks that are benchmark questions of the space, in our order; none is a `ConfigError`."""
    in_space = {q.id for q in space.benchmarks.questions if q.id}
    ours = list(benchmark_ids)
    ids = [i for i in ours if i in in_space]
    if not ids:
        raise ConfigError(
            f"--native-eval: none of the {len(ours)} benchmark questions is one of the space's own "
            f"{len(in_space)} benchmarks (benchmarks.questions); Genie can only evaluate those, so pass the space "
            "(an export of it) as --benchmarks"
        )
    return ids


def compare_native(ours: Sequence[OurVerdict], native: NativeEvalRun) -> dict[str, Any]:
    """Per question both verdicts, and how often they agree (over questions both sides graded)."""
    by_id = {r.question_id: r for r in native.results}
    rows, compared, agreement = [], 0, 0
    for mine in ours:
        theirs = by_id.get(mine.id)
        if theirs is None:
            continue
        both = mine.verdict in GRADED and theirs.verdict.value in GRADED
        agree = mine.verdict == theirs.verdict.value if both else None
        compared += both
        agreement += bool(agree)
        rows.append({
            "id": mine.id, "question": mine.question, "verdict": mine.verdict, "native_verdict": theirs.verdict.value,
            "native_assessment": theirs.assessment, "native_reasons": theirs.assessment_reasons,
            "native_reason": theirs.reason.value if theirs.reason else None,
            "native_category": theirs.category.value if theirs.category else None, "agree": agree,
        })
    return {
        "eval_run_id": native.eval_run_id, "status": native.status, "num_questions": native.num_questions,
        "num_correct": native.num_correct, "native_score": native.score, "compared": compared,
        "agreement": agreement, "questions": rows,
    }


def native_for_campaign(rt: Runtime, campaign_id: str, evaluate: Evaluate) -> dict[str, Any]:
    """Genie's evaluation of the live (final) config beside our verdicts of the iteration that scored it; the
    comparison is recorded as a `native_eval` event."""
    space, _ = rt.backend.store.export()
    ids = native_ids([b.id for b in rt.benchmarks], space)
    live = version_id_for(canonical_bytes(space))
    scored = final_iteration(rt.tracking.history(campaign_id), live)
    if scored is None:
        raise ConfigError(f"campaign {campaign_id} has no scored iteration to compare Genie's evaluation with")
    ours = [OurVerdict(id=r.question_id, question=r.question, verdict=r.verdict)
            for r in rt.tracking.results(campaign_id, scored.iteration)]
    result = compare_native(ours, evaluate(ids))
    result.update(iteration=scored.iteration, config_version=live, same_config=scored.config_version_id == live)
    rt.tracking.record_event(
        campaign_id, "native_eval",
        f"Genie's evaluation agrees with ours on {result['agreement']} of {result['compared']} questions",
        data=result,
    )
    return result
