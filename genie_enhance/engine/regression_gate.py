"""The per-question regression gate: which questions the last batch broke, which of its fixes touch them, and the
surgical candidate without those fixes.

Why attribution by footprint: a fix carries the objects it edits (tables, columns, SQL of snippets, joins and
examples) and the phrases it teaches (synonyms, snippet names, example questions). A fix is implicated in a
regression when it teaches a phrase the broken question uses and the objects it names are where that question's
SQL changed (a synonym stealing a phrase), or, for a fix without phrases (a join, entity matching), when its objects
alone are where the SQL changed. Only fixes are removed, so no question text ever reaches a config or a proposer;
the lessons name the broken questions by id.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from genie_enhance.engine.policy import Decision, GateInput, ScoredIteration
from genie_enhance.engine.runtime import Runtime
from genie_enhance.errors import ReadOnlySqlError, SqlParseError
from genie_enhance.proposers.base import Proposal
from genie_enhance.scoring.categories import FailureCategory
from genie_enhance.scoring.regressions import pass_to_fail
from genie_enhance.scoring.runner import QuestionResult
from genie_enhance.space.fixes import parse_fix
from genie_enhance.space.io import parse_space
from genie_enhance.space.model import SerializedSpace
from genie_enhance.sql.parse import parse_statement, referenced_columns, referenced_tables
from genie_enhance.tracking import FixRecord
from genie_enhance.tracking.schema import MEASURED_FIX_STATUSES
from genie_enhance.words import stems

SURGICAL = "surgical_rollback"  # event kind: the gate took implicated fixes out of a batch (data: who broke what)
REGRESSIONS = "regressions"  # event kind: the batch broke passing questions, judged whole (within the allowance…)

_NAME_FIELDS = ("table", "left_table", "right_table", "column")
_SQL_FIELDS = ("sql", "condition")
_PHRASE_FIELDS = ("synonym", "synonyms", "display_name", "alias")
_EXAMPLE_SHARE = 0.6  # share of an example question's words a question must use for the example to touch it


@dataclass(frozen=True)
class Footprint:
    """What a fix (or a question's SQL) touches: lower-cased short names of tables and columns, and phrases."""

    names: frozenset[str] = frozenset()
    phrases: tuple[tuple[str, ...], ...] = ()  # stem sequences the fix teaches
    example: tuple[str, ...] = ()  # an example question's stems (matched by share, not as a phrase)


@dataclass
class GateMeasure:
    """The measured side of the gate: the policy's input plus who broke what (fix id → question ids)."""

    input: GateInput
    batch_iteration: int | None = None  # the iteration that applied the batch
    base_iteration: int | None = None  # the iteration whose config the batch was built on (and compared with)
    fixes: list[FixRecord] = field(default_factory=list)  # the batch's applied fixes
    broke: dict[str, list[str]] = field(default_factory=dict)  # fix id → the regressed questions it touches
    roles: dict[str, str] = field(default_factory=dict)  # question id → role, for the harm shares


def _short(name: str) -> str:
    return name.rsplit(".", 1)[-1].strip("`").lower()


def _sql_names(sql: str | None) -> set[str]:
    if not sql:
        return set()
    try:
        tree = parse_statement(sql)
    except (SqlParseError, ReadOnlySqlError):
        return set()
    return {_short(t) for t in referenced_tables(tree)} | {c for _, c in referenced_columns(tree)}


def _values(payload: dict[str, Any], keys: Iterable[str]) -> Iterator[str]:
    for key in keys:
        value = payload.get(key)
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and item.strip():
                yield item


_DEFINITION = re.compile(r"^\s*[-*]?\s*(?P<term>[^=\n]+?)\s+(?:means|=)\s+(?P<sql>.+?)\s*$", re.IGNORECASE)


def _definitions(text: Any) -> list[tuple[str, str]]:
    """The (term, SQL) definitions of a text instruction, one a line, as the offline Genie reads them."""
    if not isinstance(text, str):
        return []
    return [(m["term"], m["sql"]) for m in map(_DEFINITION.match, text.splitlines()) if m]


def footprint(payload: dict[str, Any]) -> Footprint:
    """A fix's footprint from its JSON payload (any fix type: the fields are read by name)."""
    names = {_short(v) for v in _values(payload, _NAME_FIELDS)}
    for sql in _values(payload, _SQL_FIELDS):
        names |= _sql_names(sql)
    taught = [*_values(payload, _PHRASE_FIELDS)]
    for term, sql in _definitions(payload.get("text")):  # text instructions: `<term> means <sql>`
        taught.append(term)
        names |= _sql_names(f"SELECT {sql}")
    phrases = tuple(s for s in (stems(p.replace("_", " ")) for p in taught) if s)
    example = tuple(stems(payload["question"])) if isinstance(payload.get("question"), str) else ()
    return Footprint(frozenset(names), phrases, example)


def _contains(words: tuple[str, ...], phrase: tuple[str, ...]) -> bool:
    n = len(phrase)
    return any(words[i:i + n] == phrase for i in range(len(words) - n + 1))


def touches(fp: Footprint, question: str, before_sql: str | None, after_sql: str | None) -> bool:
    """Whether a fix with footprint `fp` touches what a question that went pass → fail uses."""
    words = tuple(stems(question))
    before, after = _sql_names(before_sql), _sql_names(after_sql)
    changed = (before ^ after) if after else before
    phrase_hit = any(_contains(words, p) for p in fp.phrases)
    if fp.example:
        content = [w for w in fp.example if len(w) > 3]
        phrase_hit = phrase_hit or bool(content) and sum(w in words for w in content) >= _EXAMPLE_SHARE * len(content)
    named = bool(fp.names & changed)
    if phrase_hit:
        return named or not fp.names or not changed
    return not fp.phrases and not fp.example and named


def _verdicts(results: Iterable[Any]) -> dict[str, str]:
    return {r.id if isinstance(r, QuestionResult) else r.question_id: str(getattr(r.verdict, "value", r.verdict))
            for r in results if not _service_failure(r)}


def _service_failure(result: Any) -> bool:
    category = result.category
    if category is None:
        return False
    try:
        return FailureCategory(getattr(category, "value", category)).is_service_failure
    except ValueError:
        return False


def measure(rt: Runtime, campaign_id: str, history: list[ScoredIteration], current: list[QuestionResult],
            min_answered: float) -> GateMeasure:
    """Compare the last scoring with the previous conclusive one, per question, and attribute the regressions."""
    scored = [h for h in history if h.answered >= min_answered]
    if len(scored) < 2 or not scored[-2].batch_applied:
        return GateMeasure(GateInput())
    prev = scored[-2].iteration
    base = _batch_base(rt, campaign_id, prev)
    before = {r.question_id: r for r in rt.tracking.results(campaign_id, base)}
    after = {r.id: r for r in current}
    regressed = pass_to_fail(_verdicts(before.values()), _verdicts(after.values()))
    # the fixes that reached the live space (already kept/reverted when an interrupted iteration is redone)
    fixes = [f for f in rt.tracking.fixes(campaign_id, prev) if f.status in MEASURED_FIX_STATUSES]
    broke: dict[str, list[str]] = {}
    for fix in fixes:
        fp = footprint(fix.payload)
        hit = [q for q in regressed if touches(fp, after[q].question, before[q].generated_sql, after[q].generated_sql)]
        if hit:
            broke[fix.fix_id] = hit
    keys = {f.fix_id: f.fix_key for f in fixes}
    gate = GateInput(regressed=regressed, implicated=sorted({keys[i] for i in broke}), batch_fixes=len(fixes),
                     scored=len(set(_verdicts(before.values())) & set(_verdicts(after.values()))))
    return GateMeasure(gate, prev, base, fixes, broke, {q: r.role for q, r in after.items()})


def _batch_base(rt: Runtime, campaign_id: str, iteration: int) -> int:
    """The iteration whose config the batch of `iteration` was built on: itself, or the one it rolled back to."""
    restored = [e.data.get("restored_version_id") for e in rt.tracking.events(campaign_id, iteration)
                if e.kind == "rollback"]
    if restored:
        for h in rt.tracking.history(campaign_id):
            if h.config_version_id == restored[-1] and h.iteration < iteration:
                return h.iteration
    return iteration


def record_gate(rt: Runtime, campaign_id: str, iteration: int, measured: GateMeasure, decision: Decision) -> None:
    """Mark the removed fixes harmful (reverted, with the questions they broke and a negative effect, so the
    lessons count them as hurting) and record the gate's event; regressions judged whole are recorded too."""
    if not measured.input.regressed:
        return
    removed = [f for f in measured.fixes if f.fix_key in set(decision.removed)]
    data = {"regressed": measured.input.regressed, "batch_iteration": measured.batch_iteration,
            "removed": [f.fix_id for f in removed], "broke": {f.fix_id: measured.broke.get(f.fix_id, [])
                                                               for f in removed}}
    if not removed:
        rt.tracking.record_event(campaign_id, REGRESSIONS, f"{len(measured.input.regressed)} question(s) went pass → "
                                 f"fail; the batch is judged whole: {decision.reason}", iteration=iteration, data=data)
        return
    roles = measured.roles
    n_train = max(1, sum(r == "train" for r in roles.values()))
    n_holdout = max(1, sum(r == "holdout" for r in roles.values()))
    for fix in removed:
        broken = measured.broke.get(fix.fix_id, [])
        rt.tracking.set_fix_status([fix.fix_id], "reverted", _harm(broken, roles))
        rt.tracking.set_fix_effect(fix.fix_id, -sum(roles.get(q) == "holdout" for q in broken) / n_holdout,
                                   -sum(roles.get(q) == "train" for q in broken) / n_train)
    rt.tracking.record_event(campaign_id, SURGICAL if decision.surgical else REGRESSIONS, decision.reason,
                             iteration=iteration, data=data)


def _harm(broken: list[str], roles: dict[str, str]) -> str:
    """Why a removed fix is harmful, as proposers may read it (`blocked_reasons`): the train questions it broke by
    id, the holdout ones only counted (their ids stay in the gate's event)."""
    train = [q for q in broken if roles.get(q) != "holdout"]
    held = len(broken) - len(train)
    parts = [f"train {', '.join(train)}"] if train else []
    parts += [f"{held} holdout question(s)"] if held else []
    return f"harmful: broke {' and '.join(parts)} (pass → fail)"


def candidate(rt: Runtime, campaign_id: str, iteration: int, measured: GateMeasure,
              decision: Decision) -> tuple[SerializedSpace, str, list[Proposal]]:
    """The version before the batch and the batch's other fixes, re-proposed (recorded for this iteration) so the
    validate and apply steps build and apply the candidate as any batch."""
    prev = next(h for h in rt.tracking.history(campaign_id) if h.iteration == measured.base_iteration)
    base = parse_space(rt.tracking.version_bytes(prev.config_version_id).decode(), source=prev.config_version_id)
    removed = set(decision.removed)
    proposals = [
        Proposal(fix=parse_fix(f.payload), proposer=f.proposer or "heuristic",
                 rationale=f"kept from iteration {f.iteration}'s batch by the regression gate; {f.rationale or ''}",
                 question_ids=f.question_ids, category=FailureCategory(f.category or FailureCategory.WRONG_RESULT.value),
                 expected_effect=f.expected_effect or "")
        for f in measured.fixes if f.fix_key not in removed
    ]
    if proposals:
        rt.tracking.record_fixes(campaign_id, iteration, [(p, "proposed") for p in proposals])
    return base, prev.config_version_id, proposals


def surgical_iterations(rt: Runtime, campaign_id: str) -> set[int]:
    """Iterations whose batch is a surgical candidate (from their events)."""
    return {e.iteration for e in rt.tracking.events(campaign_id) if e.kind == SURGICAL and e.iteration is not None}
