"""Health checks of live configs and the per-space daily roll-up (what the Dagster history asset reports).

`daily_rollup` takes a bare DuckDB connection, so a caller holding its own short-lived connection (Dagster's
`DuckDBResource`) can run it; the store's methods open theirs as every other store method does.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from typing import Any

import duckdb
from pydantic import BaseModel, Field

from genie_enhance.tracking.database import Database, fetch_dicts, upsert
from genie_enhance.tracking.records import _Record, record_from_row
from genie_enhance.tracking.timeutil import to_db, utc_now


class HealthCheck(BaseModel):
    """One scoring of a space's live config, outside any campaign."""

    space_key: str
    config_version_id: str
    score_train: float | None = None
    score_holdout: float | None = None
    score_all: float | None = None
    objective: float | None = None
    target: float | None = None
    counts: dict[str, int] = Field(default_factory=dict)
    genie_calls: int = 0
    wall_s: float = 0.0
    started_campaign_id: str | None = None
    note: str | None = None
    checked_at: datetime = Field(default_factory=utc_now)

    @property
    def below_target(self) -> bool:
        return self.target is not None and (self.objective is None or self.objective < self.target)


class HealthCheckRecord(_Record):
    check_id: str
    space_key: str
    checked_at: datetime
    config_version_id: str
    score_train: float | None
    score_holdout: float | None
    score_all: float | None
    objective: float | None
    target: float | None
    counts: dict[str, int]
    genie_calls: int
    wall_s: float
    started_campaign_id: str | None
    note: str | None


class DailyRollup(BaseModel):
    """One space's day: campaigns started and finished, iterations completed, health checks."""

    space_key: str
    day: date
    campaigns_started: list[str] = Field(default_factory=list)
    campaigns_finished: dict[str, str | None] = Field(default_factory=dict)  # campaign -> stop reason
    iterations_completed: int = 0
    best_objective: float | None = None
    last_objective: float | None = None
    fixes_applied: int = 0
    genie_calls: int = 0
    llm_calls: int = 0
    cost_usd: float = 0.0
    health_checks: int = 0
    health_below_target: int = 0
    last_health_objective: float | None = None


def _day_bounds(day: date) -> list[datetime]:
    start = datetime(day.year, day.month, day.day)
    return [start, start + timedelta(days=1)]


_ITERATIONS_SQL = """
SELECT count(*) AS n, max(i.objective) AS best, arg_max(i.objective, i.completed_at) AS last,
       COALESCE(sum(i.fixes_applied), 0) AS fixes, COALESCE(sum(i.genie_calls), 0) AS genie,
       COALESCE(sum(i.llm_calls), 0) AS llm, COALESCE(sum(i.cost_usd), 0) AS cost
FROM iterations i JOIN campaigns c USING (campaign_id)
WHERE c.space_key = ? AND i.completed_at >= ? AND i.completed_at < ?
"""
_HEALTH_SQL = """
SELECT count(*) AS n, count(*) FILTER (WHERE objective IS NULL OR objective < target) AS below,
       arg_max(objective, checked_at) AS last
FROM health_checks WHERE space_key = ? AND checked_at >= ? AND checked_at < ?
"""


def daily_rollup(conn: duckdb.DuckDBPyConnection, space_key: str, day: date) -> DailyRollup:
    """Roll up one space's day from the tracking tables (UTC days)."""
    bounds = _day_bounds(day)
    started = [r[0] for r in conn.execute(
        "SELECT campaign_id FROM campaigns WHERE space_key = ? AND started_at >= ? AND started_at < ? "
        "ORDER BY started_at", [space_key, *bounds]).fetchall()]
    finished = dict(conn.execute(
        "SELECT campaign_id, stop_reason FROM campaigns WHERE space_key = ? AND finished_at >= ? AND finished_at < ? "
        "ORDER BY finished_at", [space_key, *bounds]).fetchall())
    it = fetch_dicts(conn, _ITERATIONS_SQL, [space_key, *bounds])[0]
    health = fetch_dicts(conn, _HEALTH_SQL, [space_key, *bounds])[0]
    return DailyRollup(
        space_key=space_key, day=day, campaigns_started=started, campaigns_finished=finished,
        iterations_completed=it["n"], best_objective=it["best"], last_objective=it["last"],
        fixes_applied=it["fixes"], genie_calls=it["genie"], llm_calls=it["llm"], cost_usd=it["cost"],
        health_checks=health["n"], health_below_target=health["below"], last_health_objective=health["last"],
    )


class StoreHealth:
    """Health-check half of `TrackingStore` (needs `_db` and `_clean`)."""

    _db: Database
    _clean: Callable[[Mapping[str, Any]], dict[str, Any]]  # StoreWrites' secret-scrubbing row encoder

    def record_health_check(self, check: HealthCheck) -> str:
        """Store one health check; returns its id."""
        check_id = uuid.uuid4().hex
        row = self._clean({
            "check_id": check_id, "space_key": check.space_key, "checked_at": to_db(check.checked_at),
            "config_version_id": check.config_version_id, "score_train": check.score_train,
            "score_holdout": check.score_holdout, "score_all": check.score_all, "objective": check.objective,
            "target": check.target, "counts_json": check.counts, "genie_calls": check.genie_calls,
            "wall_s": check.wall_s, "started_campaign_id": check.started_campaign_id, "note": check.note,
        })
        with self._db.transaction() as conn:
            upsert(conn, "health_checks", [row], key=["check_id"])
        return check_id

    def health_checks(self, space_key: str | None = None) -> list[HealthCheckRecord]:
        """Health checks (of one space, when given), oldest first."""
        with self._db.transaction() as conn:
            rows = fetch_dicts(conn, "SELECT * FROM health_checks WHERE ? IS NULL OR space_key = ? "
                                     "ORDER BY checked_at, check_id", [space_key, space_key])
        return [record_from_row(HealthCheckRecord, row) for row in rows]

    def daily_rollup(self, space_key: str, day: date) -> DailyRollup:
        with self._db.transaction() as conn:
            return daily_rollup(conn, space_key, day)
