"""Diagnosis: why each failed benchmark question failed, from the diff of expected vs generated SQL, and clusters
of failures with one cause (step 3 of the enhancement loop)."""

from __future__ import annotations

from collections.abc import Iterable

from genie_enhance.core.catalog import Catalog
from genie_enhance.diagnosis.categorize import diagnose_result
from genie_enhance.diagnosis.cluster import cluster_failures
from genie_enhance.diagnosis.model import Diagnosis, FailureCluster
from genie_enhance.diagnosis.sql_facts import SqlFacts, extract_facts
from genie_enhance.diagnosis.visibility import SpaceView
from genie_enhance.scoring.runner import QuestionResult
from genie_enhance.space.model import SerializedSpace


def diagnose(result: QuestionResult, catalog: Catalog, space: SerializedSpace | None = None) -> Diagnosis | None:
    """The diagnosis of one question; None for a pass, needs_review or broken benchmark (error verdict).

    Service failures (timeout, api_error) are diagnosed as themselves although their verdict is `error`.
    """
    return diagnose_result(result, SpaceView(catalog, space))


def diagnose_all(
    results: Iterable[QuestionResult], catalog: Catalog, space: SerializedSpace | None = None
) -> dict[str, Diagnosis]:
    """Diagnoses by question id, for every question that has one, in input order."""
    view = SpaceView(catalog, space)
    diagnoses = (diagnose_result(result, view) for result in results)
    return {d.question_id: d for d in diagnoses if d is not None}


__all__ = [
    "Diagnosis",
    "FailureCluster",
    "SpaceView",
    "SqlFacts",
    "cluster_failures",
    "diagnose",
    "diagnose_all",
    "extract_facts",
]
