"""The outcome of diagnosing a failed benchmark question, and a group of failures with the same cause."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from genie_enhance.scoring.categories import FailureCategory


class Diagnosis(BaseModel):
    """Why one question failed: a fine category, the SQL-diff evidence behind it and a one-line summary.

    `evidence_key` is the evidence item the failure hinges on (a table, a column, a table pair, a filtered
    column): failures sharing category and key are one cluster and usually one fix.
    """

    question_id: str
    category: FailureCategory
    evidence: dict[str, Any] = Field(default_factory=dict)
    summary: str
    evidence_key: str = ""
    question: str = ""
    role: str = "train"


class FailureCluster(BaseModel):
    """Failures with the same category and primary evidence."""

    key: str
    category: FailureCategory
    evidence_key: str
    question_ids: list[str]
    size: int
    summary: str
