"""Every write of the tracking store: idempotent upserts, each in one short transaction.

Idempotent means a retried step (Dagster re-executes a failed step; a resumed campaign re-runs an iteration) can
record the same thing again without duplicating or changing rows. Every text and JSON value passes through
`_clean` first, which removes secrets, so no write path can store a token by accident.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import duckdb

from genie_enhance.core.required import required
from genie_enhance.diagnosis.model import Diagnosis
from genie_enhance.llm.records import LLMCall
from genie_enhance.redact import scrub, scrub_text
from genie_enhance.scoring.runner import QuestionResult
from genie_enhance.tracking.database import Database, upsert
from genie_enhance.tracking.errors import TrackingError
from genie_enhance.tracking.inputs import FixItem, fix_row, llm_call_row, result_row, text
from genie_enhance.tracking.records import CampaignSpec, IterationSummary, version_id_for
from genie_enhance.tracking.schema import FIX_STATUSES, MEASURED_FIX_STATUSES, VERSION_SOURCES
from genie_enhance.tracking.timeutil import to_db, utc_now

# Re-recording a proposal refreshes what it says but keeps when it was first seen and what was measured about it;
# `updated_at` moves only when the status actually changes.
_FIX_UPSERT_SET = (
    "fix_key = excluded.fix_key, fix_type = excluded.fix_type, target = excluded.target, "
    "description = excluded.description, payload_json = excluded.payload_json, proposer = excluded.proposer, "
    "rationale = excluded.rationale, question_ids_json = excluded.question_ids_json, category = excluded.category, "
    "expected_effect = excluded.expected_effect, "
    "updated_at = CASE WHEN status IS DISTINCT FROM excluded.status "
    "OR status_reason IS DISTINCT FROM excluded.status_reason THEN excluded.updated_at ELSE updated_at END, "
    "status = excluded.status, status_reason = excluded.status_reason"
)
_ITERATION_TABLES = ("question_results", "fixes", "events")  # rows that belong to one iteration's work


class StoreWrites:
    """Write half of `TrackingStore` (needs `_db` and `_secrets`, set by its constructor)."""

    _db: Database
    _secrets: frozenset[str]

    # ------------------------------------------------------------------------------------------------ helpers
    def _clean(self, row: Mapping[str, Any]) -> dict[str, Any]:
        """Encode `*_json` values (scrubbed structurally) and scrub every text value."""
        out: dict[str, Any] = {}
        for column, value in row.items():
            if column.endswith("_json") and value is not None:
                value = json.dumps(scrub(value, self._secrets), sort_keys=True, ensure_ascii=False, default=str)
            elif isinstance(value, str):
                value = scrub_text(value, self._secrets)
            out[column] = value
        return out

    @staticmethod
    def _require_campaign(conn: duckdb.DuckDBPyConnection, campaign_id: str) -> tuple[Any, ...]:
        row = conn.execute("SELECT space_key, status FROM campaigns WHERE campaign_id = ?", [campaign_id]).fetchone()
        if row is None:
            raise TrackingError(f"unknown campaign {campaign_id!r}")
        return row

    # ------------------------------------------------------------------------------------------------ campaigns
    def start_campaign(self, spec: CampaignSpec) -> str:
        """Record a new campaign and return its id. Starting the same id again changes nothing (resume); the
        same id for another space is an error."""
        row = self._clean({
            "campaign_id": spec.campaign_id, "space_key": spec.space_key, "backend": spec.backend,
            "target": spec.target, "max_iterations": spec.max_iterations, "holdout_fraction": spec.holdout_fraction,
            "seed": spec.seed, "settings_json": spec.settings, "holdout_ids_json": sorted(spec.holdout_ids),
            "started_at": to_db(spec.started_at), "status": "running",
        })
        with self._db.transaction() as conn:
            existing = conn.execute(
                "SELECT space_key FROM campaigns WHERE campaign_id = ?", [spec.campaign_id]
            ).fetchone()
            if existing is not None and existing[0] != row["space_key"]:
                raise TrackingError(
                    f"campaign {spec.campaign_id!r} belongs to space {existing[0]!r}, not {spec.space_key!r}"
                )
            upsert(conn, "campaigns", [row], key=["campaign_id"], update=())
        return spec.campaign_id

    def finish_campaign(
        self, campaign_id: str, stop_reason: str | None, best_version_id: str | None, *, status: str = "finished"
    ) -> None:
        """Mark a campaign finished (or `failed`) with why it stopped and its best config version."""
        if status not in ("finished", "failed"):
            raise TrackingError(f"a campaign finishes as 'finished' or 'failed', not {status!r}")
        with self._db.transaction() as conn:
            self._require_campaign(conn, campaign_id)
            conn.execute(
                "UPDATE campaigns SET finished_at = COALESCE(finished_at, ?), status = ?, stop_reason = ?, "
                "best_version_id = ? WHERE campaign_id = ?",
                [utc_now(), status, text(stop_reason), best_version_id, campaign_id],
            )

    # ------------------------------------------------------------------------------------------------ versions
    def record_version(
        self,
        data: bytes,
        *,
        parent_id: str | None = None,
        source: str,
        campaign_id: str | None = None,
        iteration: int | None = None,
        etag: str | None = None,
        space_key: str | None = None,
    ) -> str:
        """Store config bytes exactly and return their content id. Bytes are kept once; the first recording of
        an id within a campaign keeps its parent/source (a rollback to known bytes returns the existing id).
        The version is also recorded as one of its space's (`space_key`, else the campaign's space)."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TrackingError(f"config versions are bytes, got {type(data).__name__}")
        if source not in VERSION_SOURCES:
            raise TrackingError(f"version source must be one of {', '.join(VERSION_SOURCES)}, got {source!r}")
        blob = bytes(data)
        version_id = version_id_for(blob)
        meta = self._clean({
            "campaign_id": campaign_id or "", "version_id": version_id, "parent_id": parent_id,
            "iteration": iteration, "source": source, "etag": etag, "created_at": utc_now(),
        })
        with self._db.transaction() as conn:
            upsert(conn, "config_blobs", [{"version_id": version_id, "size_bytes": len(blob), "bytes": blob}],
                   key=["version_id"], update=())
            upsert(conn, "config_versions", [meta], key=["campaign_id", "version_id"], update=())
            if space_key is None and campaign_id:
                row = conn.execute("SELECT space_key FROM campaigns WHERE campaign_id = ?", [campaign_id]).fetchone()
                space_key = row[0] if row else None
            if space_key is not None:
                upsert(conn, "space_versions", [{"space_key": space_key, "version_id": version_id,
                                                 "recorded_at": meta["created_at"]}],
                       key=["space_key", "version_id"], update=())
        return version_id

    # ------------------------------------------------------------------------------------------------ iterations
    def begin_iteration(
        self, campaign_id: str, iteration: int, partition_key: str | None, config_version_id: str
    ) -> None:
        """Open an iteration (not complete until `complete_iteration`). Re-beginning an incomplete one updates
        it; re-beginning a completed one is a no-op, or an error if it names another config version."""
        with self._db.transaction() as conn:
            self._require_campaign(conn, campaign_id)
            row = conn.execute(
                "SELECT completed_at, config_version_id FROM iterations WHERE campaign_id = ? AND iteration = ?",
                [campaign_id, iteration],
            ).fetchone()
            if row is not None and row[0] is not None:
                if row[1] != config_version_id:
                    raise TrackingError(
                        f"iteration {iteration} of campaign {campaign_id!r} is already complete with config "
                        f"version {row[1]}, not {config_version_id}"
                    )
                return
            upsert(conn, "iterations", [{
                "campaign_id": campaign_id, "iteration": iteration, "partition_key": partition_key,
                "config_version_id": config_version_id, "started_at": utc_now(),
            }], key=["campaign_id", "iteration"], update=["partition_key", "config_version_id"])

    def complete_iteration(self, campaign_id: str, iteration: int, summary: IterationSummary) -> None:
        """Write the iteration's outcome and mark it complete (and clear its pending apply) atomically."""
        values = self._clean({
            "score_train": summary.score_train, "score_holdout": summary.score_holdout,
            "score_all": summary.score_all, "objective": summary.objective, "counts_json": summary.counts,
            "decision": summary.decision, "decision_reason": summary.decision_reason,
            "stop_reason": summary.stop_reason, "fixes_proposed": summary.fixes_proposed,
            "fixes_applied": summary.fixes_applied, "fixes_rejected": summary.fixes_rejected,
            "genie_calls": summary.genie_calls, "llm_calls": summary.llm_calls, "cost_usd": summary.cost_usd,
            "wall_s": summary.wall_s, "applied_version_id": summary.applied_version_id,
        })
        assignments = ", ".join(f"{c} = ?" for c in values)
        with self._db.transaction() as conn:
            found = conn.execute(
                f"UPDATE iterations SET {assignments}, completed_at = COALESCE(completed_at, ?) "
                "WHERE campaign_id = ? AND iteration = ? RETURNING iteration",
                [*values.values(), to_db(summary.completed_at), campaign_id, iteration],
            ).fetchall()
            if not found:
                raise TrackingError(f"iteration {iteration} of campaign {campaign_id!r} was never begun")
            conn.execute(
                "DELETE FROM pending_applies WHERE campaign_id = ? AND iteration = ?", [campaign_id, iteration]
            )

    def discard_incomplete(self, campaign_id: str) -> list[int]:
        """Delete the rows of every iteration that never completed (the iteration itself, its results, fixes
        and events) so a rerun starts it cleanly. Config versions, LLM calls (money spent) and the pending
        apply (needed to resume) are kept. Returns the discarded iteration numbers."""
        with self._db.transaction() as conn:
            done = "SELECT iteration FROM iterations WHERE campaign_id = $1 AND completed_at IS NOT NULL"
            orphans = " UNION ".join(
                f"SELECT DISTINCT iteration FROM {t} WHERE campaign_id = $1 AND iteration IS NOT NULL "
                f"AND iteration NOT IN ({done})" for t in _ITERATION_TABLES
            )
            rows = conn.execute(
                f"SELECT iteration FROM iterations WHERE campaign_id = $1 AND completed_at IS NULL UNION {orphans}",
                [campaign_id],
            ).fetchall()
            discarded = sorted(int(r[0]) for r in rows)
            if discarded:
                marks = ", ".join("?" for _ in discarded)
                for table in (*_ITERATION_TABLES, "iterations"):
                    conn.execute(
                        f"DELETE FROM {table} WHERE campaign_id = ? AND iteration IN ({marks})",
                        [campaign_id, *discarded],
                    )
        return discarded

    # ------------------------------------------------------------------------------------------------ results
    def record_results(
        self, campaign_id: str, iteration: int, results: Iterable[QuestionResult],
        diagnoses: Mapping[str, Diagnosis] | None = None,
    ) -> int:
        """Upsert one row per question result, with its diagnosis when `diagnoses` (keyed by question id) has one.
        Returns the number of rows written."""
        diagnoses = diagnoses or {}
        rows = [self._clean(result_row(campaign_id, iteration, r, diagnoses.get(r.id))) for r in results]
        with self._db.transaction() as conn:
            upsert(conn, "question_results", rows, key=["campaign_id", "iteration", "question_id"])
        return len(rows)

    # ------------------------------------------------------------------------------------------------ fixes
    def record_fixes(self, campaign_id: str, iteration: int, proposals_with_status: Iterable[FixItem]) -> list[str]:
        """Upsert proposals with their status: items are `(proposal, status)`, `(proposal, status, reason)` or a
        bare proposal (`proposed`). Returns the fix ids in input order."""
        now = utc_now()
        rows = [self._clean(fix_row(campaign_id, iteration, item, now)) for item in proposals_with_status]
        if rows:
            columns = list(rows[0])
            sql = (
                f"INSERT INTO fixes ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)}) "
                f"ON CONFLICT (fix_id) DO UPDATE SET {_FIX_UPSERT_SET}"
            )
            with self._db.transaction() as conn:
                conn.executemany(sql, [[row[c] for c in columns] for row in rows])
        return [row["fix_id"] for row in rows]

    def set_fix_status(self, fix_ids: Sequence[str], status: str, reason: str | None = None) -> None:
        """Move fixes to `status` (e.g. applied → kept or reverted) with a reason; unknown ids are an error."""
        if status not in FIX_STATUSES:
            raise TrackingError(f"fix status must be one of {', '.join(FIX_STATUSES)}, got {status!r}")
        ids = list(dict.fromkeys(fix_ids))
        if not ids:
            return
        marks = ", ".join("?" for _ in ids)
        reason = None if reason is None else scrub_text(reason, self._secrets)
        with self._db.transaction() as conn:
            known = {r[0] for r in conn.execute(f"SELECT fix_id FROM fixes WHERE fix_id IN ({marks})", ids).fetchall()}
            missing = [i for i in ids if i not in known]
            if missing:
                raise TrackingError(f"unknown fix ids: {', '.join(missing)}")
            conn.execute(
                f"UPDATE fixes SET status = ?, status_reason = ?, updated_at = ? WHERE fix_id IN ({marks}) "
                "AND (status IS DISTINCT FROM ? OR status_reason IS DISTINCT FROM ?)",
                [status, reason, utc_now(), *ids, status, reason],
            )

    def set_batch_effect(
        self, campaign_id: str, iteration: int, delta_objective: float | None, delta_train: float | None
    ) -> int:
        """Record the measured effect of the batch applied in `iteration` (Δ between its score and the next
        iteration's) on every fix of that batch. Returns how many fixes it reached."""
        with self._db.transaction() as conn:
            marks = ", ".join("?" for _ in MEASURED_FIX_STATUSES)
            return len(conn.execute(
                "UPDATE fixes SET delta_objective = ?, delta_train = ?, measured_at = COALESCE(measured_at, ?) "
                f"WHERE campaign_id = ? AND iteration = ? AND status IN ({marks}) RETURNING fix_id",
                [delta_objective, delta_train, utc_now(), campaign_id, iteration, *MEASURED_FIX_STATUSES],
            ).fetchall())

    def set_fix_effect(self, fix_id: str, delta_objective: float | None, delta_train: float | None) -> None:
        """Record one fix's own measured effect (the regression gate's harm of a fix it removed), replacing the
        batch's Δ that `set_batch_effect` gave it."""
        with self._db.transaction() as conn:
            conn.execute("UPDATE fixes SET delta_objective = ?, delta_train = ?, measured_at = ? WHERE fix_id = ?",
                         [delta_objective, delta_train, utc_now(), fix_id])

    # ------------------------------------------------------------------------------------------------ LLM, events
    def record_llm_call(self, call: LLMCall, campaign_id: str | None = None, iteration: int | None = None) -> str:
        """Upsert one LLM call by its id; returns the call id."""
        return self.record_llm_calls([call], campaign_id, iteration)[0]

    def record_llm_calls(
        self, calls: Iterable[LLMCall], campaign_id: str | None = None, iteration: int | None = None
    ) -> list[str]:
        """Upsert several LLM calls in one transaction; returns their ids in input order."""
        rows = [self._clean(llm_call_row(call, campaign_id, iteration)) for call in calls]
        with self._db.transaction() as conn:
            upsert(conn, "llm_calls", rows, key=["call_id"])
        return [row["call_id"] for row in rows]

    def record_event(
        self,
        campaign_id: str,
        kind: str,
        message: str,
        *,
        iteration: int | None = None,
        data: Mapping[str, Any] | None = None,
    ) -> int:
        """Append an event to the campaign's log; returns its sequence number (1, 2, … per campaign)."""
        row = self._clean({
            "campaign_id": campaign_id, "iteration": iteration, "ts": utc_now(), "kind": kind,
            "message": message, "data_json": dict(data or {}),
        })
        with self._db.transaction() as conn:
            seq = required(conn.execute(
                "SELECT COALESCE(max(seq), 0) + 1 FROM events WHERE campaign_id = ?", [campaign_id]
            ).fetchone(), "an aggregate row")[0]
            upsert(conn, "events", [{**row, "seq": seq}], key=["campaign_id", "seq"], update=())
        return int(seq)

    # ------------------------------------------------------------------------------------------------ pending apply
    def write_pending_apply(
        self,
        campaign_id: str,
        iteration: int,
        base_version_id: str,
        candidate_version_id: str,
        base_etag: str | None = None,
    ) -> None:
        """Write-ahead row, BEFORE the batch goes to the live space: what the space was and what it will be.
        One per campaign (a newer write replaces it); `created_at` is the time of the latest write."""
        row = self._clean({
            "campaign_id": campaign_id, "iteration": iteration, "base_version_id": base_version_id,
            "candidate_version_id": candidate_version_id, "base_etag": base_etag, "created_at": utc_now(),
        })
        with self._db.transaction() as conn:
            upsert(conn, "pending_applies", [row], key=["campaign_id"],
                   update=["iteration", "base_version_id", "candidate_version_id", "base_etag", "created_at"])

    def clear_pending_apply(self, campaign_id: str, iteration: int | None = None) -> bool:
        """Remove the campaign's pending apply (only if it is for `iteration`, when given); True if one was."""
        with self._db.transaction() as conn:
            return bool(conn.execute(
                "DELETE FROM pending_applies WHERE campaign_id = ? AND (? IS NULL OR iteration = ?) "
                "RETURNING campaign_id",
                [campaign_id, iteration, iteration],
            ).fetchall())
