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
from genie_enhance.engine.versions import record_live_if_unknown
from genie_enhance.errors import GenieEnhanceError
from genie_enhance.space.model import SerializedSpace


class BatchNotRebased(GenieEnhanceError):
    """Someone else's edit could not be combined with the batch; nothing of the batch was written."""


def record_external(rt: Runtime, campaign_id: str, iteration: int) -> tuple[str, str, SerializedSpace]:
    """Record the live config (someone else's edit) as an `external` version unless it already is a version of
    the space; returns its id, etag and space."""
    live = record_live_if_unknown(rt, campaign_id, iteration, before=f"rebasing iteration {iteration}'s batch")
    return live.version_id, live.etag, live.space


def rebased_batch(rt: Runtime, batch: Batch, live: SerializedSpace) -> Batch:
    """The batch's accepted fixes validated again on top of the live config (someone else's edit)."""
    return build_batch(rt, live, list(batch.accepted))


def adopt(batch: Batch, rebased: Batch) -> None:
    """Make `batch` the rebased one in place (the iteration state and summary keep referring to it)."""
    batch.base, batch.candidate, batch.accepted = rebased.base, rebased.candidate, rebased.accepted
    batch.invalid = [*batch.invalid, *rebased.invalid]
