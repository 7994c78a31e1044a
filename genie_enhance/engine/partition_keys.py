"""Iteration partition keys: `<space>-<yyyymmdd>-<hhmmss>-<short id>-i<NNNN>`, only `[a-z0-9-]`.

Why this shape: a key is what a person reads in the Dagster UI's partition list, so it names the space, when the
campaign started and which campaign (the 6 hex digits of its id), then the iteration. For an id made by
`new_campaign_id` (`c20261203T113005-3fa2c1`) the campaign part is lossless (`20261203-113005-3fa2c1`), so two
campaigns never share a key and the id is read back from the key alone. Any other id (tests, imports) becomes
a lower-case slug with a short hash of the exact id appended, so distinct ids still give distinct keys. Dagster
allows more characters in dynamic partition keys; `[a-z0-9-]` keeps URLs and run keys plain.
The launch code (`engine.launch`) names a campaign's keys with these; the sensor only parses them.
"""

from __future__ import annotations

import hashlib
import re

from genie_enhance.errors import GenieEnhanceError

_STANDARD_ID = re.compile(r"^c(?P<date>\d{8})T(?P<time>\d{6})-(?P<short>[0-9a-f]{6})$")
_STANDARD_TAIL = re.compile(r"-(?P<date>\d{8})-(?P<time>\d{6})-(?P<short>[0-9a-f]{6})(?:-i\d{4,})?$")
_PARTITION = re.compile(r"^(?P<prefix>[a-z0-9-]+)-i(?P<iteration>\d{4,})$")


def campaign_part(campaign_id: str) -> str:
    """The campaign's part of its keys: `yyyymmdd-hhmmss-<short id>` for a standard id, else a readable slug of
    the id and `-h<hash of the exact id>` (so `Run 1` and `run-1` differ, and no slug reads as a standard id)."""
    match = _STANDARD_ID.match(campaign_id)
    if match is not None:
        return f"{match['date']}-{match['time']}-{match['short']}"
    slug = re.sub(r"[^a-z0-9]+", "-", campaign_id.lower()).strip("-") or "campaign"
    return f"{slug}-h{hashlib.sha256(campaign_id.encode('utf-8')).hexdigest()[:6]}"


def campaign_id_in(key: str) -> str | None:
    """The standard campaign id a key (or prefix) spells (`demo-20261203-113005-3fa2c1-i0002` →
    `c20261203T113005-3fa2c1`); None for a slug key, whose campaign only the tracking store can name."""
    match = _STANDARD_TAIL.search(key)
    return None if match is None else f"c{match['date']}T{match['time']}-{match['short']}"


def campaign_prefix(space_key: str, campaign_id: str) -> str:
    """`<space>-<campaign part>`: every iteration key of the campaign starts with it (then `-i<NNNN>`)."""
    return f"{space_key}-{campaign_part(campaign_id)}"


def partition_key(space_key: str, campaign_id: str, iteration: int) -> str:
    """The key of the campaign's iteration `iteration` (1-based)."""
    return f"{campaign_prefix(space_key, campaign_id)}-i{iteration:04d}"


def split_partition(key: str) -> tuple[str, int]:
    """`<space>-<campaign part>-i<NNNN>` → (`<space>-<campaign part>`, iteration)."""
    match = _PARTITION.match(key)
    if match is None:
        raise GenieEnhanceError(f"{key!r} is not an iteration partition key (<space>-<campaign>-i<NNNN>)")
    return match["prefix"], int(match["iteration"])


def next_partition(key: str) -> str:
    """The partition key of the iteration after `key`'s."""
    prefix, iteration = split_partition(key)
    return f"{prefix}-i{iteration + 1:04d}"
