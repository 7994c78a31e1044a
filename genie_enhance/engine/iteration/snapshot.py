"""Snapshot: export the live config and record it as the iteration's config version.

Why a version per iteration: every score, fix and rollback refers to the exact bytes it was measured on, so a
rollback restores them byte for byte (`engine.versions.write_version`), and an edit nobody of the campaign made
is noticed (`external`) instead of being credited to a batch.
"""

from __future__ import annotations

from dataclasses import dataclass

from genie_enhance.engine.runtime import Runtime
from genie_enhance.space.io import canonical_bytes
from genie_enhance.space.model import SerializedSpace
from genie_enhance.tracking import IterationRecord, version_id_for


def partition_key(space_key: str, campaign_id: str, iteration: int) -> str:
    """`<space>-c<campaign>-i<NNNN>`, only `[a-z0-9-]` (Dagster dynamic partition keys)."""
    raw = f"{space_key}-c{campaign_id.removeprefix('c')}-i{iteration:04d}".lower()
    return "".join(ch if ch.isalnum() or ch == "-" else "-" for ch in raw)


@dataclass
class Snapshot:
    version_id: str
    etag: str
    space: SerializedSpace
    data: bytes
    source: str


def _expected_versions(prev: IterationRecord | None) -> set[str]:
    if prev is None:
        return set()
    return {v for v in (prev.applied_version_id, prev.config_version_id) if v}


def snapshot(rt: Runtime, campaign_id: str, iteration: int) -> Snapshot:
    """Export the live config and record it as this iteration's config version."""
    space, etag = rt.backend.store.export()
    data = canonical_bytes(space)
    version_id = version_id_for(data)
    history = rt.tracking.history(campaign_id)
    prev = history[-1] if history else None
    known = {v.version_id for v in rt.tracking.versions(campaign_id)}
    source = "snapshot"
    if prev is not None and version_id not in _expected_versions(prev) and version_id not in known:
        source = "external"
        rt.tracking.record_event(campaign_id, "external_edit", "the live space changed outside this campaign",
                                 iteration=iteration, data={"version_id": version_id})
    parent = (prev.applied_version_id or prev.config_version_id) if prev else None
    rt.tracking.record_version(data, parent_id=parent, source=source, campaign_id=campaign_id,
                               iteration=iteration, etag=etag)
    key = partition_key(rt.settings.space_key, campaign_id, iteration)
    rt.tracking.begin_iteration(campaign_id, iteration, key, version_id)
    return Snapshot(version_id, etag, space, data, source)
