"""Apply: put the validated batch on the live space as one etag-checked update, rebasing it onto a concurrent edit.

Why write-ahead: the new version and a pending-apply row are recorded before the live space is written, so a
process killed mid-write resumes knowing what it was about to do.
"""

from __future__ import annotations

from genie_enhance.engine.batch import Batch
from genie_enhance.engine.iteration.plan import Plan
from genie_enhance.engine.propagation import record_write
from genie_enhance.engine.rebase import BatchNotRebased, adopt, rebased_batch, record_external
from genie_enhance.engine.runtime import Runtime
from genie_enhance.errors import ConcurrentEditError
from genie_enhance.space.io import canonical_bytes


def apply_batch(rt: Runtime, campaign_id: str, iteration: int, planned: Plan, batch: Batch) -> str | None:
    """Apply the accepted fixes as one update (etag-checked); returns the new version id, None if not applied.

    When someone else edited the live space since it was exported, their edit is recorded (`external`) and the
    batch is rebased onto it (re-validated, applied with the new etag; `batch` becomes the rebased one). Raises
    `BatchNotRebased` when that fails: nothing of the batch was written."""
    ids = _fix_ids(rt, campaign_id, iteration, batch)
    if not batch.accepted:
        return None
    try:
        return _write_batch(rt, campaign_id, iteration, planned.base_version_id, planned.base_etag, batch, ids)
    except ConcurrentEditError as exc:
        rt.tracking.clear_pending_apply(campaign_id, iteration)
        rt.tracking.record_event(campaign_id, "concurrent_edit", f"{exc}; rebasing the batch onto the edit",
                                 iteration=iteration)
    human, etag, live = record_external(rt, campaign_id, iteration)
    adopt(batch, rebased_batch(rt, batch, live))
    ids = _fix_ids(rt, campaign_id, iteration, batch)
    why = None
    if batch.accepted:
        try:
            return _write_batch(rt, campaign_id, iteration, human, etag, batch, ids)
        except ConcurrentEditError as exc:
            rt.tracking.clear_pending_apply(campaign_id, iteration)
            why = f"the live space changed again while the batch was rebased onto version {human}: {exc}"
    why = why or f"no fix of the batch applies on top of someone else's edit (version {human})"
    rt.tracking.set_fix_status(ids["accepted"], "rejected", f"not applied: {why}")
    rt.tracking.record_event(campaign_id, "concurrent_edit", why, iteration=iteration, data={"version_id": human})
    raise BatchNotRebased(why)


def _write_batch(rt: Runtime, campaign_id: str, iteration: int, base_version_id: str, base_etag: str, batch: Batch,
                 ids: dict[str, list[str]]) -> str:
    """Announce the write (write-ahead row), then put the candidate on the live space with `base_etag`."""
    data = canonical_bytes(batch.candidate)
    version_id = rt.tracking.record_version(data, parent_id=base_version_id, source="apply",
                                            campaign_id=campaign_id, iteration=iteration, etag=None)
    rt.tracking.write_pending_apply(campaign_id, iteration, base_version_id, version_id, base_etag)
    rt.backend.store.update(batch.candidate, base_etag)
    rt.tracking.set_fix_status(ids["accepted"], "applied", "validated and applied")
    record_write(rt, campaign_id, iteration, batch.base, batch.candidate, f"batch {version_id}")
    return version_id


def _fix_ids(rt: Runtime, campaign_id: str, iteration: int, batch: Batch) -> dict[str, list[str]]:
    """Mark invalid fixes; return the tracking ids of the accepted ones."""
    by_key = {f.fix_key: f.fix_id for f in rt.tracking.fixes(campaign_id, iteration)}
    for proposal, reason in batch.invalid:
        fid = by_key.get(proposal.fix.key)
        if fid:
            rt.tracking.set_fix_status([fid], "invalid", reason)
    return {"accepted": [by_key[p.fix.key] for p in batch.accepted if p.fix.key in by_key]}
