"""Review mode for teams that approve changes before they go live.

`dry_run` scores, proposes and validates, then writes a proposal file (fixes, rationale, expected effect, config
diff) and applies nothing. `apply_proposal` re-validates the file's fixes against the LIVE config and etag — the
space may have changed since — and applies what is still valid as one batch.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from genie_enhance.engine.batch import build_batch
from genie_enhance.engine.campaign import start_or_resume
from genie_enhance.engine.iteration.plan import plan
from genie_enhance.engine.iteration.score import score
from genie_enhance.engine.iteration.snapshot import snapshot
from genie_enhance.engine.policy import Action
from genie_enhance.engine.runtime import Runtime
from genie_enhance.engine.versions import config_diff, record_live_if_unknown
from genie_enhance.errors import ConfigError, FixError
from genie_enhance.fileio import atomic_write
from genie_enhance.proposers.base import Proposal
from genie_enhance.scoring.categories import FailureCategory
from genie_enhance.space.fixes import parse_fix
from genie_enhance.space.io import canonical_bytes
from genie_enhance.tracking import IterationSummary

PROPOSAL_FORMAT = "genie-enhance-proposal/1"


def _proposal_entry(p: Proposal) -> dict[str, Any]:
    return {"fix": p.fix.model_dump(mode="json"), "description": p.fix.describe(), "proposer": p.proposer,
            "rationale": p.rationale, "question_ids": p.question_ids, "category": p.category.value,
            "expected_effect": p.expected_effect}


def dry_run(rt: Runtime, proposal_path: Path) -> dict[str, Any]:
    """One scored, proposed and validated iteration written to `proposal_path`; the live space is untouched."""
    campaign_id = start_or_resume(rt, new=True)
    snap = snapshot(rt, campaign_id, 1)
    scored = score(rt, campaign_id, 1, snap)
    planned = plan(rt, campaign_id, 1, snap, scored)
    batch = build_batch(rt, planned.base_space, planned.proposals)
    document = {
        "format": PROPOSAL_FORMAT, "space_key": rt.settings.space_key, "campaign": campaign_id,
        "created_at": datetime.now(UTC).isoformat(), "base_version_id": snap.version_id,
        "base_etag": snap.etag, "scores": scored.report.score.model_dump(), "decision": planned.decision.reason,
        "fixes": [_proposal_entry(p) for p in batch.accepted],
        "rejected": [{**_proposal_entry(p), "reason": r} for p, r in [*planned.rejected, *batch.invalid]],
        "diff": config_diff(canonical_bytes(planned.base_space), canonical_bytes(batch.candidate)),
    }
    proposal_path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(proposal_path, json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    rt.tracking.complete_iteration(campaign_id, 1, IterationSummary(
        score_train=scored.report.score.train, score_holdout=scored.report.score.holdout,
        score_all=scored.report.score.all, objective=scored.objective, counts=scored.report.counts,
        decision=Action.STOP.value, decision_reason="dry run: proposal written, nothing applied",
        stop_reason="dry_run", fixes_proposed=len(planned.proposals), genie_calls=scored.report.genie_calls,
    ))
    rt.tracking.finish_campaign(campaign_id, "dry_run", snap.version_id)
    return document


def load_proposal(path: Path) -> tuple[dict[str, Any], list[Proposal]]:
    """The proposal document and its fixes as proposals; errors name the file and the entry."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read proposal: {exc}") from exc
    if not isinstance(document, dict) or document.get("format") != PROPOSAL_FORMAT:
        raise ConfigError(f"{path}: not a genie-enhance proposal (format must be {PROPOSAL_FORMAT!r})")
    proposals = []
    for index, entry in enumerate(document.get("fixes", [])):
        try:
            proposals.append(Proposal(
                fix=parse_fix(entry["fix"]), proposer=entry.get("proposer", "proposal"),
                rationale=entry.get("rationale", ""), question_ids=entry.get("question_ids", []),
                category=FailureCategory(entry.get("category", "semantic_difference")),
                expected_effect=entry.get("expected_effect", ""),
            ))
        except (KeyError, TypeError, ValueError, FixError) as exc:  # a malformed entry: name it, apply nothing
            raise ConfigError(f"{path}: fixes[{index}]: {exc}") from exc
    return document, proposals


def apply_proposal(rt: Runtime, path: Path) -> dict[str, Any]:
    """Re-validate the proposal against the live config and etag, then apply the still-valid fixes at once."""
    document, proposals = load_proposal(path)
    owner = document.get("space_key")
    if owner and owner != rt.settings.space_key:
        raise ConfigError(f"{path}: the proposal is for space {owner!r}, not {rt.settings.space_key!r}")
    base_spaces = rt.tracking.version_spaces(str(document.get("base_version_id", "")))
    if base_spaces and rt.settings.space_key not in base_spaces:
        raise ConfigError(f"{path}: base_version_id {document['base_version_id']} belongs to space "
                          f"{', '.join(base_spaces)}, not {rt.settings.space_key!r}")
    live = record_live_if_unknown(rt, document.get("campaign"), before=f"applying {path}")
    space, etag, live_version = live.space, live.etag, live.version_id
    batch = build_batch(rt, space, proposals)
    outcome: dict[str, Any] = {
        "proposal": str(path), "base_changed": live_version != document.get("base_version_id"),
        "applied": [p.fix.describe() for p in batch.accepted],
        "invalid": [{"fix": p.fix.describe(), "reason": r} for p, r in batch.invalid], "version": None,
        "external_version": live.external_version_id, "parent": live_version, "accepted": len(batch.accepted),
    }
    if batch.accepted and canonical_bytes(batch.candidate) == canonical_bytes(space):
        outcome["applied"] = []  # every fix is in the live config already: a re-apply writes nothing
    elif batch.accepted:
        rt.backend.store.update(batch.candidate, etag)  # stale etag → ConcurrentEditError, nothing written
        data = canonical_bytes(batch.candidate)
        outcome["version"] = rt.tracking.record_version(data, parent_id=live_version, source="proposal",
                                                        campaign_id=document.get("campaign"), iteration=None,
                                                        etag=None)
    return outcome
