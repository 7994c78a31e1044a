"""Group diagnoses that share a cause: same category and same primary evidence (table, column, table pair, …).

Why: one config fix (a join spec, a column synonym, a filter snippet) usually repairs every question of a
cluster, so proposers work cluster by cluster and the biggest clusters first.
"""

from __future__ import annotations

from collections.abc import Iterable

from genie_enhance.diagnosis.model import Diagnosis, FailureCluster
from genie_enhance.diagnosis.rules import short

_LABELS = {
    "missing_table": "table not available",
    "missing_column": "column not available",
    "wrong_join": "wrong join",
    "wrong_aggregation": "wrong aggregation",
    "wrong_filter": "wrong filter on",
    "wrong_column": "wrong column instead of",
    "semantic_difference": "semantic difference",
    "no_sql_generated": "no SQL generated for",
    "timeout": "timeout",
    "api_error": "API error",
}


def cluster_failures(diagnoses: Iterable[Diagnosis]) -> list[FailureCluster]:
    """Clusters sorted by size (largest first), then key; question ids keep their input order."""
    groups: dict[str, list[Diagnosis]] = {}
    for diagnosis in diagnoses:
        groups.setdefault(_key(diagnosis), []).append(diagnosis)
    clusters = [_cluster(key, members) for key, members in groups.items()]
    return sorted(clusters, key=lambda c: (-c.size, c.key))


def _key(diagnosis: Diagnosis) -> str:
    return f"{diagnosis.category.value}:{diagnosis.evidence_key}"


def _cluster(key: str, members: list[Diagnosis]) -> FailureCluster:
    first = members[0]
    ids = list(dict.fromkeys(d.question_id for d in members))
    label = _LABELS.get(first.category.value, first.category.value)
    subject = short(first.evidence_key) if first.evidence_key else ""
    noun = "question" if len(ids) == 1 else "questions"
    summary = f"{len(ids)} {noun}: {label}" + (f" {subject}" if subject else "") + f" (e.g. {first.summary})"
    return FailureCluster(key=key, category=first.category, evidence_key=first.evidence_key,
                          question_ids=ids, size=len(ids), summary=summary)
