"""What goes into the tracking store (`CampaignSpec`, `IterationSummary`) and what comes back out (the records).

Records mirror the tables one to one, except that `*_json` columns come back decoded under their name without the
suffix (`counts_json` → `counts`) and timestamps come back as timezone-aware UTC datetimes.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime
from typing import Any, Literal, NamedTuple, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from genie_enhance.tracking.timeutil import from_db

CampaignStatus = Literal["running", "finished", "failed"]
Decision = Literal["continue", "rollback", "stop"]
FixStatus = Literal["proposed", "invalid", "rejected", "applied", "reverted", "kept"]
VersionSource = Literal["snapshot", "apply", "rollback", "external", "proposal"]
Role = Literal["train", "holdout"]
PendingOutcome = Literal["applied", "not_applied", "external"]

R = TypeVar("R", bound=BaseModel)


def _aware_now() -> datetime:
    return datetime.now(UTC)


def version_id_for(data: bytes) -> str:
    """The id of a config version: the first 16 hex digits of sha256(bytes), so equal bytes share one id."""
    return hashlib.sha256(data).hexdigest()[:16]


def new_campaign_id() -> str:
    """A sortable, unique campaign id such as `c20250101T120000-3fa2c1`."""
    return f"c{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"


# ---------------------------------------------------------------------------------------------------- inputs
class CampaignSpec(BaseModel):
    """What a campaign was started with. `settings` is scrubbed of secrets before it is stored."""

    model_config = ConfigDict(extra="forbid")

    campaign_id: str = Field(default_factory=new_campaign_id, min_length=1)
    space_key: str = Field(min_length=1)  # which space: a space id, or the config file's path offline
    backend: str = Field(min_length=1)  # "local" | "databricks"
    target: float | None = None
    max_iterations: int | None = None
    holdout_fraction: float | None = None
    seed: int | None = None
    settings: dict[str, Any] = Field(default_factory=dict)
    holdout_ids: list[str] = Field(default_factory=list)
    started_at: datetime = Field(default_factory=_aware_now)


class IterationFields(BaseModel):
    """What one iteration measured, decided and cost: the fields the summary written and the record read share."""

    score_train: float | None = None
    score_holdout: float | None = None
    score_all: float | None = None
    objective: float | None = None
    counts: dict[str, int] = Field(default_factory=dict)
    decision: Decision | None = None
    decision_reason: str | None = None
    stop_reason: str | None = None
    fixes_proposed: int = 0
    fixes_applied: int = 0
    fixes_rejected: int = 0
    genie_calls: int = 0
    llm_calls: int = 0
    cost_usd: float = 0.0
    wall_s: float = 0.0
    applied_version_id: str | None = None


class IterationSummary(IterationFields):
    """The outcome of one complete iteration, written by `complete_iteration` in the same transaction that marks
    it complete."""

    model_config = ConfigDict(extra="forbid")

    completed_at: datetime = Field(default_factory=_aware_now)


# ---------------------------------------------------------------------------------------------------- records
class _Record(BaseModel):
    model_config = ConfigDict(frozen=True)


class CampaignRecord(_Record):
    campaign_id: str
    space_key: str
    backend: str
    target: float | None
    max_iterations: int | None
    holdout_fraction: float | None
    seed: int | None
    settings: dict[str, Any]
    holdout_ids: list[str]
    started_at: datetime
    finished_at: datetime | None
    status: CampaignStatus
    stop_reason: str | None
    best_version_id: str | None


class IterationRecord(IterationFields):
    """A row of `iterations`: the outcome (empty until complete) plus which iteration and config it scored."""

    model_config = ConfigDict(frozen=True)

    campaign_id: str
    iteration: int
    partition_key: str | None
    config_version_id: str
    started_at: datetime
    completed_at: datetime | None

    @property
    def complete(self) -> bool:
        return self.completed_at is not None


class QuestionResultRecord(_Record):
    campaign_id: str
    iteration: int
    question_id: str
    role: Role
    question: str
    label: str | None = None  # the user's name for the question (schema v3)
    expected_sql: str | None
    generated_sql: str | None
    verdict: str
    reason: str | None
    category: str | None  # the diagnosis' fine category when diagnosed, else scoring's coarse one
    details: str | None  # scoring's explanation (non-text details are stored as JSON text)
    genie_error: str | None
    latency_s: float
    diagnosis: dict[str, Any] | None


class FixRecord(_Record):
    fix_id: str
    campaign_id: str
    iteration: int
    fix_key: str
    fix_type: str
    target: str | None
    description: str
    payload: dict[str, Any]
    proposer: str | None
    rationale: str | None
    question_ids: list[str]
    category: str | None
    expected_effect: str | None
    status: FixStatus
    status_reason: str | None
    delta_objective: float | None  # measured effect of the whole batch this fix was applied in
    delta_train: float | None
    created_at: datetime
    updated_at: datetime
    measured_at: datetime | None


class VersionRecord(_Record):
    version_id: str
    campaign_id: str | None
    parent_id: str | None
    iteration: int | None
    source: VersionSource
    etag: str | None
    created_at: datetime
    size_bytes: int


class LLMCallRecord(_Record):
    call_id: str
    campaign_id: str | None
    iteration: int | None
    purpose: str | None
    model: str | None
    prompt_hash: str | None
    input_tokens: int
    output_tokens: int
    cost_usd: float
    cost_known: bool
    latency_s: float
    outcome: str | None
    error: str | None
    status_code: int | None
    attempt: int
    started_at: datetime | None


class EventRecord(_Record):
    campaign_id: str
    seq: int
    iteration: int | None
    ts: datetime
    kind: str
    message: str
    data: dict[str, Any]


class PendingApplyRecord(_Record):
    """A batch about to be written to the live space (the write-ahead row)."""

    campaign_id: str
    iteration: int
    base_version_id: str
    candidate_version_id: str
    base_etag: str | None
    created_at: datetime

    def outcome(self, live_bytes: bytes) -> PendingOutcome:
        """Did the interrupted apply happen? Compare the live config, serialized exactly as it was recorded, with
        the candidate (`applied`) and the base (`not_applied`); anything else was edited outside (`external`)."""
        live = version_id_for(live_bytes)
        if live == self.candidate_version_id:
            return "applied"
        if live == self.base_version_id:
            return "not_applied"
        return "external"


class QuestionOutcome(NamedTuple):
    """One question's result in one completed iteration (see `question_history`)."""

    iteration: int
    verdict: str
    generated_sql: str | None


class CampaignSummary(_Record):
    """Totals of one campaign over its completed iterations (plus every LLM call recorded for it)."""

    campaign: CampaignRecord
    iterations_completed: int
    first_objective: float | None
    last_objective: float | None
    best_objective: float | None
    best_iteration: int | None
    genie_calls: int
    llm_calls: int
    llm_cost_usd: float
    wall_s: float
    fix_counts: dict[str, int]  # status -> number of fixes


# ---------------------------------------------------------------------------------------------------- decoding
def record_from_row(model: type[R], row: dict[str, Any]) -> R:
    """A record from a row dict: `x_json` columns decoded into `x`, naive UTC timestamps made aware."""
    values: dict[str, Any] = {}
    for column, value in row.items():
        if column.endswith("_json"):
            values[column.removesuffix("_json")] = None if value is None else json.loads(value)
        elif isinstance(value, datetime):
            values[column] = from_db(value)
        else:
            values[column] = value
    if "campaign_id" in values and model is VersionRecord:
        values["campaign_id"] = values["campaign_id"] or None
    return model.model_validate(values)
