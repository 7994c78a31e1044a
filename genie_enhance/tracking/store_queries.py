"""Every read of the tracking store, each in one short transaction that returns plain records."""

from __future__ import annotations

from collections import defaultdict
from typing import Any, TypeVar

from pydantic import BaseModel

from genie_enhance.core.required import required
from genie_enhance.proposers.lessons import Lesson
from genie_enhance.tracking.database import Database, fetch_dicts
from genie_enhance.tracking.errors import TrackingError
from genie_enhance.tracking.lessons import compute_lessons
from genie_enhance.tracking.records import (
    CampaignRecord,
    CampaignSummary,
    EventRecord,
    FixRecord,
    IterationRecord,
    LLMCallRecord,
    PendingApplyRecord,
    QuestionOutcome,
    QuestionResultRecord,
    VersionRecord,
    record_from_row,
)

R = TypeVar("R", bound=BaseModel)

_VERSION_SELECT = (
    "SELECT v.version_id, v.campaign_id, v.parent_id, v.iteration, v.source, v.etag, v.created_at, b.size_bytes "
    "FROM config_versions v JOIN config_blobs b USING (version_id)"
)
_SUMMARY_SQL = """
SELECT count(*) AS iterations_completed,
       arg_min(objective, iteration) AS first_objective,
       arg_max(objective, iteration) AS last_objective,
       max(objective) AS best_objective,
       arg_min(iteration, (-objective, iteration)) FILTER (WHERE objective IS NOT NULL) AS best_iteration,
       COALESCE(sum(genie_calls), 0) AS genie_calls,
       COALESCE(sum(wall_s), 0) AS wall_s
FROM iterations WHERE campaign_id = ? AND completed_at IS NOT NULL
"""


class StoreQueries:
    """Read half of `TrackingStore` (needs `_db`, set by its constructor)."""

    _db: Database

    def _records(self, model: type[R], sql: str, params: list[Any]) -> list[R]:
        with self._db.transaction() as conn:
            rows = fetch_dicts(conn, sql, params)
        return [record_from_row(model, row) for row in rows]

    # ------------------------------------------------------------------------------------------------ campaigns
    def campaign(self, campaign_id: str) -> CampaignRecord:
        """The campaign with this id; `TrackingError` if the store has none."""
        found = self._records(CampaignRecord, "SELECT * FROM campaigns WHERE campaign_id = ?", [campaign_id])
        if not found:
            raise TrackingError(f"unknown campaign {campaign_id!r}")
        return found[0]

    def campaigns(self, space_key: str | None = None) -> list[CampaignRecord]:
        """Every campaign (of one space, when given), oldest first."""
        return self._records(
            CampaignRecord,
            "SELECT * FROM campaigns WHERE ? IS NULL OR space_key = ? ORDER BY started_at, campaign_id",
            [space_key, space_key],
        )

    def latest_campaign(self, space_key: str | None = None) -> CampaignRecord | None:
        """The most recently started campaign (of one space, when given), or None."""
        found = self.campaigns(space_key)
        return found[-1] if found else None

    def campaign_summary(self, campaign_id: str) -> CampaignSummary:
        """Totals over the campaign's completed iterations and all of its LLM calls."""
        campaign = self.campaign(campaign_id)
        with self._db.transaction() as conn:
            totals = fetch_dicts(conn, _SUMMARY_SQL, [campaign_id])[0]
            llm = required(conn.execute(
                "SELECT count(*), COALESCE(sum(cost_usd), 0) FROM llm_calls WHERE campaign_id = ?", [campaign_id]
            ).fetchone(), "an aggregate row")
            fix_counts = dict(conn.execute(
                "SELECT status, count(*) FROM fixes WHERE campaign_id = ? GROUP BY status ORDER BY status",
                [campaign_id],
            ).fetchall())
        return CampaignSummary(
            campaign=campaign, llm_calls=llm[0], llm_cost_usd=llm[1], fix_counts=fix_counts, **totals
        )

    # ------------------------------------------------------------------------------------------------ versions
    def version_bytes(self, version_id: str) -> bytes:
        """The exact bytes of a config version (what a rollback writes back)."""
        with self._db.transaction() as conn:
            row = conn.execute("SELECT bytes FROM config_blobs WHERE version_id = ?", [version_id]).fetchone()
        if row is None:
            raise TrackingError(f"unknown config version {version_id!r}")
        return bytes(row[0])

    def version_spaces(self, version_id: str) -> list[str]:
        """The spaces this config version was recorded for (empty for an unknown id or a space-less recording)."""
        with self._db.transaction() as conn:
            rows = conn.execute("SELECT space_key FROM space_versions WHERE version_id = ? ORDER BY space_key",
                                [version_id]).fetchall()
        return [r[0] for r in rows]

    def versions(self, campaign_id: str | None = None) -> list[VersionRecord]:
        """Config versions seen by one campaign (or by all), in the order they were recorded."""
        return self._records(
            VersionRecord,
            f"{_VERSION_SELECT} WHERE ? IS NULL OR v.campaign_id = ? ORDER BY v.created_at, v.version_id",
            [campaign_id, campaign_id],
        )

    # ------------------------------------------------------------------------------------------------ iterations
    def iteration(self, campaign_id: str, iteration: int) -> IterationRecord | None:
        """One iteration, complete or not, or None."""
        found = self._records(
            IterationRecord,
            "SELECT * FROM iterations WHERE campaign_id = ? AND iteration = ?",
            [campaign_id, iteration],
        )
        return found[0] if found else None

    def last_complete_iteration(self, campaign_id: str) -> int | None:
        """The highest completed iteration number, or None when none completed yet."""
        with self._db.transaction() as conn:
            row = required(conn.execute(
                "SELECT max(iteration) FROM iterations WHERE campaign_id = ? AND completed_at IS NOT NULL",
                [campaign_id],
            ).fetchone(), "an aggregate row")
        return None if row[0] is None else int(row[0])

    def history(self, campaign_id: str) -> list[IterationRecord]:
        """The completed iterations in order: the decision policy's input."""
        return self._records(
            IterationRecord,
            "SELECT * FROM iterations WHERE campaign_id = ? AND completed_at IS NOT NULL ORDER BY iteration",
            [campaign_id],
        )

    # ------------------------------------------------------------------------------------------------ results
    def results(self, campaign_id: str, iteration: int) -> list[QuestionResultRecord]:
        """The question results of one iteration, by question id."""
        return self._records(
            QuestionResultRecord,
            "SELECT * FROM question_results WHERE campaign_id = ? AND iteration = ? ORDER BY question_id",
            [campaign_id, iteration],
        )

    def question_history(self, campaign_id: str) -> dict[str, list[QuestionOutcome]]:
        """Per question, its (iteration, verdict, generated SQL) over the completed iterations, in order."""
        with self._db.transaction() as conn:
            rows = conn.execute(
                "SELECT r.question_id, r.iteration, r.verdict, r.generated_sql FROM question_results r "
                "JOIN iterations i USING (campaign_id, iteration) "
                "WHERE r.campaign_id = ? AND i.completed_at IS NOT NULL ORDER BY r.question_id, r.iteration",
                [campaign_id],
            ).fetchall()
        history: dict[str, list[QuestionOutcome]] = defaultdict(list)
        for question_id, iteration, verdict, sql in rows:
            history[question_id].append(QuestionOutcome(iteration, verdict, sql))
        return dict(history)

    # ------------------------------------------------------------------------------------------------ fixes
    def fixes(self, campaign_id: str, iteration: int | None = None) -> list[FixRecord]:
        """The fixes of a campaign (of one iteration, when given), in the order they were recorded."""
        return self._records(
            FixRecord,
            "SELECT * FROM fixes WHERE campaign_id = ? AND (? IS NULL OR iteration = ?) "
            "ORDER BY iteration, created_at, fix_id",
            [campaign_id, iteration, iteration],
        )

    def lessons(self, limit_examples: int = 3) -> list[Lesson]:
        """Lessons over every campaign in the store (see `genie_enhance.tracking.lessons`)."""
        with self._db.transaction() as conn:
            return compute_lessons(conn, limit_examples)

    # ------------------------------------------------------------------------------------------------ LLM, events
    def llm_calls(self, campaign_id: str) -> list[LLMCallRecord]:
        """The LLM calls recorded for a campaign, in the order they started."""
        return self._records(
            LLMCallRecord,
            "SELECT * FROM llm_calls WHERE campaign_id = ? ORDER BY started_at NULLS LAST, call_id",
            [campaign_id],
        )

    def events(self, campaign_id: str, iteration: int | None = None) -> list[EventRecord]:
        """The campaign's event log (of one iteration, when given), in order."""
        return self._records(
            EventRecord,
            "SELECT campaign_id, seq, iteration, ts, kind, message, data_json FROM events "
            "WHERE campaign_id = ? AND (? IS NULL OR iteration = ?) ORDER BY seq",
            [campaign_id, iteration, iteration],
        )

    def pending_apply(self, campaign_id: str) -> PendingApplyRecord | None:
        """The campaign's write-ahead apply row, if an apply was begun and its iteration never completed."""
        found = self._records(
            PendingApplyRecord, "SELECT * FROM pending_applies WHERE campaign_id = ?", [campaign_id]
        )
        return found[0] if found else None
