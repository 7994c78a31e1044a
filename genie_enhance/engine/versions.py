"""Config versions for people: readable diffs and rollback to any recorded version."""

from __future__ import annotations

import difflib
import json

from genie_enhance.engine.runtime import Runtime
from genie_enhance.engine.steps import canonical_bytes
from genie_enhance.space.io import parse_space
from genie_enhance.tracking import version_id_for


def _pretty(data: bytes) -> list[str]:
    return json.dumps(json.loads(data.decode("utf-8")), indent=2, sort_keys=True, ensure_ascii=False).splitlines(keepends=True)


def config_diff(old: bytes, new: bytes, *, old_name: str = "before", new_name: str = "after") -> str:
    """A unified diff of two configs, pretty-printed with sorted keys so only real changes show."""
    return "".join(difflib.unified_diff(_pretty(old), _pretty(new), fromfile=old_name, tofile=new_name))


def rollback_to(rt: Runtime, version_id: str, campaign_id: str | None = None) -> str:
    """Write a recorded version's exact bytes to the live space (etag-checked); returns the new etag."""
    data = rt.tracking.version_bytes(version_id)
    space, etag = rt.backend.store.export()
    live = version_id_for(canonical_bytes(space))
    new_etag = rt.backend.store.update(parse_space(data.decode("utf-8"), source=f"version {version_id}"), etag)
    rt.tracking.record_version(data, parent_id=live, source="rollback", campaign_id=campaign_id, iteration=None,
                               etag=new_etag)
    if campaign_id:
        rt.tracking.record_event(campaign_id, "rollback", f"manual rollback to version {version_id}",
                                 data={"restored_version_id": version_id, "previous_version_id": live})
    return new_etag
