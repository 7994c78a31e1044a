"""A batch refused because someone edited the live space meanwhile: record their edit, rebase the batch onto it.

Why: the etag check keeps the batch from overwriting a person's edit, but throwing the batch away (and stopping
as `no_fixes`) wastes an iteration's work and says the wrong thing. Their config is recorded as a version (source
`external`, so `rollback --to` it restores it), the batch's fixes are validated again on top of it and applied
with its etag. If nothing of the batch still applies, or the space changes again, the campaign stops with reason
`concurrent_edit`.
"""

from __future__ import annotations

from genie_enhance.engine.batch import Batch, build_batch
from genie_enhance.engine.runtime import Runtime
from genie_enhance.errors import GenieEnhanceError
from genie_enhance.space.model import SerializedSpace

EXTERNAL_EDIT = "external_edit"  # event kind (also written by the snapshot when the live space changed)


class BatchNotRebased(GenieEnhanceError):
    """Someone else's edit could not be combined with the batch; nothing of the batch was written."""


def record_external(rt: Runtime, campaign_id: str, iteration: int,
                    base_version_id: str) -> tuple[str, str, SerializedSpace]:
    """Record the live config (someone else's edit) as an `external` version; returns its id, etag and space."""
    from genie_enhance.engine.steps import canonical_bytes  # steps imports the iteration machinery

    live, etag = rt.backend.store.export()
    version_id = rt.tracking.record_version(canonical_bytes(live), parent_id=base_version_id, source="external",
                                            campaign_id=campaign_id, iteration=iteration, etag=etag)
    rt.tracking.record_event(campaign_id, EXTERNAL_EDIT, f"the live space was edited during iteration {iteration}; "
                             f"recorded as version {version_id}", iteration=iteration, data={"version_id": version_id})
    return version_id, etag, live


def rebased_batch(rt: Runtime, batch: Batch, live: SerializedSpace) -> Batch:
    """The batch's accepted fixes validated again on top of the live config (someone else's edit)."""
    return build_batch(rt, live, list(batch.accepted))


def adopt(batch: Batch, rebased: Batch) -> None:
    """Make `batch` the rebased one in place (the iteration state and summary keep referring to it)."""
    batch.base, batch.candidate, batch.accepted = rebased.base, rebased.candidate, rebased.accepted
    batch.invalid = [*batch.invalid, *rebased.invalid]
