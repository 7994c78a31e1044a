"""The LLM proposer: asks a model why train questions fail and which config fixes would help.

Why it is built defensively: a model's output is a suggestion, never trusted. Every item of the reply is parsed
on its own (`llm_reply.parse_item`), must target failing *train* questions that were shown to the model (an
unknown id means a hallucination or a leak), must not be a fix reverted or found invalid earlier in the campaign, and must apply
to the current space and change it; anything else is dropped with the reason (`last_rejections`). An endpoint
that is down or a spent budget yields no proposals and a recorded reason (`last_error`), never an exception
that stops the loop; a model that keeps sending unusable replies (the selection's valid-reply rate) is not asked
again. Every call goes through `LLMClient` with `purpose="propose"`, so its cost lands in `client.calls` and the
tracking store.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from genie_enhance.core.catalog import Catalog
from genie_enhance.diagnosis import Diagnosis
from genie_enhance.errors import FixError
from genie_enhance.llm import (
    BudgetExceededError,
    FailureCase,
    LessonRow,
    LLMCall,
    LLMClient,
    LLMUnavailableError,
    failure_analysis_messages,
)
from genie_enhance.proposers.base import Proposal, ProposerContext
from genie_enhance.proposers.llm_reply import ParsedItem, ProposerReply, Rejection, fix_item_schema, parse_item
from genie_enhance.scoring.runner import QuestionResult
from genie_enhance.space.fixes.base import V1_FLAG_NAMES, get_flag, short
from genie_enhance.space.lines import join_lines
from genie_enhance.space.model import SerializedSpace, TableSource

log = logging.getLogger(__name__)

PURPOSE = "propose"
MAX_EXAMPLES_SHOWN = 40
MAX_LESSONS_SHOWN = 30
MAX_TEXT_CHARS = 800
MAX_DETAIL_CHARS = 300
COLUMN_FLAGS = ("exclude", "enable_format_assistance", "enable_entity_matching")

Failure = tuple[QuestionResult, Diagnosis]


# ---------------------------------------------------------------------------------------------- prompt inputs
def _column_lines(table: TableSource, catalog: Catalog) -> list[str]:
    """`name TYPE (synonyms: …; "description") [flags]`, catalog columns first, then configured-only ones."""
    types = catalog.columns(table.identifier)
    configs = {c.column_name.lower(): c for c in table.column_configs}
    names = [*types, *(n for n in configs if n not in types)]
    lines = []
    for name in names:
        config = configs.get(name)
        parts = [f"{name} {types.get(name, '?')}"]
        if config is not None:
            notes = []
            if config.synonyms:
                notes.append("synonyms: " + ", ".join(config.synonyms))
            if config.description:
                notes.append(json.dumps(short(join_lines(config.description), 120), ensure_ascii=False))
            if notes:
                parts.append(f"({'; '.join(notes)})")
            flags = [f for f in COLUMN_FLAGS if (get_flag(config, f) if f in V1_FLAG_NAMES else getattr(config, f))]
            if flags:
                parts.append(f"[{', '.join(flags)}]")
        lines.append("    - " + " ".join(parts))
    return lines


def _instruction_lines(space: SerializedSpace) -> list[str]:
    ins = space.instructions
    lines: list[str] = []
    snippets = [
        *(("measure", s) for s in ins.sql_snippets.measures),
        *(("filter", s) for s in ins.sql_snippets.filters),
        *(("expression", s) for s in ins.sql_snippets.expressions),
    ]
    if snippets:
        lines.append("\nSQL expressions (snippets):")
        for kind, s in snippets:
            name = " ".join(filter(None, [kind, getattr(s, "alias", "") or s.display_name]))
            synonyms = f" (synonyms: {', '.join(s.synonyms)})" if s.synonyms else ""
            lines.append(f"- {name}: `{short(join_lines(s.sql), 160)}`{synonyms}")
    if ins.join_specs:
        lines.append("\nJoin relationships:")
        lines += [f"- {j.left.identifier} ↔ {j.right.identifier}: {short(' '.join(j.sql), 200)}" for j in ins.join_specs]
    if ins.example_question_sqls:
        lines.append(f"\nExample questions with SQL ({len(ins.example_question_sqls)}):")
        lines += [f"- {short(join_lines(e.question), 160)}" for e in ins.example_question_sqls[:MAX_EXAMPLES_SHOWN]]
    if ins.sql_functions:
        lines.append("\nSQL functions: " + ", ".join(f.identifier for f in ins.sql_functions))
    text = "\n".join(join_lines(t.content) for t in ins.text_instructions).strip()
    if text:
        lines.append("\nText instruction:\n" + short(text, MAX_TEXT_CHARS))
    return lines


def space_summary(space: SerializedSpace, catalog: Catalog) -> str:
    """A compact text view of the space: tables with typed columns and their knowledge, then the instructions.

    The space's own `benchmarks` section is deliberately left out: it may hold holdout questions."""
    tables = space.all_tables()
    lines = [f"Tables ({len(tables)}):"]
    for table in tables:
        description = f" — {short(join_lines(table.description), 200)}" if table.description else ""
        lines.append(f"- {table.identifier}{description}")
        lines += _column_lines(table, catalog)
    lines += _instruction_lines(space)
    return "\n".join(lines)


def failure_case(result: QuestionResult, diagnosis: Diagnosis) -> FailureCase:
    reason = result.details or (result.reason.value if result.reason else None)
    facts = {k: v for k, v in diagnosis.evidence.items() if v not in (None, "", [], {})}
    evidence = json.dumps(facts, ensure_ascii=False, default=str) if facts else ""
    return FailureCase(
        id=result.id,
        question=result.question,
        expected_sql=result.expected_sql,
        generated_sql=result.generated_sql,
        verdict=result.verdict.value,
        reason=short(reason, MAX_DETAIL_CHARS) if reason else None,
        category=diagnosis.category.value,
        diagnosis=diagnosis.summary + (f" (evidence: {short(evidence, MAX_DETAIL_CHARS)})" if evidence else ""),
    )


def lesson_rows(lessons: Iterable[Any], categories: set[str]) -> list[LessonRow]:
    """Lessons as prompt rows, those about the failures' categories first (at most `MAX_LESSONS_SHOWN`)."""
    rows = [
        LessonRow(
            fix_type=lesson.fix_type, failure_category=str(lesson.category), applied=lesson.applied,
            helped=lesson.helped, hurt=lesson.hurt, mean_delta=lesson.mean_delta,
        )
        for lesson in lessons
    ]
    rows.sort(key=lambda r: r.failure_category not in categories)  # stable: relevant first, order kept
    return rows[:MAX_LESSONS_SHOWN]


def analysable(failures: Sequence[Failure]) -> list[Failure]:
    """The failures worth showing a model, grouped by category and evidence so related ones share a call.
    Service failures (timeout, api_error) say nothing about the space and are left out."""
    kept = [(r, d) for r, d in failures if not d.category.is_service_failure]
    return sorted(kept, key=lambda f: (f[1].category.value, f[1].evidence_key))


# ---------------------------------------------------------------------------------------------- the proposer
@dataclass
class ProposerRun:
    """What one `propose` call did: the proposals, the dropped items with reasons, errors, notes and calls."""

    proposals: list[Proposal] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    calls: list[LLMCall] = field(default_factory=list)

    @property
    def cost_usd(self) -> float:
        return sum(c.cost_usd for c in self.calls)


class LLMProposer:
    """`Proposer` backed by an LLM; see the module docstring for what is checked before a fix is proposed."""

    def __init__(
        self, client: LLMClient, *, model: str | None = None, max_failures_per_call: int = 8, max_fixes_per_call: int = 8
    ) -> None:
        if max_failures_per_call < 1 or max_fixes_per_call < 1:
            raise ValueError("max_failures_per_call and max_fixes_per_call must be at least 1")
        self.client = client
        self.model = model
        self.max_failures_per_call = max_failures_per_call
        self.max_fixes_per_call = max_fixes_per_call
        self.name = f"llm:{model or client.selector.choose('proposer')}"  # ConfigError now, not mid-campaign
        self.last_run = ProposerRun()

    def reset(self) -> None:
        """Forget the last run (the engine calls this before each round, so a round that does not reach this
        proposer reports no stale rejections or errors)."""
        self.last_run = ProposerRun()

    @property
    def last_rejections(self) -> list[tuple[Any, str]]:
        """Items of the last run's replies that were dropped: (the item as the model wrote it, reason)."""
        return [r.as_tuple() for r in self.last_run.rejections]

    @property
    def last_error(self) -> str | None:
        """Why the last run got no (or only part of its) replies: invalid reply, endpoint down, budget reached."""
        return "; ".join(self.last_run.errors) or None

    def messages(self, ctx: ProposerContext, failures: Sequence[Failure]) -> list[dict[str, str]]:
        """The chat messages for one call about `failures` (train failures only, by construction of the context)."""
        return failure_analysis_messages(
            space_summary=space_summary(ctx.space, ctx.catalog),
            failures=[failure_case(r, d) for r, d in failures],
            lessons=lesson_rows(ctx.lessons, {d.category.value for _, d in failures}),
            fix_schema=json.dumps(fix_item_schema(), ensure_ascii=False, separators=(",", ":")),  # compact: tokens
            max_fixes=self.max_fixes_per_call,
        )

    def propose(self, ctx: ProposerContext) -> list[Proposal]:
        run = self.last_run = ProposerRun()
        first_call = len(self.client.calls)
        failures = analysable(ctx.train_failures)
        unreliable = self._unreliable() if failures else None
        if unreliable:
            run.errors.append(unreliable)
            log.warning("LLM proposer: %s", unreliable)
            return []
        seen: set[str] = set()
        for start in range(0, len(failures), self.max_failures_per_call):
            chunk = failures[start : start + self.max_failures_per_call]
            if not self._ask(ctx, chunk, seen, run):
                break
        run.calls = [c for c in self.client.calls[first_call:] if c.purpose == PURPOSE]
        for reason in run.errors:
            log.warning("LLM proposer: %s", reason)
        return list(run.proposals)

    # ------------------------------------------------------------------------------------------ internals
    def _unreliable(self) -> str | None:
        """Why not to ask at all: every model for the role (or the pinned one) keeps sending unusable replies."""
        selector = self.client.selector
        if selector.acceptable(self.model) if self.model else selector.usable("proposer") is not None:
            return None
        name = self.model or selector.choose("proposer")
        stats = selector.stats(name)
        return (f"not asking the LLM: model {name} keeps sending unusable replies ({stats.valid} valid of "
                f"{stats.replies}, below the {selector.min_valid_rate:.0%} the selection requires)")

    def _ask(self, ctx: ProposerContext, chunk: Sequence[Failure], seen: set[str], run: ProposerRun) -> bool:
        """One call for `chunk`; False when the endpoint cannot be used any more (stop asking)."""
        try:
            reply = self.client.complete_json(
                self.messages(ctx, chunk), ProposerReply, purpose=PURPOSE, model=self.model, role="proposer"
            )
        except (LLMUnavailableError, BudgetExceededError) as exc:
            run.errors.append(f"no proposals from the LLM: {exc}")
            return False
        if reply.value is None:
            run.errors.append(f"the LLM gave no usable reply ({reply.model}): {reply.reason}")
            return True
        if reply.value.notes.strip():
            run.notes.append(reply.value.notes.strip())
        diagnoses = {r.id: d for r, d in chunk}
        accepted = 0
        for item in reply.value.fixes:
            outcome = self._check(parse_item(item), item, ctx, diagnoses, seen)
            if isinstance(outcome, Rejection):
                run.rejections.append(outcome)
            elif accepted >= self.max_fixes_per_call:
                run.rejections.append(Rejection(item, f"over the limit of {self.max_fixes_per_call} fixes per reply"))
            else:
                accepted += 1
                seen.add(outcome.fix.key)
                run.proposals.append(self._proposal(outcome, diagnoses, reply.model))
        return True

    def _check(
        self, parsed: ParsedItem | Rejection, item: Any, ctx: ProposerContext, diagnoses: dict[str, Diagnosis],
        seen: set[str],
    ) -> ParsedItem | Rejection:
        """The parsed item if it may be proposed, else the rejection saying why."""
        if isinstance(parsed, Rejection):
            return parsed
        unknown = [q for q in parsed.question_ids if q not in diagnoses]
        if unknown:
            return Rejection(item, f"targets question id(s) {', '.join(unknown)} that are not among the failing "
                                   "train questions shown (holdout or unknown): dropped")
        key = parsed.fix.key
        if key in ctx.blocked_keys:
            why = ctx.blocked_reasons.get(key, "reverted earlier in this campaign")
            return Rejection(item, f"{parsed.fix.describe()}: blocked, {why}")
        if key in seen:
            return Rejection(item, f"{parsed.fix.describe()}: duplicate of a fix already proposed")
        try:
            changed = parsed.fix.apply(ctx.space)
        except FixError as exc:
            return Rejection(item, f"{parsed.fix.describe()}: does not apply to the current space: {exc}")
        if changed.model_dump(mode="json") == ctx.space.model_dump(mode="json"):
            return Rejection(item, f"{parsed.fix.describe()}: changes nothing (the space already has it)")
        return parsed

    def _proposal(self, parsed: ParsedItem, diagnoses: dict[str, Diagnosis], model: str) -> Proposal:
        counts = Counter(diagnoses[q].category for q in parsed.question_ids)
        category = max(parsed.question_ids, key=lambda q: counts[diagnoses[q].category])  # first most common
        ids = parsed.question_ids
        return Proposal(
            fix=parsed.fix,
            proposer=f"llm:{model}",
            rationale=parsed.rationale,
            question_ids=ids,
            category=diagnoses[category].category,
            expected_effect=f"targets {len(ids)} train failure{'s' if len(ids) != 1 else ''} ({', '.join(ids)})",
            evidence={"model": model},
        )
