"""Starting a campaign on request (launchpad job, nightly health check) and finding a partition's campaign.

Why refuse a second running campaign: two campaigns on one space would apply batches over each other. A campaign
a driver gave up on stays `running` in the store, so the caller may explicitly supersede it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from genie_enhance.engine.campaign import start_or_resume
from genie_enhance.engine.iteration.snapshot import partition_key
from genie_enhance.engine.runtime import Runtime
from genie_enhance.errors import GenieEnhanceError
from genie_enhance.tracking import CampaignRecord, TrackingStore

_PARTITION = re.compile(r"^(?P<prefix>[a-z0-9-]+)-i(?P<iteration>\d{4,})$")


@dataclass(frozen=True)
class Started:
    campaign_id: str
    space_key: str
    first_partition: str
    superseded: str | None = None  # the running campaign this one replaced


def start_campaign(rt: Runtime, *, supersede_running: bool = False) -> Started:
    """Record a new campaign for the runtime's space and return it with its first iteration's partition key."""
    space_key = rt.settings.space_key
    superseded = supersede_or_refuse(rt.tracking, space_key, supersede_running, hint="start with supersede_running")
    campaign_id = start_or_resume(rt, new=True)
    return Started(campaign_id, space_key, partition_key(space_key, campaign_id, 1), superseded)


def supersede_or_refuse(store: TrackingStore, space_key: str, supersede: bool, *, hint: str) -> str | None:
    """Before a new campaign: refuse when the space has a running one, or (asked to) mark it failed as
    `superseded`. Returns the superseded campaign's id."""
    running = store.latest_campaign(space_key)
    if running is None or running.status != "running":
        return None
    if not supersede:
        raise GenieEnhanceError(
            f"space {space_key!r} already has a running campaign {running.campaign_id}; let it finish (or resume "
            f"it), or {hint} to mark it failed and start over"
        )
    store.record_event(running.campaign_id, "superseded", "a new campaign was started for this space")
    store.finish_campaign(running.campaign_id, "superseded", None, status="failed")
    return running.campaign_id


def split_partition(key: str) -> tuple[str, int]:
    """`<space>-c<campaign>-i<NNNN>` → (`<space>-c<campaign>`, iteration)."""
    match = _PARTITION.match(key)
    if match is None:
        raise GenieEnhanceError(f"{key!r} is not an iteration partition key (<space>-c<campaign>-i<NNNN>)")
    return match["prefix"], int(match["iteration"])


def next_partition(key: str) -> str:
    """The partition key of the iteration after `key`'s."""
    prefix, iteration = split_partition(key)
    return f"{prefix}-i{iteration + 1:04d}"


def campaign_of(store: TrackingStore, key: str) -> tuple[CampaignRecord, int]:
    """The campaign and iteration number an iteration partition key names (from the tracking store)."""
    _, iteration = split_partition(key)
    for campaign in reversed(store.campaigns()):
        if partition_key(campaign.space_key, campaign.campaign_id, iteration) == key:
            return campaign, iteration
    raise GenieEnhanceError(f"partition {key}: no campaign in {store.path} has this key; start campaigns with the "
                            "start_campaign job (or the CLI `run`) so their iterations are recorded")
