"""Rows from the loop's own models: a `QuestionResult` with its `Diagnosis`, a `Proposal` with its status, an
`LLMCall`. Typed attribute access, so a renamed field fails the type check instead of storing NULL.

Values for `*_json` columns are left as Python objects; the store scrubs and encodes them in one place.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

from genie_enhance.diagnosis.model import Diagnosis
from genie_enhance.llm.records import LLMCall
from genie_enhance.proposers.base import Proposal
from genie_enhance.scoring.runner import QuestionResult
from genie_enhance.space.fixes import Fix
from genie_enhance.space.fixes.columns import ColumnFix
from genie_enhance.space.ids import stable_id
from genie_enhance.tracking.errors import TrackingError
from genie_enhance.tracking.schema import FIX_STATUSES
from genie_enhance.tracking.timeutil import to_db

# a proposal as recorded: bare (status `proposed`), with its status, or with its status and the reason for it
FixItem = Proposal | tuple[Proposal, str] | tuple[Proposal, str, str | None]


def result_row(campaign_id: str, iteration: int, result: QuestionResult,
               diagnosis: Diagnosis | None = None) -> dict[str, Any]:
    """A `question_results` row: the diagnosis' fine category when diagnosed, else scoring's coarse one."""
    category = diagnosis.category if diagnosis is not None else result.category
    return {
        "campaign_id": campaign_id,
        "iteration": iteration,
        "question_id": result.id,
        "role": result.role,
        "question": result.question,
        "label": result.label,
        "expected_sql": result.expected_sql,
        "generated_sql": result.generated_sql,
        "verdict": result.verdict.value,
        "reason": result.reason.value if result.reason is not None else None,
        "category": category.value if category is not None else None,
        "details": result.details,
        "genie_error": result.genie_error,
        "latency_s": result.latency_s,
        "diagnosis_json": None if diagnosis is None else diagnosis.model_dump(mode="json"),
    }


def unpack_fix_item(item: FixItem) -> tuple[Proposal, str, str | None]:
    """`(proposal, status[, reason])` or a bare proposal (status `proposed`) → (proposal, status, reason)."""
    if isinstance(item, Proposal):
        proposal, status, reason = item, "proposed", None
    else:
        proposal, status, reason = item[0], item[1], item[2] if len(item) > 2 else None
    if status not in FIX_STATUSES:
        raise TrackingError(f"fix status must be one of {', '.join(FIX_STATUSES)}, got {status!r}")
    return proposal, status, reason


def _fix_target(fix: Fix, payload: dict[str, Any]) -> str | None:
    """What a fix changes: table.column for a column fix, else its table, else the pair of joined tables."""
    if isinstance(fix, ColumnFix):
        return fix.target
    if payload.get("table"):
        return str(payload["table"])
    if payload.get("left_table") and payload.get("right_table"):
        return f"{payload['left_table']} ~ {payload['right_table']}"
    return payload.get("join_id")


def fix_row(campaign_id: str, iteration: int, item: FixItem, now: datetime) -> dict[str, Any]:
    """A `fixes` row from a proposal and its status; `fix_id` hashes campaign + iteration + fix key, so recording
    the same proposal again hits the same row."""
    proposal, status, reason = unpack_fix_item(item)
    fix = proposal.fix
    payload = fix.model_dump(mode="json")
    return {
        "fix_id": stable_id(campaign_id, str(iteration), fix.key),
        "campaign_id": campaign_id,
        "iteration": iteration,
        "fix_key": fix.key,
        "fix_type": fix.type,
        "target": _fix_target(fix, payload),
        "description": fix.describe(),
        "payload_json": payload,
        "proposer": proposal.proposer,
        "rationale": proposal.rationale,
        "question_ids_json": list(proposal.question_ids),
        "category": proposal.category.value,
        "expected_effect": proposal.expected_effect,
        "status": status,
        "status_reason": reason,
        "created_at": now,
        "updated_at": now,
    }


def llm_call_row(call: LLMCall, campaign_id: str | None, iteration: int | None) -> dict[str, Any]:
    """An `llm_calls` row (the campaign and iteration the caller attributes it to)."""
    return {
        "call_id": call.id,
        "campaign_id": campaign_id,
        "iteration": iteration,
        "purpose": call.purpose,
        "model": call.model,
        "prompt_hash": call.prompt_hash,
        "input_tokens": call.input_tokens,
        "output_tokens": call.output_tokens,
        "cost_usd": call.cost_usd,
        "cost_known": call.cost_known,
        "latency_s": call.latency_s,
        "outcome": call.outcome,
        "error": call.error,
        "status_code": call.status_code,
        "attempt": call.attempt,
        "started_at": to_db(call.started_at),
    }


def text(value: Enum | str | None) -> str | None:
    """An enum's value, text as is, None as None (the store's own optional text arguments)."""
    return str(value.value) if isinstance(value, Enum) else value
