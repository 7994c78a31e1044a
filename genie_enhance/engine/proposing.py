"""Run the proposers for one iteration: train failures in, guarded and deduplicated proposals out."""

from __future__ import annotations

from typing import Any

from genie_enhance.diagnosis import Diagnosis
from genie_enhance.engine.leakage import build_guard, record_guard_run
from genie_enhance.engine.runtime import Runtime
from genie_enhance.proposers.base import ProposerContext
from genie_enhance.proposers.pipeline import propose_all
from genie_enhance.scoring.runner import QuestionResult
from genie_enhance.space.model import SerializedSpace
from genie_enhance.tracking.inputs import FixItem

BLOCKING = {"reverted": "reverted as harmful", "invalid": "found invalid"}


def blocked_fixes(rt: Runtime, campaign_id: str) -> dict[str, str]:
    """Fixes this campaign reverted as harmful or found invalid, with why: never proposed again. An invalid fix
    stays invalid (a missing column, an example SQL that never finishes), so proposing it again would only pay its
    validation again — a statement timeout each iteration for a query that never finishes."""
    blocked: dict[str, str] = {}
    for fix in rt.tracking.fixes(campaign_id):
        what = BLOCKING.get(fix.status)
        if what is not None and fix.fix_key not in blocked:
            why = f": {fix.status_reason}" if fix.status_reason else ""
            blocked[fix.fix_key] = f"{what} in iteration {fix.iteration} of this campaign{why}"
    return blocked


def propose(
    rt: Runtime, campaign_id: str, iteration: int, space: SerializedSpace,
    failures: list[tuple[QuestionResult, Diagnosis]], train_results: list[QuestionResult] | None = None,
) -> tuple[list[Any], list[tuple[Any, str]]]:
    """Heuristic first, then the LLM (if configured); leakage guard last. Records every proposal and what the
    guard stopped.

    `train_results` (every scored train question, passing ones too) lets a proposer check that a phrase it teaches
    does not contradict what the same phrase means in the other train questions."""
    blocked = blocked_fixes(rt, campaign_id)
    ctx = ProposerContext(
        space=space, catalog=rt.catalog, warehouse=rt.backend.warehouse, train_failures=failures,
        train_results=[r for r in train_results or [] if r.role == "train"],
        lessons=rt.tracking.lessons(), iteration=iteration, blocked_keys=set(blocked), blocked_reasons=blocked,
    )
    guard = build_guard(rt, space)
    rt.current.update(campaign_id=campaign_id, iteration=iteration)
    for proposer in rt.proposers:  # a proposer not run this time (nothing left for it) must not report its last run
        reset = getattr(proposer, "reset", None)
        if callable(reset):
            reset()
    result = propose_all(ctx, rt.proposers, guard, max_fixes=rt.settings.max_fixes_per_iteration)
    items: list[FixItem] = [(p, "proposed") for p in result.kept]
    items += [(p, "rejected", reason) for p, reason in result.rejected]
    if items:
        rt.tracking.record_fixes(campaign_id, iteration, items)
    record_guard_run(rt, campaign_id, iteration, guard)
    _record_proposer_notes(rt, campaign_id, iteration)
    return list(result.kept), list(result.rejected)


def _record_proposer_notes(rt: Runtime, campaign_id: str, iteration: int) -> None:
    """Events for what a proposer dropped before proposing (reply items with the reason) and why it could not
    propose (an invalid reply, an endpoint that is down, a spent budget)."""
    for proposer in rt.proposers:
        name = getattr(proposer, "name", type(proposer).__name__)
        for raw, reason in getattr(proposer, "last_rejections", []) or []:
            rt.tracking.record_event(campaign_id, "llm_fix_dropped", reason, iteration=iteration,
                                     data={"fix": raw, "proposer": name})
        error = getattr(proposer, "last_error", None)
        if error:
            rt.tracking.record_event(campaign_id, "proposer_error", error, iteration=iteration, data={"proposer": name})
