"""Tracking store and lessons learned: what every campaign did, and what the loop learned from it."""

from genie_enhance.proposers.lessons import Lesson, format_lessons_table, lesson_prior
from genie_enhance.redact import scrub
from genie_enhance.tracking.errors import TrackingError
from genie_enhance.tracking.health import DailyRollup, HealthCheck, HealthCheckRecord
from genie_enhance.tracking.records import (
    CampaignRecord,
    CampaignSpec,
    CampaignSummary,
    EventRecord,
    FixRecord,
    IterationRecord,
    IterationSummary,
    LLMCallRecord,
    PendingApplyRecord,
    QuestionOutcome,
    QuestionResultRecord,
    VersionRecord,
    version_id_for,
)
from genie_enhance.tracking.store import TrackingStore

__all__ = [
    "DailyRollup", "HealthCheck", "HealthCheckRecord",
    "CampaignRecord", "CampaignSpec", "CampaignSummary", "EventRecord", "FixRecord", "IterationRecord",
    "IterationSummary", "LLMCallRecord", "Lesson", "PendingApplyRecord", "QuestionOutcome", "QuestionResultRecord",
    "TrackingError", "TrackingStore", "VersionRecord", "format_lessons_table", "lesson_prior", "scrub",
    "version_id_for",
]
