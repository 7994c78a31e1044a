"""DDL of the tracking store, versioned so later releases can migrate an existing file in place.

`MIGRATIONS[n]` lists the statements that take a file from version n-1 to n; `ensure_schema` applies the missing
ones in order inside the caller's transaction and records each in `schema_version`. A file written by a newer
release (a version above `SCHEMA_VERSION`) is refused rather than misread.

Conventions: timestamps are naive UTC `TIMESTAMP`s; `*_json` columns hold JSON text already scrubbed of secrets;
config bytes live once per content hash in `config_blobs`, while `config_versions` says which campaign saw them,
from which parent and why (the same bytes can start a second campaign).
"""

from __future__ import annotations

import duckdb

from genie_enhance.tracking.errors import TrackingError
from genie_enhance.tracking.timeutil import utc_now

SCHEMA_VERSION = 4

CAMPAIGN_STATUSES = ("running", "finished", "failed")
DECISIONS = ("continue", "rollback", "stop")
ROLES = ("train", "holdout")
FIX_STATUSES = ("proposed", "invalid", "rejected", "applied", "reverted", "kept")
MEASURED_FIX_STATUSES = ("applied", "kept", "reverted")  # statuses whose batch reached the live space
VERSION_SOURCES = ("snapshot", "apply", "rollback", "external", "proposal")


def _in(column: str, values: tuple[str, ...], nullable: bool = False) -> str:
    allowed = ", ".join(f"'{v}'" for v in values)
    return f"CHECK ({column} IS NULL OR {column} IN ({allowed}))" if nullable else f"CHECK ({column} IN ({allowed}))"


SCHEMA_V1: list[str] = [
    f"""CREATE TABLE IF NOT EXISTS campaigns (
        campaign_id VARCHAR PRIMARY KEY,
        space_key VARCHAR NOT NULL,
        backend VARCHAR NOT NULL,
        target DOUBLE,
        max_iterations INTEGER,
        holdout_fraction DOUBLE,
        seed INTEGER,
        settings_json VARCHAR NOT NULL DEFAULT '{{}}',
        holdout_ids_json VARCHAR NOT NULL DEFAULT '[]',
        started_at TIMESTAMP NOT NULL,
        finished_at TIMESTAMP,
        status VARCHAR NOT NULL DEFAULT 'running' {_in("status", CAMPAIGN_STATUSES)},
        stop_reason VARCHAR,
        best_version_id VARCHAR
    )""",
    f"""CREATE TABLE IF NOT EXISTS iterations (
        campaign_id VARCHAR NOT NULL,
        iteration INTEGER NOT NULL,
        partition_key VARCHAR,
        config_version_id VARCHAR NOT NULL,
        started_at TIMESTAMP NOT NULL,
        completed_at TIMESTAMP,
        score_train DOUBLE,
        score_holdout DOUBLE,
        score_all DOUBLE,
        objective DOUBLE,
        counts_json VARCHAR NOT NULL DEFAULT '{{}}',
        decision VARCHAR {_in("decision", DECISIONS, nullable=True)},
        decision_reason VARCHAR,
        stop_reason VARCHAR,
        fixes_proposed INTEGER NOT NULL DEFAULT 0,
        fixes_applied INTEGER NOT NULL DEFAULT 0,
        fixes_rejected INTEGER NOT NULL DEFAULT 0,
        genie_calls INTEGER NOT NULL DEFAULT 0,
        llm_calls INTEGER NOT NULL DEFAULT 0,
        cost_usd DOUBLE NOT NULL DEFAULT 0,
        wall_s DOUBLE NOT NULL DEFAULT 0,
        applied_version_id VARCHAR,
        PRIMARY KEY (campaign_id, iteration)
    )""",
    f"""CREATE TABLE IF NOT EXISTS question_results (
        campaign_id VARCHAR NOT NULL,
        iteration INTEGER NOT NULL,
        question_id VARCHAR NOT NULL,
        role VARCHAR NOT NULL {_in("role", ROLES)},
        question VARCHAR NOT NULL,
        expected_sql VARCHAR,
        generated_sql VARCHAR,
        verdict VARCHAR NOT NULL,
        reason VARCHAR,
        category VARCHAR,
        details VARCHAR,
        genie_error VARCHAR,
        latency_s DOUBLE NOT NULL DEFAULT 0,
        diagnosis_json VARCHAR,
        PRIMARY KEY (campaign_id, iteration, question_id)
    )""",
    f"""CREATE TABLE IF NOT EXISTS fixes (
        fix_id VARCHAR PRIMARY KEY,
        campaign_id VARCHAR NOT NULL,
        iteration INTEGER NOT NULL,
        fix_key VARCHAR NOT NULL,
        fix_type VARCHAR NOT NULL,
        target VARCHAR,
        description VARCHAR NOT NULL,
        payload_json VARCHAR NOT NULL,
        proposer VARCHAR,
        rationale VARCHAR,
        question_ids_json VARCHAR NOT NULL DEFAULT '[]',
        category VARCHAR,
        expected_effect VARCHAR,
        status VARCHAR NOT NULL {_in("status", FIX_STATUSES)},
        status_reason VARCHAR,
        delta_objective DOUBLE,
        delta_train DOUBLE,
        created_at TIMESTAMP NOT NULL,
        updated_at TIMESTAMP NOT NULL,
        measured_at TIMESTAMP
    )""",
    """CREATE TABLE IF NOT EXISTS config_blobs (
        version_id VARCHAR PRIMARY KEY,
        size_bytes BIGINT NOT NULL,
        bytes BLOB NOT NULL
    )""",
    f"""CREATE TABLE IF NOT EXISTS config_versions (
        campaign_id VARCHAR NOT NULL DEFAULT '',
        version_id VARCHAR NOT NULL,
        parent_id VARCHAR,
        iteration INTEGER,
        source VARCHAR NOT NULL {_in("source", VERSION_SOURCES)},
        etag VARCHAR,
        created_at TIMESTAMP NOT NULL,
        PRIMARY KEY (campaign_id, version_id)
    )""",
    """CREATE TABLE IF NOT EXISTS llm_calls (
        call_id VARCHAR PRIMARY KEY,
        campaign_id VARCHAR,
        iteration INTEGER,
        purpose VARCHAR,
        model VARCHAR,
        prompt_hash VARCHAR,
        input_tokens BIGINT NOT NULL DEFAULT 0,
        output_tokens BIGINT NOT NULL DEFAULT 0,
        cost_usd DOUBLE NOT NULL DEFAULT 0,
        cost_known BOOLEAN NOT NULL DEFAULT TRUE,
        latency_s DOUBLE NOT NULL DEFAULT 0,
        outcome VARCHAR,
        error VARCHAR,
        status_code INTEGER,
        attempt INTEGER NOT NULL DEFAULT 1,
        started_at TIMESTAMP
    )""",
    """CREATE TABLE IF NOT EXISTS events (
        campaign_id VARCHAR NOT NULL,
        seq BIGINT NOT NULL,
        iteration INTEGER,
        ts TIMESTAMP NOT NULL,
        kind VARCHAR NOT NULL,
        message VARCHAR NOT NULL,
        data_json VARCHAR NOT NULL DEFAULT '{}',
        PRIMARY KEY (campaign_id, seq)
    )""",
    """CREATE TABLE IF NOT EXISTS pending_applies (
        campaign_id VARCHAR PRIMARY KEY,
        iteration INTEGER NOT NULL,
        base_version_id VARCHAR NOT NULL,
        candidate_version_id VARCHAR NOT NULL,
        base_etag VARCHAR,
        created_at TIMESTAMP NOT NULL
    )""",
]

# v2: nightly health checks of each space's live config (scored read-only; may start a campaign).
SCHEMA_V2: list[str] = [
    """CREATE TABLE IF NOT EXISTS health_checks (
        check_id VARCHAR PRIMARY KEY,
        space_key VARCHAR NOT NULL,
        checked_at TIMESTAMP NOT NULL,
        config_version_id VARCHAR NOT NULL,
        score_train DOUBLE,
        score_holdout DOUBLE,
        score_all DOUBLE,
        objective DOUBLE,
        target DOUBLE,
        counts_json VARCHAR NOT NULL DEFAULT '{}',
        genie_calls INTEGER NOT NULL DEFAULT 0,
        wall_s DOUBLE NOT NULL DEFAULT 0,
        started_campaign_id VARCHAR,
        note VARCHAR
    )""",
]

# v3: the question's label (the user's own name for it, e.g. `kpi_001`), shown next to the question.
SCHEMA_V3: list[str] = [
    "ALTER TABLE question_results ADD COLUMN IF NOT EXISTS label VARCHAR",
]

# v4: which space each config version belongs to (a version id of another space sharing the store is refused), and
# the lease of the one driver allowed to run a space's campaign (a second driver refuses or waits).
SCHEMA_V4: list[str] = [
    """CREATE TABLE IF NOT EXISTS space_versions (
        space_key VARCHAR NOT NULL,
        version_id VARCHAR NOT NULL,
        recorded_at TIMESTAMP NOT NULL,
        PRIMARY KEY (space_key, version_id)
    )""",
    """INSERT INTO space_versions (space_key, version_id, recorded_at)
        SELECT c.space_key, v.version_id, min(v.created_at) FROM config_versions v
        JOIN campaigns c USING (campaign_id) GROUP BY c.space_key, v.version_id
        ON CONFLICT DO NOTHING""",
    """CREATE TABLE IF NOT EXISTS driver_leases (
        space_key VARCHAR PRIMARY KEY,
        campaign_id VARCHAR,
        owner VARCHAR NOT NULL,
        holder VARCHAR NOT NULL,
        acquired_at TIMESTAMP NOT NULL,
        heartbeat_at TIMESTAMP NOT NULL,
        expires_at TIMESTAMP NOT NULL
    )""",
]

MIGRATIONS: dict[int, list[str]] = {1: SCHEMA_V1, 2: SCHEMA_V2, 3: SCHEMA_V3, 4: SCHEMA_V4}

_VERSION_TABLE = """CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER PRIMARY KEY,
    applied_at TIMESTAMP NOT NULL
)"""


def current_version(conn: duckdb.DuckDBPyConnection) -> int:
    """The schema version of the open file (0 for a new, empty file)."""
    conn.execute(_VERSION_TABLE)
    row = conn.execute("SELECT max(version) FROM schema_version").fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def ensure_schema(conn: duckdb.DuckDBPyConnection, path: str) -> int:
    """Create or migrate the tables (inside the caller's transaction); returns the file's schema version."""
    version = current_version(conn)
    if version > SCHEMA_VERSION:
        raise TrackingError(
            f"{path}: tracking store schema version {version} is newer than this release supports "
            f"({SCHEMA_VERSION}); upgrade genie-enhance to read it"
        )
    for target in range(version + 1, SCHEMA_VERSION + 1):
        for statement in MIGRATIONS[target]:
            conn.execute(statement)
        conn.execute("INSERT INTO schema_version (version, applied_at) VALUES (?, ?)", [target, utc_now()])
    return SCHEMA_VERSION
