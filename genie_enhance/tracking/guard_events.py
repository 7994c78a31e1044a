"""The leakage guard's record, read back from the event log: what it inspected and stopped, and the final check.

Why events and not a table: the guard's per-iteration counts and the final-space check are facts about a campaign
that nothing queries by column; the event log already keeps them in order, is discarded with an incomplete
iteration like everything else, and feeds both `run --json` (`leak_guard`) and the report from one reading.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, Field

from genie_enhance.tracking.records import EventRecord

GUARD_EVENT = "leak_guard"  # per iteration: {"checked": n, "stopped": {rule: n}, "queries": n}
CHECK_EVENT = "leak_check"  # once per final version: {"version_id", "leaks": [...], "added": n, "rules": {...}}


class FinalLeakCheck(BaseModel):
    version_id: str | None = None
    leaks: list[dict[str, Any]] = Field(default_factory=list)  # path, rule, holdout_id, reason, in_base
    added: int = 0  # leaks this campaign added (the rest were in its starting config)
    message: str = ""


class GuardTotals(BaseModel):
    """The guard over a whole campaign."""

    checked: int = 0
    by_rule: dict[str, int] = Field(default_factory=dict)
    queries: int = 0  # candidate queries the result rule ran on the warehouse
    final_check: FinalLeakCheck | None = None

    @property
    def stopped(self) -> int:
        return sum(self.by_rule.values())

    def summary(self) -> dict[str, Any]:
        """The `leak_guard` value of `run --json`."""
        final = self.final_check
        return {
            "checked": self.checked, "stopped": self.stopped, "by_rule": self.by_rule, "queries": self.queries,
            "final_check": None if final is None else {
                "version_id": final.version_id, "leaks": len(final.leaks), "added": final.added,
                "rules": dict(Counter(str(leak.get("rule")) for leak in final.leaks)),
            },
        }


def guard_totals(events: Iterable[EventRecord]) -> GuardTotals:
    """Sum the per-iteration guard events; keep the last final check."""
    totals = GuardTotals()
    stopped: Counter[str] = Counter()
    for event in events:
        if event.kind == GUARD_EVENT:
            totals.checked += int(event.data.get("checked", 0))
            totals.queries += int(event.data.get("queries", 0))
            stopped.update({str(k): int(v) for k, v in event.data.get("stopped", {}).items()})
        elif event.kind == CHECK_EVENT:
            totals.final_check = FinalLeakCheck(
                version_id=event.data.get("version_id"), leaks=list(event.data.get("leaks", [])),
                added=int(event.data.get("added", 0)), message=event.message,
            )
    totals.by_rule = dict(sorted(stopped.items()))
    return totals
