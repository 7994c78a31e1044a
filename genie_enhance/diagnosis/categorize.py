"""Diagnose one scored question: pass service failures and missing SQL through, otherwise diff the SQL facts.

Why never raise: diagnosis runs on whatever SQL Genie wrote, inside a loop that must finish its iteration; an SQL
shape the extractor does not understand becomes a `semantic_difference` with the error as evidence.
"""

from __future__ import annotations

import logging
from typing import Any

from genie_enhance.diagnosis.model import Diagnosis
from genie_enhance.diagnosis.rules import RULES, Finding
from genie_enhance.diagnosis.sql_facts import extract_facts
from genie_enhance.diagnosis.visibility import SpaceView
from genie_enhance.scoring.categories import FailureCategory as C
from genie_enhance.scoring.runner import QuestionResult
from genie_enhance.scoring.verdicts import Reason, Verdict

log = logging.getLogger(__name__)


def diagnose_result(result: QuestionResult, view: SpaceView) -> Diagnosis | None:
    """The diagnosis of a failed or service-failed question; None for pass, needs_review and broken benchmarks."""
    if result.category is not None and result.category.is_service_failure:
        return _make(result, _service(result))
    if result.verdict is not Verdict.FAIL:
        return None
    try:
        finding = _no_sql(result, view) or _from_sql(result, view)
    except Exception as exc:  # a bug on odd SQL must not stop the loop; the failure stays visible in the evidence
        log.warning("diagnosis of %s failed: %s", result.id, exc, exc_info=True)
        evidence = {"diagnosis_error": f"{type(exc).__name__}: {exc}"}
        finding = Finding(C.SEMANTIC_DIFFERENCE, evidence, f"could not diagnose: {exc}", "diagnosis_error")
    return _make(result, finding)


def _make(result: QuestionResult, finding: Finding) -> Diagnosis:
    evidence = dict(finding.evidence)
    if result.reason is not None:
        evidence.setdefault("reason", result.reason.value)
    return Diagnosis(
        question_id=result.id,
        category=finding.category,
        evidence=evidence,
        summary=finding.summary,
        evidence_key=finding.key,
        question=result.question,
        role=result.role,
    )


def _service(result: QuestionResult) -> Finding:
    error = result.genie_error or (str(result.details) if result.details else "")
    kind = error.split(":", 1)[0].strip() if ":" in error else error
    if result.category is C.TIMEOUT:
        summary = "Genie did not answer in time" + (f" ({error})" if error else "")
        return Finding(C.TIMEOUT, {"error": error}, summary, "timeout")
    summary = "the Genie API failed" + (f": {error}" if error else "")
    return Finding(C.API_ERROR, {"error": error}, summary, kind[:80])


def _no_sql(result: QuestionResult, view: SpaceView) -> Finding | None:
    if (result.generated_sql or "").strip() and result.reason is not Reason.NO_SQL:
        return None
    tables = sorted(extract_facts(result.expected_sql, view.catalog).tables)
    message = result.genie_error or (str(result.details) if result.details else "")
    evidence: dict[str, Any] = {"expected_tables": tables, "genie_message": message}
    summary = "Genie generated no SQL" + (f": {message}" if message else "")
    return Finding(C.NO_SQL_GENERATED, evidence, summary, " + ".join(tables))


def _from_sql(result: QuestionResult, view: SpaceView) -> Finding:
    expected = extract_facts(result.expected_sql, view.catalog)
    generated = extract_facts(result.generated_sql, view.catalog)
    for side, facts in (("generated", generated), ("expected", expected)):
        if not facts.ok:
            evidence = {"parse_error": facts.error, "side": side, "expected_tables": sorted(expected.tables)}
            return Finding(C.SEMANTIC_DIFFERENCE, evidence, f"the {side} SQL cannot be analysed: {facts.error}",
                           f"{side}_parse_error")
    error = str(result.details or result.genie_error or "") if result.reason is Reason.SQL_ERROR else ""
    findings = (rule(expected, generated, view, error) for rule in RULES)
    finding = next(f for f in findings if f is not None)  # the last rule (semantic_difference) always applies
    if finding.key == "no_visible_difference" and result.details and not error:
        finding = finding._replace(summary=f"{finding.summary}; {result.details}")
    return finding
