"""What the campaign report shows, assembled from the tracking store into one typed `ReportData`.

Why a separate data step: the HTML is only one view of it (tests and other front ends can read `ReportData`
directly), and every choice about *what* a reader sees — which scores count as initial and final, which iterations
were rollbacks, which config versions are diffed — lives here in plain Python rather than in the template. Nothing
is rendered from the store without passing through `scrub` (settings) or the template's autoescaping (all text).
"""

from __future__ import annotations

import difflib
import json
from collections import Counter
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from genie_enhance.proposers.lessons import Lesson
from genie_enhance.redact import scrub
from genie_enhance.scoring.categories import SERVICE_FAILURES
from genie_enhance.scoring.regressions import regressions_by_iteration
from genie_enhance.scoring.runner import Scores
from genie_enhance.tracking.guard_events import GuardTotals, guard_totals
from genie_enhance.tracking.records import (
    CampaignRecord,
    FixRecord,
    IterationRecord,
    LLMCallRecord,
    QuestionResultRecord,
    VersionRecord,
)
from genie_enhance.tracking.schema import MEASURED_FIX_STATUSES
from genie_enhance.tracking.store import TrackingStore

DiffKind = Literal["meta", "hunk", "add", "del", "ctx"]
_NOT_RUN = "not_run"


class IterationScores(Scores):
    """An iteration's scores and its objective (the holdout score when there is a holdout, else all)."""

    objective: float | None = None


class IterationRow(IterationRecord):
    """One completed iteration as the report shows it: the record, its scores grouped, and whether it rolled back."""

    scores: IterationScores
    rollback: bool  # the batch applied before this iteration lowered the score and was rolled back
    regressed: list[str] = Field(default_factory=list)  # questions that went pass → fail since the last scoring


class Header(BaseModel):
    """The campaign at a glance (section 1)."""

    space_key: str
    campaign_id: str
    backend: str
    status: str
    target: float | None
    max_iterations: int | None
    holdout_fraction: float | None
    seed: int | None
    started_at: datetime
    finished_at: datetime | None
    stop_reason: str | None
    initial: IterationScores | None
    final: IterationScores | None  # scores of the final config (the last iteration that scored it)
    final_iteration: int | None
    final_version_id: str | None
    best_objective: float | None
    best_iteration: int | None
    iterations: int
    fixes_applied: int
    fixes_rejected: int
    fix_counts: dict[str, int]
    rollbacks: int
    genie_calls: int
    llm_calls: int
    cost_usd: float
    cost_unknown_calls: int
    wall_s: float
    holdout_ids: list[str]
    settings: dict[str, Any]  # scrubbed


class GridCell(BaseModel):
    """One question's outcome in one iteration (`verdict == "not_run"` when it was not asked then)."""

    iteration: int
    verdict: str
    regressed: bool = False  # passed in the iteration scored before and fails now (see `scoring.regressions`)
    category: str | None = None
    reason: str | None = None
    details: str | None = None
    generated_sql: str | None = None
    expected_sql: str | None = None
    genie_error: str | None = None
    latency_s: float = 0.0
    summary: str | None = None  # the diagnosis' one-line explanation, when diagnosed


class GridRow(BaseModel):
    """One benchmark question across the iterations (section 3)."""

    question_id: str
    role: str
    question: str
    label: str | None = None
    cells: list[GridCell]  # one per iteration, in iteration order

    @property
    def pass_count(self) -> int:
        return sum(c.verdict == "pass" for c in self.cells)


class CategoryTable(BaseModel):
    """Failures per category per iteration (section 5): `counts[category][i]` is for `iterations[i]`."""

    iterations: list[int]
    categories: list[str]
    counts: dict[str, list[int]]

    def total(self, index: int) -> int:
        return sum(values[index] for values in self.counts.values())


class QuestionRef(BaseModel):
    """A benchmark question as a reader knows it: its label (when the file gave one) and its text."""

    question_id: str
    label: str | None = None
    question: str | None = None  # None when no iteration of this campaign scored it


class FixEffect(BaseModel):
    """A fix's own measured effect: the questions it targets, scored in the iteration its batch was applied in
    (before) and at the next scoring (after). Its batch's Δ (`FixRecord.delta_*`) is every fix's of the batch."""

    targeted: int  # targeted questions scored both before and after
    passed_before: int
    passed_after: int

    @property
    def delta(self) -> float | None:
        """The change of the targeted questions' pass rate (None when none was scored both times)."""
        return (self.passed_after - self.passed_before) / self.targeted if self.targeted else None


class LLMTotals(BaseModel):
    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    cost_unknown: int = 0  # calls whose price or token usage was unknown (cost counted as 0)
    latency_s: float = 0.0
    by_purpose: dict[str, int] = Field(default_factory=dict)


class DiffLine(BaseModel):
    kind: DiffKind
    text: str


class ConfigDiff(BaseModel):
    """Unified diff of the first and final config versions' pretty-printed JSON (section 8)."""

    first_version_id: str | None
    final_version_id: str | None
    lines: list[DiffLine]
    added: int
    removed: int


class VersionRow(BaseModel):
    version_id: str
    parent_id: str | None
    iteration: int | None
    source: str
    created_at: datetime
    size_bytes: int
    role: Literal["first", "final", ""] = ""


class EventRow(BaseModel):
    seq: int
    iteration: int | None
    ts: datetime
    kind: str
    message: str


class ReportData(BaseModel):
    """Everything the campaign report shows, in display order."""

    generated_at: datetime
    header: Header
    iterations: list[IterationRow]
    grid: list[GridRow]
    fixes: list[FixRecord]
    fix_effects: dict[str, FixEffect] = Field(default_factory=dict)  # by fix id: measured fixes only
    holdout: list[QuestionRef] = Field(default_factory=list)  # the holdout questions, by label/text
    categories: CategoryTable
    llm_calls: list[LLMCallRecord]
    llm_totals: LLMTotals
    lessons: list[Lesson]
    diff: ConfigDiff
    versions: list[VersionRow]
    events: list[EventRow]
    leak_guard: GuardTotals = Field(default_factory=GuardTotals)

    def holdout_question(self, question_id: str) -> QuestionRef:
        """A holdout question by id (a bare reference when this campaign never scored it)."""
        return next((q for q in self.holdout if q.question_id == question_id), QuestionRef(question_id=question_id))

    @property
    def rollback_iterations(self) -> list[int]:
        return [row.iteration for row in self.iterations if row.rollback]


# ---------------------------------------------------------------------------------------------------- assembly
def build_report_data(store: TrackingStore, campaign_id: str) -> ReportData:
    """Read one campaign (and the store-wide lessons) into `ReportData`; `TrackingError` for an unknown id."""
    campaign = store.campaign(campaign_id)
    history = store.history(campaign_id)
    versions = store.versions(campaign_id)
    events = store.events(campaign_id)
    # a rollback that also stops the campaign is recorded as decision "stop": the event/version says it rolled back
    rollback_marks = {v.iteration for v in versions if v.source == "rollback" and v.iteration is not None}
    rollback_marks |= {e.iteration for e in events if e.kind == "rollback" and e.iteration is not None}
    results = {h.iteration: store.results(campaign_id, h.iteration) for h in history}
    regressed = _regressions(results)
    iterations = [_iteration_row(h, h.iteration in rollback_marks).model_copy(
        update={"regressed": regressed.get(h.iteration, [])}) for h in history]
    fixes = store.fixes(campaign_id)
    calls = store.llm_calls(campaign_id)
    first_id, final_id = _diff_endpoints(campaign, history, versions)
    return ReportData(
        generated_at=datetime.now(UTC),
        header=_header(store, campaign, iterations, fixes, calls, final_id),
        iterations=iterations,
        grid=_grid(results, set(campaign.holdout_ids), regressed),
        fixes=fixes,
        fix_effects=_fix_effects(fixes, results),
        holdout=_questions(campaign.holdout_ids, results),
        categories=_categories(results),
        llm_calls=calls,
        llm_totals=_llm_totals(calls),
        lessons=store.lessons(),
        diff=_config_diff(store, first_id, final_id),
        versions=[_version_row(v, first_id, final_id) for v in versions],
        events=[EventRow(seq=e.seq, iteration=e.iteration, ts=e.ts, kind=e.kind, message=e.message)
                for e in events],
        leak_guard=guard_totals(events),
    )


def _scores(record: IterationRecord) -> IterationScores:
    return IterationScores(train=record.score_train, holdout=record.score_holdout, all=record.score_all,
                           objective=record.objective)


def _iteration_row(record: IterationRecord, rollback_version: bool) -> IterationRow:
    return IterationRow(**dict(record), scores=_scores(record),
                        rollback=record.decision == "rollback" or rollback_version)


def _header(
    store: TrackingStore, campaign: CampaignRecord, iterations: list[IterationRow], fixes: list[FixRecord],
    calls: list[LLMCallRecord], final_id: str | None,
) -> Header:
    summary = store.campaign_summary(campaign.campaign_id)
    scored_final = [i for i in iterations if i.config_version_id == final_id]
    last = scored_final[-1] if scored_final else (iterations[-1] if iterations else None)
    stop_reason = campaign.stop_reason or next((i.stop_reason for i in reversed(iterations) if i.stop_reason), None)
    return Header(
        space_key=campaign.space_key, campaign_id=campaign.campaign_id, backend=campaign.backend,
        status=campaign.status, target=campaign.target, max_iterations=campaign.max_iterations,
        holdout_fraction=campaign.holdout_fraction, seed=campaign.seed, started_at=campaign.started_at,
        finished_at=campaign.finished_at, stop_reason=stop_reason,
        initial=iterations[0].scores if iterations else None, final=last.scores if last else None,
        final_iteration=last.iteration if last else None, final_version_id=final_id,
        best_objective=summary.best_objective, best_iteration=summary.best_iteration,
        iterations=summary.iterations_completed,
        fixes_applied=sum(f.status in MEASURED_FIX_STATUSES for f in fixes),
        fixes_rejected=sum(f.status in ("invalid", "rejected") for f in fixes),
        fix_counts=summary.fix_counts, rollbacks=sum(i.rollback for i in iterations),
        genie_calls=summary.genie_calls, llm_calls=summary.llm_calls, cost_usd=summary.llm_cost_usd,
        cost_unknown_calls=sum(not c.cost_known for c in calls), wall_s=summary.wall_s,
        holdout_ids=sorted(campaign.holdout_ids), settings=scrub(campaign.settings),
    )


def _cell(iteration: int, record: QuestionResultRecord | None) -> GridCell:
    if record is None:
        return GridCell(iteration=iteration, verdict=_NOT_RUN)
    summary = (record.diagnosis or {}).get("summary")
    return GridCell(
        iteration=iteration, verdict=record.verdict, category=record.category, reason=record.reason,
        details=record.details, generated_sql=record.generated_sql, expected_sql=record.expected_sql,
        genie_error=record.genie_error, latency_s=record.latency_s,
        summary=summary if isinstance(summary, str) else None,
    )


def _regressions(results: dict[int, list[QuestionResultRecord]]) -> dict[int, list[str]]:
    """Iteration → the questions that went pass → fail since the iteration before (service failures left out)."""
    return regressions_by_iteration({i: {r.question_id: r.verdict for r in records if not _service_failure(r)}
                                     for i, records in results.items()})


def _service_failure(record: QuestionResultRecord) -> bool:
    return record.category in {c.value for c in SERVICE_FAILURES}


def _grid(results: dict[int, list[QuestionResultRecord]], holdout_ids: set[str],
          regressed: dict[int, list[str]] | None = None) -> list[GridRow]:
    """Rows = every question seen in any iteration (train first, then holdout, by id); one cell per iteration,
    flagged when the question regressed (pass → fail) in it."""
    broke = {(i, q) for i, ids in (regressed or {}).items() for q in ids}
    by_question: dict[str, dict[int, QuestionResultRecord]] = {}
    for iteration, records in results.items():
        for record in records:
            by_question.setdefault(record.question_id, {})[iteration] = record
    rows = []
    for question_id, outcomes in by_question.items():
        latest = outcomes[max(outcomes)]
        role = "holdout" if question_id in holdout_ids else latest.role
        cells = [_cell(i, outcomes.get(i)).model_copy(update={"regressed": (i, question_id) in broke})
                 for i in results]
        rows.append(GridRow(question_id=question_id, role=role, question=latest.question, label=latest.label,
                            cells=cells))
    return sorted(rows, key=lambda r: (r.role != "train", r.question_id))


def _fix_effects(fixes: list[FixRecord], results: dict[int, list[QuestionResultRecord]]) -> dict[str, FixEffect]:
    """Per measured fix: its targeted questions' passes before (its iteration) and after (the next one)."""
    passed = {i: {r.question_id: r.verdict == "pass" for r in records} for i, records in results.items()}
    effects = {}
    for fix in fixes:
        before, after = passed.get(fix.iteration), passed.get(fix.iteration + 1)
        if fix.status not in MEASURED_FIX_STATUSES or before is None or after is None:
            continue
        both = [q for q in dict.fromkeys(fix.question_ids) if q in before and q in after]
        effects[fix.fix_id] = FixEffect(targeted=len(both), passed_before=sum(before[q] for q in both),
                                        passed_after=sum(after[q] for q in both))
    return effects


def _questions(question_ids: list[str], results: dict[int, list[QuestionResultRecord]]) -> list[QuestionRef]:
    """The questions of `question_ids` with their label and text (from the latest result that has them)."""
    known = {r.question_id: r for records in results.values() for r in records}
    refs = [QuestionRef(question_id=q, label=known[q].label, question=known[q].question) if q in known
            else QuestionRef(question_id=q) for q in question_ids]
    return sorted(refs, key=lambda ref: (ref.label is None, ref.label or "", ref.question or "", ref.question_id))


def failure_category(record: QuestionResultRecord) -> str | None:
    """The bucket a non-passing result counts under: its category, else its verdict (None for a pass)."""
    if record.verdict == "pass":
        return None
    if record.verdict == "error":
        return record.category or "benchmark_error"
    return record.category or record.verdict


def _categories(results: dict[int, list[QuestionResultRecord]]) -> CategoryTable:
    per_iteration = {i: Counter(c for r in records if (c := failure_category(r))) for i, records in results.items()}
    totals = Counter[str]()
    for counts in per_iteration.values():
        totals.update(counts)
    categories = sorted(totals, key=lambda c: (-totals[c], c))
    return CategoryTable(
        iterations=list(per_iteration), categories=categories,
        counts={c: [per_iteration[i][c] for i in per_iteration] for c in categories},
    )


def _llm_totals(calls: list[LLMCallRecord]) -> LLMTotals:
    return LLMTotals(
        calls=len(calls), input_tokens=sum(c.input_tokens for c in calls),
        output_tokens=sum(c.output_tokens for c in calls), cost_usd=sum(c.cost_usd for c in calls),
        cost_unknown=sum(not c.cost_known for c in calls), latency_s=sum(c.latency_s for c in calls),
        by_purpose=dict(Counter(c.purpose or "unspecified" for c in calls)),
    )


# ---------------------------------------------------------------------------------------------------- config diff
def _diff_endpoints(
    campaign: CampaignRecord, history: list[IterationRecord], versions: list[VersionRecord]
) -> tuple[str | None, str | None]:
    """First = the first iteration's config (else the first version recorded). Final = the campaign's best
    version when it finished (what a rollback-to-best leaves live), else the last config the loop produced."""
    known = [v for v in versions if v.source != "proposal"]
    first = history[0].config_version_id if history else (known[0].version_id if known else None)
    if campaign.best_version_id:
        return first, campaign.best_version_id
    if history:
        last = history[-1]
        if last.applied_version_id and last.decision != "rollback":
            return first, last.applied_version_id
        return first, last.config_version_id
    return first, known[-1].version_id if known else first


def pretty_config(data: bytes) -> list[str]:
    """Config bytes as pretty-printed, scrubbed JSON lines (or the text itself when it is not JSON)."""
    text = data.decode("utf-8", errors="replace")
    try:
        parsed = json.loads(text)
    except ValueError:
        return text.splitlines()
    return json.dumps(scrub(parsed), indent=2, ensure_ascii=False).splitlines()


def _diff_kind(line: str) -> DiffKind:
    if line.startswith(("---", "+++")):
        return "meta"
    return {"@": "hunk", "+": "add", "-": "del"}.get(line[:1], "ctx")  # type: ignore[return-value]


def _config_diff(store: TrackingStore, first_id: str | None, final_id: str | None) -> ConfigDiff:
    if first_id is None or final_id is None:
        return ConfigDiff(first_version_id=first_id, final_version_id=final_id, lines=[], added=0, removed=0)
    before, after = pretty_config(store.version_bytes(first_id)), pretty_config(store.version_bytes(final_id))
    raw = difflib.unified_diff(before, after, f"first ({first_id})", f"final ({final_id})", n=3, lineterm="")
    lines = [DiffLine(kind=_diff_kind(line), text=line) for line in raw]
    return ConfigDiff(
        first_version_id=first_id, final_version_id=final_id, lines=lines,
        added=sum(line.kind == "add" for line in lines), removed=sum(line.kind == "del" for line in lines),
    )


def _version_row(version: VersionRecord, first_id: str | None, final_id: str | None) -> VersionRow:
    role = "final" if version.version_id == final_id else "first" if version.version_id == first_id else ""
    return VersionRow(
        version_id=version.version_id, parent_id=version.parent_id, iteration=version.iteration,
        source=version.source, created_at=version.created_at, size_bytes=version.size_bytes, role=role,
    )
