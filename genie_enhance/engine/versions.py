"""Config versions for people: readable diffs, rollback to any recorded version, and never losing live bytes.

Why `record_live_if_unknown` before every write to a live space: a person may have edited the space since we last
looked. The etag only protects the race inside one command, so the bytes about to be replaced are recorded first
(source `external`) when they are not already a version of this space, and `rollback --to` that version restores
them byte for byte.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass

from genie_enhance.engine.batch import added_problems
from genie_enhance.engine.runtime import Runtime
from genie_enhance.errors import GenieEnhanceError
from genie_enhance.space.io import canonical_bytes, parse_space
from genie_enhance.space.model import SerializedSpace
from genie_enhance.tracking import version_id_for

EXTERNAL_EDIT = "external_edit"  # event kind: live bytes no version of the space had, recorded before a write


@dataclass(frozen=True)
class Live:
    """The live space as exported just before a write: its etag, version id, and the `external` version recorded
    for it (None when its bytes were already a version of the space)."""

    space: SerializedSpace
    etag: str
    version_id: str
    external_version_id: str | None


def record_live_if_unknown(rt: Runtime, campaign_id: str | None = None, iteration: int | None = None, *,
                           before: str = "a write") -> Live:
    """Export the live space; if its bytes are not a recorded version of this space, record them as `external`
    (and, within a campaign, as an `external_edit` event naming the version). Call before any write to it."""
    space, etag = rt.backend.store.export()
    data = canonical_bytes(space)
    version_id = version_id_for(data)
    space_key = rt.settings.space_key
    if space_key in rt.tracking.version_spaces(version_id):
        return Live(space, etag, version_id, None)
    rt.tracking.record_version(data, parent_id=None, source="external", campaign_id=campaign_id,
                               iteration=iteration, etag=etag, space_key=space_key)
    if campaign_id:
        rt.tracking.record_event(
            campaign_id, EXTERNAL_EDIT,
            f"the live space had unrecorded changes; recorded them as version {version_id} before {before}",
            iteration=iteration, data={"version_id": version_id, "before": before})
    return Live(space, etag, version_id, version_id)


def write_version(rt: Runtime, version_id: str, campaign_id: str | None = None,
                  iteration: int | None = None) -> tuple[SerializedSpace, str]:
    """Put a recorded version's exact bytes on the live space (etag-checked; nothing is written when they are
    already live; live bytes no version has are recorded first). Returns the space now live and its etag."""
    data = rt.tracking.version_bytes(version_id)
    live = record_live_if_unknown(rt, campaign_id, iteration, before=f"restoring version {version_id}")
    if canonical_bytes(live.space) == data:
        return live.space, live.etag
    restored = parse_space(data.decode("utf-8"), source=f"version {version_id}")
    return restored, rt.backend.store.update(restored, live.etag)


def require_space_version(rt: Runtime, version_id: str) -> bytes:
    """The bytes of a version of this runtime's space; a version recorded only for other spaces is refused."""
    data = rt.tracking.version_bytes(version_id)
    spaces = rt.tracking.version_spaces(version_id)
    if spaces and rt.settings.space_key not in spaces:
        raise GenieEnhanceError(f"version {version_id} belongs to space {', '.join(spaces)}, "
                                f"not {rt.settings.space_key!r}")
    return data


def _pretty(data: bytes) -> list[str]:
    return json.dumps(json.loads(data.decode("utf-8")), indent=2, sort_keys=True, ensure_ascii=False).splitlines(keepends=True)


def config_diff(old: bytes, new: bytes, *, old_name: str = "before", new_name: str = "after") -> str:
    """A unified diff of two configs, pretty-printed with sorted keys so only real changes show."""
    return "".join(difflib.unified_diff(_pretty(old), _pretty(new), fromfile=old_name, tofile=new_name))


@dataclass(frozen=True)
class Restored:
    etag: str
    external_version_id: str | None  # the unrecorded live bytes this rollback replaced, now a version


def rollback_to(rt: Runtime, version_id: str, campaign_id: str | None = None) -> Restored:
    """Write a recorded version of this space's exact bytes to the live space (validated like any candidate,
    etag-checked), after recording the live bytes if they are no version yet."""
    data = require_space_version(rt, version_id)
    target = parse_space(data.decode("utf-8"), source=f"version {version_id}")
    live = record_live_if_unknown(rt, campaign_id, before=f"rollback to {version_id}")
    problems = added_problems(rt, live.space, target)
    if problems:
        raise GenieEnhanceError(f"version {version_id} is not valid for the live space; not restored: "
                                f"{'; '.join(problems)}")
    new_etag = rt.backend.store.update(target, live.etag)
    rt.tracking.record_version(data, parent_id=live.version_id, source="rollback", campaign_id=campaign_id,
                               iteration=None, etag=new_etag, space_key=rt.settings.space_key)
    if campaign_id:
        rt.tracking.record_event(campaign_id, "rollback", f"manual rollback to version {version_id}",
                                 data={"restored_version_id": version_id, "previous_version_id": live.version_id,
                                       "external_version_id": live.external_version_id})
    return Restored(new_etag, live.external_version_id)
