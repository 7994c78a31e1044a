"""Rows from the loop's objects, read by attribute (or dict key) so this package imports none of their modules.

Why duck typing: scoring, diagnosis, proposers and the LLM layer each define their own pydantic models; the store
only needs a few named fields from each (see the contracts), and the loop's pieces can evolve without touching it.
Values for `*_json` columns are left as Python objects; the store scrubs and encodes them in one place.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from enum import Enum
from typing import Any

from pydantic import BaseModel

from genie_enhance.space.ids import stable_id
from genie_enhance.tracking.errors import TrackingError
from genie_enhance.tracking.schema import FIX_STATUSES, ROLES
from genie_enhance.tracking.timeutil import to_db

_MISSING = object()


def attr(obj: Any, *names: str, default: Any = None) -> Any:
    """The first of `names` that `obj` has, as an attribute or a mapping key; `default` when none is present."""
    for name in names:
        value = obj.get(name, _MISSING) if isinstance(obj, Mapping) else getattr(obj, name, _MISSING)
        if value is not _MISSING:
            return value
    return default


def text(value: Any) -> str | None:
    """An enum's value, any other value as text, None as None."""
    if value is None:
        return None
    return str(value.value) if isinstance(value, Enum) else str(value)


def as_data(obj: Any) -> Any:
    """A pydantic model as its JSON-ready dict; anything else unchanged."""
    return obj.model_dump(mode="json") if isinstance(obj, BaseModel) else obj


def _as_text(value: Any) -> str | None:
    """Text as is; any other value as JSON (so structured details still fit a text column)."""
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def result_row(campaign_id: str, iteration: int, result: Any, diagnosis: Any = None) -> dict[str, Any]:
    """A `question_results` row from a QuestionResult-like object and its optional Diagnosis-like object."""
    question_id = text(attr(result, "question_id", "id"))
    if not question_id:
        raise TrackingError(f"question result without an id: {result!r:.200}")
    role = text(attr(result, "role", default="train"))
    if role not in ROLES:
        raise TrackingError(f"question {question_id}: role must be one of {', '.join(ROLES)}, got {role!r}")
    category = attr(diagnosis, "category") if diagnosis is not None else None
    return {
        "campaign_id": campaign_id,
        "iteration": iteration,
        "question_id": question_id,
        "role": role,
        "question": text(attr(result, "question", default="")) or "",
        "label": text(attr(result, "label")),
        "expected_sql": text(attr(result, "expected_sql")),
        "generated_sql": text(attr(result, "generated_sql")),
        "verdict": text(attr(result, "verdict")) or "error",
        "reason": text(attr(result, "reason")),
        "category": text(category if category is not None else attr(result, "category")),
        "details": _as_text(as_data(attr(result, "details"))),
        "genie_error": text(attr(result, "genie_error")),
        "latency_s": float(attr(result, "latency_s", default=0.0) or 0.0),
        "diagnosis_json": None if diagnosis is None else as_data(diagnosis),
    }


def unpack_fix_item(item: Any) -> tuple[Any, str, str | None]:
    """`(proposal, status[, reason])` or a bare proposal (status `proposed`) → (proposal, status, reason)."""
    if isinstance(item, tuple):
        proposal = item[0]
        status = text(item[1]) if len(item) > 1 else "proposed"
        reason = text(item[2]) if len(item) > 2 else None
    else:
        proposal, status, reason = item, "proposed", None
    if status not in FIX_STATUSES:
        raise TrackingError(f"fix status must be one of {', '.join(FIX_STATUSES)}, got {status!r}")
    return proposal, status, reason


def _fix_target(fix: Any, payload: Mapping[str, Any]) -> str | None:
    """What a fix changes: its `target` (table.column), else its table, else the pair of joined tables."""
    target = attr(fix, "target")
    if target:
        return text(target)
    if payload.get("table"):
        return text(payload["table"])
    tables = [payload.get("left_table"), payload.get("right_table")]
    if all(tables):
        return " ~ ".join(text(t) or "" for t in tables)
    return text(payload.get("join_id"))


def fix_row(campaign_id: str, iteration: int, item: Any, now: datetime) -> dict[str, Any]:
    """A `fixes` row from a Proposal-like object (or a bare fix) with its status; `fix_id` hashes
    campaign + iteration + fix key, so recording the same proposal again hits the same row."""
    proposal, status, reason = unpack_fix_item(item)
    fix = attr(proposal, "fix", default=proposal)
    payload = as_data(fix)
    if not isinstance(payload, Mapping):
        raise TrackingError(f"a fix must be a pydantic model or a dict, got {type(payload).__name__}")
    fix_type = text(attr(fix, "type")) or text(payload.get("type"))
    if not fix_type:
        raise TrackingError(f"fix without a type: {payload!r:.200}")
    key = text(attr(fix, "key")) or json.dumps(payload, sort_keys=True, default=str)
    describe = attr(fix, "describe")
    description = text(describe() if callable(describe) else describe) or key
    return {
        "fix_id": stable_id(campaign_id, str(iteration), key),
        "campaign_id": campaign_id,
        "iteration": iteration,
        "fix_key": key,
        "fix_type": fix_type,
        "target": _fix_target(fix, payload),
        "description": description,
        "payload_json": dict(payload),
        "proposer": text(attr(proposal, "proposer")),
        "rationale": text(attr(proposal, "rationale")),
        "question_ids_json": [text(q) for q in attr(proposal, "question_ids", default=None) or []],
        "category": text(attr(proposal, "category")),
        "expected_effect": text(attr(proposal, "expected_effect")),
        "status": status,
        "status_reason": reason,
        "created_at": now,
        "updated_at": now,
    }


def llm_call_row(call: Any, campaign_id: str | None, iteration: int | None) -> dict[str, Any]:
    """An `llm_calls` row from an `LLMCall`-like object or dict; a call without an id gets a content hash."""
    data = as_data(call)
    call_id = text(attr(call, "call_id", "id"))
    if not call_id:
        call_id = stable_id(json.dumps(data, sort_keys=True, default=str))
    started = attr(call, "started_at")
    if isinstance(started, str):
        started = datetime.fromisoformat(started)
    return {
        "call_id": call_id,
        "campaign_id": campaign_id if campaign_id is not None else text(attr(call, "campaign_id")),
        "iteration": iteration if iteration is not None else attr(call, "iteration"),
        "purpose": text(attr(call, "purpose")),
        "model": text(attr(call, "model")),
        "prompt_hash": text(attr(call, "prompt_hash")),
        "input_tokens": int(attr(call, "input_tokens", default=0) or 0),
        "output_tokens": int(attr(call, "output_tokens", default=0) or 0),
        "cost_usd": float(attr(call, "cost_usd", default=0.0) or 0.0),
        "cost_known": bool(attr(call, "cost_known", default=True)),
        "latency_s": float(attr(call, "latency_s", default=0.0) or 0.0),
        "outcome": text(attr(call, "outcome")),
        "error": text(attr(call, "error")),
        "status_code": attr(call, "status_code"),
        "attempt": int(attr(call, "attempt", default=1) or 1),
        "started_at": to_db(started),
    }
