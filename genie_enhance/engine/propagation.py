"""Waiting for an update of a live space to take effect before scoring it.

Why: Genie does not answer from a new config the instant `update_space` returns; changes to entity matching,
format assistance or value dictionaries (rebuilt from the data) take longer still. Scoring right after a write
measures the previous config, so the campaign would keep or roll back a batch on a score that is not its own.
Every write of the campaign records a `config_update` event with its settle delay and time; the next scoring waits
until that time plus the delay. The wait goes through the runtime's `Settler` (`engine/settler.py`: clock and
sleep), like the token bucket in `core/ratelimit.py`, so tests need not wait.
"""

from __future__ import annotations

from genie_enhance.core.progress import ProgressEvent, Stage, emit
from genie_enhance.engine.runtime import Runtime
from genie_enhance.space.model import SerializedSpace

CONFIG_UPDATE = "config_update"  # event kind: the campaign wrote the live space (data: settle_s, at)
PROPAGATION_WAIT = "propagation_wait"  # event kind: scoring waited for the last write to take effect
SLOW_COLUMN_FIELDS = ("enable_entity_matching", "enable_format_assistance")


def _slow_settings(space: SerializedSpace) -> dict[tuple[str, str], tuple]:
    """Per (table, column): the settings Genie rebuilds from the data (entity matching, format assistance, value
    dictionaries) — what makes an update slow to take effect."""
    found = {}
    for table in space.data_sources.tables:
        for column in table.column_configs:
            extra = column.model_extra or {}
            values = [getattr(column, name) for name in SLOW_COLUMN_FIELDS]
            values += [repr(extra[name]) for name in sorted(extra) if "dictionar" in name]
            found[(table.identifier, column.column_name.lower())] = tuple(values)
    return found


def touches_slow_settings(before: SerializedSpace, after: SerializedSpace) -> bool:
    """Whether the update from `before` to `after` changes entity matching, format assistance or a value
    dictionary of any column."""
    old, new = _slow_settings(before), _slow_settings(after)
    empty = (None,) * len(SLOW_COLUMN_FIELDS)
    return any(old.get(key, empty) != new.get(key, empty) for key in old.keys() | new.keys())


def settle_delay_s(rt: Runtime, before: SerializedSpace, after: SerializedSpace) -> float:
    """How long scoring waits after writing `after` over `before`: 0 on the local backend (a file is in effect
    at once), the slow delay when Genie must rebuild entity matching / format assistance / value dictionaries."""
    if rt.settings.backend == "local":
        return 0.0
    return rt.settings.settle_slow_s if touches_slow_settings(before, after) else rt.settings.settle_s


def record_write(rt: Runtime, campaign_id: str, iteration: int | None, before: SerializedSpace,
                 after: SerializedSpace, what: str) -> float:
    """Note a write of the live space (the `config_update` event the next scoring waits on); returns its delay."""
    delay = settle_delay_s(rt, before, after)
    rt.tracking.record_event(
        campaign_id, CONFIG_UPDATE, f"{what} written to the live space; scoring waits {delay:g}s for it to take effect",
        iteration=iteration, data={"settle_s": delay, "at": rt.settler.clock(), "slow": touches_slow_settings(before, after)},
    )
    return delay


def wait_for_propagation(rt: Runtime, campaign_id: str, iteration: int) -> float:
    """Before scoring: wait until the campaign's last write has taken effect; returns the seconds waited
    (recorded as a `propagation_wait` event, and announced to the runtime's progress callback)."""
    updates = [e for e in rt.tracking.events(campaign_id) if e.kind == CONFIG_UPDATE]
    if not updates:
        return 0.0
    last = updates[-1].data
    deadline = float(last["at"]) + float(last["settle_s"])
    remaining = deadline - rt.settler.clock()
    if remaining <= 0:
        return 0.0
    message = f"waiting {remaining:.1f}s for the last update of the live space to take effect before scoring"
    emit(rt.progress, ProgressEvent("propagation", Stage.WAIT, message=message, seconds=remaining))
    waited = rt.settler.wait_until(deadline)
    rt.tracking.record_event(campaign_id, PROPAGATION_WAIT, message, iteration=iteration,
                             data={"waited_s": round(waited, 3), "settle_s": float(last["settle_s"])})
    return waited
