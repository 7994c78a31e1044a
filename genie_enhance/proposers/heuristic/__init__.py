"""The heuristic proposer: grounded, free and deterministic fixes read off the SQL diff of train failures.

For each train failure (never a holdout question), the fix families read the expected SQL, the generated SQL, the
question and the data, and offer candidate fixes per *aspect* of the failure (a join, the measure, a grouping, a
filter, a value) as a ladder from light to heavy. Per aspect the first rung that would change the space (and is
not blocked, nor discouraged by lessons) is proposed. A failure with nothing left to propose — or that stayed
failing although fixes aimed at it are already in the space — gets a parameterized example SQL (last resort).
Candidates with the same fix are merged (their question ids combined); snippets with the same SQL are merged
into one snippet carrying every question's phrase. A taught phrase brings its derived names (natural word forms,
a filter's name without its table, a grouping noun without its table — see `morphology`, `snippets`, `synonyms`):
they go only along with the phrase they derive from, and one another train question contradicts (even inside a
longer phrase) is dropped. Output order is a pure function of the input.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence

from genie_enhance.errors import FixError
from genie_enhance.proposers.base import Proposal, ProposerContext
from genie_enhance.proposers.heuristic.case import Candidate, FailureCase, Workbench
from genie_enhance.proposers.heuristic.consistency import PhraseEvidence
from genie_enhance.proposers.heuristic.descriptions import propose_descriptions
from genie_enhance.proposers.heuristic.entities import propose_entities
from genie_enhance.proposers.heuristic.examples import propose_example
from genie_enhance.proposers.heuristic.joins import propose_joins
from genie_enhance.proposers.heuristic.snippets import (
    normalize_expr,
    propose_expressions,
    propose_filters,
    propose_measures,
)
from genie_enhance.proposers.heuristic.synonyms import propose_synonyms
from genie_enhance.proposers.lessons import Lesson, lesson_prior
from genie_enhance.space.fixes import AddSqlSnippet, AddSynonym, Fix
from genie_enhance.space.model import SerializedSpace
from genie_enhance.words import stems

Family = Callable[[FailureCase, Workbench], list[Candidate]]
FAMILIES: tuple[Family, ...] = (
    propose_joins, propose_entities, propose_filters, propose_measures, propose_expressions, propose_synonyms,
    propose_descriptions,
)
FAMILY_ORDER = ("joins", "entities", "snippets", "synonyms", "descriptions", "examples")
SKIP_BELOW = 0.25  # lesson prior under which a fix type is not proposed (it kept hurting this failure category)


class HeuristicProposer:
    """`Proposer` implementation; `families` can be narrowed (tests, ablations)."""

    name = "heuristic"

    def __init__(self, families: Sequence[Family] = FAMILIES, *, skip_below: float = SKIP_BELOW) -> None:
        self.families = tuple(families)
        self.skip_below = skip_below
        self.skipped: list[tuple[Candidate, str]] = []  # last run's candidates not proposed, with why
        self._evidence: PhraseEvidence | None = None

    def propose(self, ctx: ProposerContext) -> list[Proposal]:
        bench = Workbench(ctx)
        fresh = _Freshness(ctx.space)
        self.skipped = []
        self._evidence = PhraseEvidence(ctx.train_results, bench)
        picked: list[tuple[Candidate, FailureCase]] = []
        for result, diagnosis in sorted(ctx.train_failures, key=lambda f: f[0].id):
            if diagnosis.category.is_service_failure or result.role != "train":
                continue
            case = bench.case(result, diagnosis)
            if case is not None:
                picked += [(c, case) for c in self._for_case(case, bench, ctx, fresh)]
        return _rank(_merge(picked, bench), ctx.lessons)

    def _allowed(self, candidate: Candidate, case: FailureCase, ctx: ProposerContext) -> bool:
        reason = None
        prior = lesson_prior(ctx.lessons, candidate.fix.type, case.category.value)
        if candidate.fix.key in ctx.blocked_keys:
            reason = "blocked: reverted earlier in the campaign"
        elif prior < self.skip_below:
            reason = f"lessons: {candidate.fix.type} rarely helped {case.category.value} (prior {prior:.2f})"
        elif self._evidence is not None:
            reason = self._evidence.contradiction(candidate.fix, case.qid, within="variant_of" in candidate.evidence)
        if reason is not None:
            self.skipped.append((candidate, reason))
        return reason is None

    def _grounded_variants(self, candidate: Candidate, case: FailureCase) -> Candidate:
        """A snippet without the derived variant names another train question uses with another meaning."""
        fix = candidate.fix
        if not isinstance(fix, AddSqlSnippet) or self._evidence is None or len(fix.synonyms) < 2:
            return candidate
        own = {stems(candidate.evidence.get("phrase") or ""), stems(fix.display_name or "")}
        kept = []
        for synonym in fix.synonyms:
            probe = fix.model_copy(update={"display_name": None, "synonyms": [synonym]})
            if stems(synonym) in own or self._evidence.contradiction(probe, case.qid, within=True) is None:
                kept.append(synonym)
            else:
                self.skipped.append((candidate, f'variant "{synonym}": another train question means it otherwise'))
        if kept == fix.synonyms:
            return candidate
        candidate.fix = fix.model_copy(update={"synonyms": kept})
        return candidate

    def _for_case(self, case: FailureCase, bench: Workbench, ctx: ProposerContext, fresh: _Freshness) -> list[Candidate]:
        ladders: dict[str, list[Candidate]] = {}
        for family in self.families:
            for candidate in family(case, bench):
                ladders.setdefault(candidate.aspect, []).append(self._grounded_variants(candidate, case))
        chosen, applied = [], False
        named: set[str] = set()  # aspects whose question phrase is (or is about to be) a synonym
        for aspect in ladders:
            base = aspect.split("|", 1)[0]
            if base != aspect and base not in named:
                continue  # a variant only goes along with the phrase it derives from (not once that was blocked)
            for candidate in sorted(ladders[aspect], key=lambda c: c.rung):
                if not fresh.changes(candidate.fix):
                    applied = True  # already in the space, and the question still fails: climb the ladder
                    named.update({aspect} if candidate.rung == 0 else set())
                    continue
                if self._allowed(candidate, case, ctx):
                    chosen.append(candidate)
                    named.update({aspect} if candidate.rung == 0 else set())
                    break
        if not chosen or (applied and ctx.iteration >= 1):
            reason = ("no lighter fix addresses this failure" if not chosen
                      else "the question stayed failing after fixes aimed at it were applied")
            example = propose_example(case, bench, reason)
            if fresh.changes(example.fix) and self._allowed(example, case, ctx):
                chosen.append(example)
        return chosen


class _Freshness:
    """Whether a fix would change the current space (a no-op fix is already applied)."""

    def __init__(self, space: SerializedSpace) -> None:
        self.space = space
        self.dump = space.model_dump(mode="json")
        self._seen: dict[str, bool] = {}

    def changes(self, fix: Fix) -> bool:
        if fix.key not in self._seen:
            try:
                self._seen[fix.key] = fix.apply(self.space).model_dump(mode="json") != self.dump
            except FixError:
                self._seen[fix.key] = False
        return self._seen[fix.key]


def _group_key(fix: Fix) -> Hashable:
    """Fixes with one meaning: same-SQL snippets, and synonyms of one column that read the same."""
    if isinstance(fix, AddSqlSnippet):
        return (fix.kind, normalize_expr(fix.sql))
    if isinstance(fix, AddSynonym):
        return ("synonym", fix.table.lower(), fix.column.lower(), stems(fix.synonym))
    return fix.key


def _merge(picked: list[tuple[Candidate, FailureCase]], bench: Workbench) -> list[Proposal]:
    """One proposal per fix key (question ids combined); same-SQL snippets become one snippet with all phrases."""
    groups: dict[Hashable, list[tuple[Candidate, FailureCase]]] = {}
    for candidate, case in picked:
        groups.setdefault(_group_key(candidate.fix), []).append((candidate, case))
    proposals = []
    for members in groups.values():
        first, case = members[0]
        fix = first.fix
        if isinstance(fix, AddSqlSnippet) and len(members) > 1:
            synonyms = sorted({s for c, _ in members if isinstance(c.fix, AddSqlSnippet) for s in c.fix.synonyms},
                              key=lambda s: (len(s), s))
            fix = fix.model_copy(update={"synonyms": synonyms})
        ids = list(dict.fromkeys(c.result.id for _, c in members))
        phrases = list(dict.fromkeys(c.evidence["phrase"] for c, _ in members if c.evidence.get("phrase")))
        proposals.append((FAMILY_ORDER.index(first.family), Proposal(
            fix=fix, proposer="heuristic", rationale=first.rationale, question_ids=ids, category=case.category,
            expected_effect=first.expected_effect + (f" ({len(ids)} train failures: {', '.join(ids)})" if len(ids) > 1 else ""),
            evidence={**first.evidence, "family": first.family, "aspect": first.aspect, "rung": first.rung,
                      "phrases": phrases},
        )))
    ordered = [p for _, p in sorted(proposals, key=lambda item: (item[0], item[1].fix.key))]
    return _without_conflicts(ordered)


def _taught(fix: Fix) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """(phrase stems, meaning) pairs a fix teaches the space."""
    if isinstance(fix, AddSynonym):
        return [(stems(fix.synonym), ("column", fix.table.lower(), fix.column.lower()))]
    if isinstance(fix, AddSqlSnippet):
        meaning = (fix.kind, normalize_expr(fix.sql))
        return [(stems(text), meaning) for text in [fix.display_name, *fix.synonyms] if text]
    return []


def _without_conflicts(proposals: list[Proposal]) -> list[Proposal]:
    """Drop proposals teaching a phrase another proposal of the batch teaches a different meaning: a phrase a
    question said beats a derived variant, then the lightest rung, then the one serving more failures keeps it (one
    batch must not make a phrase ambiguous); a snippet only loses its contested variant names."""
    claims: dict[tuple[str, ...], tuple[str, ...]] = {}
    by_strength = sorted(proposals, key=lambda p: ("variant_of" in p.evidence, p.evidence.get("rung", 0),
                                                   -len(p.question_ids)))
    kept: dict[int, Proposal] = {}
    for proposal in by_strength:
        narrowed = _without_variants_claimed(proposal, claims)
        taught = _taught(narrowed.fix)
        if any(claims.get(words, meaning) != meaning for words, meaning in taught):
            continue
        claims.update(taught)
        kept[id(proposal)] = narrowed
    return [kept[id(p)] for p in proposals if id(p) in kept]


def _without_variants_claimed(proposal: Proposal, claims: dict[tuple[str, ...], tuple[str, ...]]) -> Proposal:
    """A snippet loses the derived variant names a stronger proposal of the batch teaches otherwise."""
    fix = proposal.fix
    if not isinstance(fix, AddSqlSnippet) or len(fix.synonyms) < 2:
        return proposal
    meaning = (fix.kind, normalize_expr(fix.sql))
    own = {stems(p or "") for p in [fix.display_name, *proposal.evidence.get("phrases", [])]}
    kept = [s for s in fix.synonyms if stems(s) in own or claims.get(stems(s), meaning) == meaning]
    if kept == fix.synonyms:
        return proposal
    return proposal.model_copy(update={"fix": fix.model_copy(update={"synonyms": kept})})


def _rank(proposals: list[Proposal], lessons: Sequence[Lesson]) -> list[Proposal]:
    """Most promising fix types first (lesson prior); stable, so ties keep family order."""
    return sorted(proposals, key=lambda p: -lesson_prior(lessons, p.fix.type, p.category.value))


__all__ = ["FAMILIES", "HeuristicProposer"]
