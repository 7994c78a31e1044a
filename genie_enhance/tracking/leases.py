"""Driver leases: which process may drive a space's campaign, kept in the tracking store itself.

Why in the store: every driver (CLI `run`, `demo`, a Dagster iteration run) already opens it, so one row per space
is the only lock they all see. Each take/renew is one short transaction comparing `expires_at` with the caller's
clock (injected, so tests move time instead of sleeping); a holder that stops renewing (killed) loses the lease
once it expires.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from genie_enhance.core.required import required
from genie_enhance.tracking.database import Database
from genie_enhance.tracking.timeutil import to_db

_COLUMNS = "space_key, campaign_id, owner, holder, acquired_at, heartbeat_at, expires_at"


@dataclass(frozen=True)
class LeaseRecord:
    space_key: str
    campaign_id: str | None
    owner: str  # for people: host:pid and command
    holder: str  # the identity renewing it (a process, or a Dagster iteration partition)
    acquired_at: datetime
    heartbeat_at: datetime
    expires_at: datetime


class StoreLeases:
    """Lease half of `TrackingStore` (needs `_db`)."""

    _db: Database

    def lease(self, space_key: str) -> LeaseRecord | None:
        """The space's lease row (possibly expired), or None."""
        with self._db.transaction() as conn:
            row = conn.execute(f"SELECT {_COLUMNS} FROM driver_leases WHERE space_key = ?", [space_key]).fetchone()
        return LeaseRecord(*row) if row else None

    def take_lease(self, space_key: str, holder: str, owner: str, *, now: datetime, ttl_s: float,
                   campaign_id: str | None = None, dead_holder: str | None = None) -> tuple[bool, LeaseRecord]:
        """Take (or renew) the lease when it is free, expired, already `holder`'s, or `dead_holder`'s (known dead);
        returns (taken, the lease now in force). Renewing keeps `acquired_at`, and the campaign id when none is
        given."""
        now = required(to_db(now), "the lease time")
        expires = now + timedelta(seconds=ttl_s)
        with self._db.transaction() as conn:
            row = conn.execute(f"SELECT {_COLUMNS} FROM driver_leases WHERE space_key = ?", [space_key]).fetchone()
            current = LeaseRecord(*row) if row else None
            if (current is not None and current.holder not in (holder, dead_holder)
                    and current.expires_at > now):
                return False, current
            mine = current if current is not None and current.holder == holder else None
            taken = LeaseRecord(space_key, campaign_id or (mine.campaign_id if mine else None), owner, holder,
                                mine.acquired_at if mine else now, now, expires)
            conn.execute("DELETE FROM driver_leases WHERE space_key = ?", [space_key])
            conn.execute(f"INSERT INTO driver_leases ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                         [taken.space_key, taken.campaign_id, taken.owner, taken.holder, taken.acquired_at,
                          taken.heartbeat_at, taken.expires_at])
        return True, taken

    def release_lease(self, space_key: str, holder: str) -> bool:
        """Drop the lease if `holder` has it; True if it did."""
        with self._db.transaction() as conn:
            return bool(conn.execute("DELETE FROM driver_leases WHERE space_key = ? AND holder = ? RETURNING holder",
                                     [space_key, holder]).fetchall())
