"""Read the structure of an analytics question: which phrase is aggregated, grouped by, ranked or compared.

Why: a fix must attach the question's own phrase to the right part of the expected SQL — the phrase after "total"
names the measure, the phrase after "by" the grouping, the phrase before "over 500" the compared column. Cue words
are generic English (`terms.py`). Words are "explained" by the schema's own names (tables, columns): phrases chosen
against them stay the same while fixes accumulate, so a fix already applied is recognised as such. The schema
names also split "most active channels" into an unexplained measure word ("active") and the ranked subject it
qualifies ("channels").
"""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass, field

from genie_enhance.proposers.heuristic.terms import (
    AGGREGATE_CUES,
    COMPARE_CUES,
    GROUP_CUES,
    TIME_WORDS,
    Run,
    content_runs,
    cut_at_verb,
    run_at_or_after,
    run_before,
)
from genie_enhance.proposers.heuristic.vocab import SpaceVocabulary, Target
from genie_enhance.words import Token, tokenize

RANK_MOST = {"most", "highest", "largest", "biggest", "greatest", "best", "top"}
RANK_LEAST = {"least", "fewest", "lowest", "smallest", "worst", "bottom"}


@dataclass
class Reading:
    question: str
    tokens: list[Token]
    runs: list[Run]
    explained: set[int]
    aggregate: str | None = None  # SUM | AVG | MIN | MAX | COUNT asked by the first aggregation cue
    aggregate_end: int | None = None
    measure: Run | None = None  # the phrase the aggregation or ranking is about
    groups: list[Run] = field(default_factory=list)
    subject: Run | None = None  # the ranked / listed thing ("top 5 <products>")
    compared: list[Run] = field(default_factory=list)
    meanings: dict[int, list[Target]] = field(default_factory=dict)  # position → what the schema names there

    def text(self, run: Run) -> str:
        return run.text(self.question, self.tokens)

    def unexplained(self, run: Run) -> list[int]:
        return [i for i in run.positions() if i not in self.explained]

    def role_runs(self) -> set[Run]:
        found = set(self.groups) | set(self.compared)
        found |= {r for r in (self.measure, self.subject) if r is not None}
        return found

    def free_runs(self) -> list[Run]:
        """Runs holding an unexplained word and no structural role (business terms such as "cancelled")."""
        taken = self.role_runs()
        return [r for r in self.runs if r not in taken and self.unexplained(r)]

    def business_runs(self, naming: Set[tuple[str, str]] = frozenset()) -> list[Run]:
        """Runs holding an unexplained word — or a word naming one of the `naming` (table, column) pairs, which
        then describes a condition on that column ("edited" for `edited_ts IS NOT NULL`) — nearest to the
        aggregation cue first (the question's subject)."""
        anchor = self.aggregate_end or 0

        def telling(i: int) -> bool:
            return i not in self.explained or any((t.table, t.column) in naming for t in self.meanings.get(i, []))

        runs = [r for r in self.runs if any(telling(i) for i in r.positions())]
        return sorted(runs, key=lambda r: (r.start < anchor, abs(r.start - anchor), r.start))


_RANKING_SUPERLATIVES = ("highest", "lowest", "largest", "smallest", "biggest", "greatest")


def _aggregate_cue(tokens: list[Token]) -> tuple[str, int, int] | None:
    """The first aggregation cue; an explicit word beats the vague "how much" ("how much … on average" averages)."""
    vague = None
    for i, tok in enumerate(tokens):
        nxt = tokens[i + 1].low if i + 1 < len(tokens) else ""
        if tok.low == "how" and nxt == "many":
            return "COUNT", i, i + 2
        if tok.low == "how" and nxt == "much":
            vague = vague or ("SUM", i, i + 2)
        elif tok.low in ("number", "count") and nxt == "of":
            return "COUNT", i, i + 2
        elif tok.low in AGGREGATE_CUES and tok.low not in _RANKING_SUPERLATIVES:
            if vague is not None and AGGREGATE_CUES[tok.low] == "SUM":
                return vague  # "how much … in total": the phrase after "how much" is still the measure
            return AGGREGATE_CUES[tok.low], i, i + 1
    return vague


def _superlative(tokens: list[Token]) -> int | None:
    return next((i for i, t in enumerate(tokens) if t.low in RANK_MOST | RANK_LEAST and t.low != "top"), None)


def _split_subject(run: Run, reading: Reading, vocab: SpaceVocabulary) -> tuple[Run | None, Run | None]:
    """"active channels" → (measure "active", subject "channels"): trailing words naming a table are the subject."""
    tokens = reading.tokens
    for cut in range(run.start + 1, run.end):
        tail = Run(cut, run.end)
        match = vocab.match_at(tokens, cut)
        if match is not None and match.start == cut and match.end == run.end and any(t.kind == "table" for t in match.targets):
            return Run(run.start, cut), tail
    return run, None


def read_question(question: str, vocab: SpaceVocabulary) -> Reading:
    tokens = tokenize(question)
    runs = content_runs(tokens)
    matches = vocab.matches(tokens)
    meanings = {i: m.targets for m in matches for i in range(m.start, m.end)}
    reading = Reading(question, tokens, runs, set(meanings), meanings=meanings)
    cue = _aggregate_cue(tokens)
    if cue is not None:
        reading.aggregate, _, reading.aggregate_end = cue
        pos = reading.aggregate_end
        while pos < len(tokens) and tokens[pos].low in ("of", "the", "distinct", "unique", "different", "number"):
            pos += 1
        measure = run_at_or_after(tokens, pos, runs)
        reading.measure = cut_at_verb(measure, tokens) if measure is not None else None
    _ranking(reading, vocab)
    for i, tok in enumerate(tokens):
        if tok.low not in GROUP_CUES:
            continue
        after = run_at_or_after(tokens, i + 1, runs)
        if after is None or tokens[after.start].low in TIME_WORDS:
            continue
        if tok.low == "by" and reading.subject is not None and reading.measure is None:
            reading.measure = after  # "top 5 products by revenue": ranked by a measure
        elif after not in (reading.measure, reading.subject):
            reading.groups.append(after)
    for i, tok in enumerate(tokens):
        if tok.low in COMPARE_CUES and any(t.kind == "number" for t in tokens[i + 1 : i + 4]):
            before = run_before(tokens, i, runs)
            if before is not None and before not in reading.compared:
                reading.compared.append(before)
    return reading


def _ranking(reading: Reading, vocab: SpaceVocabulary) -> None:
    tokens, runs = reading.tokens, reading.runs
    for i, tok in enumerate(tokens):
        if tok.low in ("top", "bottom"):
            pos = i + 1 + (i + 1 < len(tokens) and tokens[i + 1].kind == "number")
            subject = run_at_or_after(tokens, pos, runs)
            if subject is not None:
                reading.subject = cut_at_verb(subject, tokens)
            break
    sup = _superlative(tokens)
    if sup is None:
        return
    if reading.subject is None and tokens[0].low in ("which", "what", "who"):
        pos = 1 + (len(tokens) > 1 and tokens[1].kind == "number")
        subject = run_at_or_after(tokens, pos, runs)
        if subject is not None and subject.end <= sup:
            reading.subject = cut_at_verb(subject, tokens)
    after = run_at_or_after(tokens, sup + 1, runs)
    if after is None:
        return
    if reading.subject is not None:
        reading.measure = reading.measure or after  # "which X has the highest <Y>"
        return
    measure, subject = _split_subject(after, reading, vocab)
    if subject is not None:  # "the 5 most <active> <channels>"
        reading.subject, reading.measure = subject, measure
        return
    if reading.measure is None:  # "what is the largest <order amount>": an aggregate, not a ranking
        reading.measure = after
        reading.aggregate = reading.aggregate or ("MAX" if tokens[sup].low in RANK_MOST else "MIN")
        reading.aggregate_end = reading.aggregate_end or sup + 1
