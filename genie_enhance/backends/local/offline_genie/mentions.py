"""Find which words of a question name which schema objects (tables, columns, snippets, stored values).

Phrase matching is greedy: phrases matching more words first (a multi-word phrase may skip a few function or
unknown words, at half a word's cost), then higher priority (see `vocabulary` for the order), then the
earlier position. Phrases of the same span and strength tier (e.g. a table name and a column synonym) are kept
together as one ambiguous mention; the question parser resolves them by role and context. A table word right before
a column of that table is one mention of the column ("customer city"). Words no phrase explains are then matched
against column and table descriptions: the object whose description shares the most of a run of such words wins
(ties stay ambiguous).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from genie_enhance.backends.local.offline_genie.keywords import KEYWORDS
from genie_enhance.backends.local.offline_genie.text import STOPWORDS
from genie_enhance.backends.local.offline_genie.vocabulary import DESCRIPTION, SYNONYM, Target, Vocabulary
from genie_enhance.words import Token


@dataclass
class Mention:
    """Words `start:end` of the question and what they may point at (all equally good)."""

    start: int
    end: int
    targets: list[Target]
    priority: float  # the best of `ranks`
    ranks: list[float] = field(default_factory=list)  # each target's phrase priority
    used: bool = field(default=False, compare=False)

    def rank(self, target: Target) -> float:
        return next((r for t, r in zip(self.targets, self.ranks) if t is target), self.priority)

    @property
    def kinds(self) -> set[str]:
        return {t.kind for t in self.targets}

    def first(self, *kinds: str) -> Target | None:
        return next((t for t in self.targets if not kinds or t.kind in kinds), None)

    def __repr__(self) -> str:
        return f"Mention({self.start}:{self.end} {self.targets})"


MAX_GAP = 3  # words a multi-word phrase may skip ("revenue did we make after discounts")


def _gap_ok(tok: Token, vocab: Vocabulary) -> bool:
    """Words a phrase may step over: function words and words that mean nothing to this space."""
    if tok.kind != "word" or tok.stem in KEYWORDS:
        return False
    return tok.low in STOPWORDS or tok.stem not in vocab.phrases


def _gapped_end(tokens: list[Token], words: tuple[str, ...], start: int, vocab: Vocabulary) -> int | None:
    """End of an in-order match of `words` from `start` that skips at most `MAX_GAP` skippable words."""
    i, gaps = start + 1, 0
    for word in words[1:]:
        while i < len(tokens) and tokens[i].stem != word:
            if gaps >= MAX_GAP or not _gap_ok(tokens[i], vocab):
                return None
            i, gaps = i + 1, gaps + 1
        if i >= len(tokens):
            return None
        i += 1
    return i


Candidate = tuple[int, int, float, Target, float]  # start, end, priority, target, weight (matched words)


def _phrase_candidates(tokens: list[Token], vocab: Vocabulary) -> list[Candidate]:
    """Contiguous phrase matches, and multi-word phrases whose words appear in order with a small gap (those
    weigh half a word less than the same phrase written contiguously)."""
    words = [t.stem for t in tokens]
    found: list[Candidate] = []
    for i, word in enumerate(words):
        for phrase in vocab.phrases.get(word, ()):
            n = len(phrase.words)
            if tuple(words[i : i + n]) == phrase.words:
                if n == 1 and phrase.priority < SYNONYM and word in KEYWORDS:
                    continue  # a plain name may not swallow "total", "top", "month" …
                found.append((i, i + n, phrase.priority, phrase.target, float(n)))
            elif n > 1:
                end = _gapped_end(tokens, phrase.words, i, vocab)
                if end is not None:
                    found.append((i, end, phrase.priority, phrase.target, n - 0.5))
    return found


def _compatible(m: Mention, priority: float, target: Target) -> bool:
    """Same words, same strength tier (exact names/synonyms/snippets vs one-word parts), and values only with
    values: such phrases stay candidates of one mention and the question's role for it decides."""
    return int(m.priority) == int(priority) and (target.kind == "value") == (m.targets[0].kind == "value")


def _greedy(candidates: list[Candidate]) -> list[Mention]:
    chosen: list[Mention] = []
    taken: set[int] = set()
    for start, end, priority, target, _ in sorted(candidates, key=lambda c: (-c[4], -c[2], c[0])):
        same = next((m for m in chosen if (m.start, m.end) == (start, end) and _compatible(m, priority, target)), None)
        if same is not None:
            if all(t is not target and repr(t) != repr(target) for t in same.targets):
                same.targets.append(target)
                same.ranks.append(priority)
            continue
        if taken.intersection(range(start, end)):
            continue
        chosen.append(Mention(start, end, [target], priority, [priority]))
        taken.update(range(start, end))
    return chosen


def _description_mentions(tokens: list[Token], vocab: Vocabulary, taken: set[int]) -> list[Mention]:
    found: list[Mention] = []
    run: list[int] = []

    def flush() -> None:
        while run:
            scores: dict[int, tuple[Target, list[int]]] = {}
            for i in run:
                for target in vocab.description_candidates(tokens[i].stem):
                    key = id(target.column) if target.column is not None else id(target.table)
                    entry = scores.setdefault(key, (target, []))
                    if i not in entry[1]:
                        entry[1].append(i)
            if not scores:
                return
            best = max(len(hits) for _, hits in scores.values())
            winners = [(t, hits) for t, hits in scores.values() if len(hits) == best]
            # columns before tables: a description word names a column more specifically than a table
            winners.sort(key=lambda w: 0 if w[0].kind == "column" else 1)
            span = winners[0][1]
            group = [t for t, hits in winners if hits == span]
            weight = DESCRIPTION + 0.01 * best
            found.append(Mention(min(span), max(span) + 1, group, weight, [weight] * len(group)))
            run[:] = [i for i in run if i < min(span) or i > max(span)]

    for i, tok in enumerate(tokens):
        content = tok.kind == "word" and tok.low not in STOPWORDS and tok.stem not in STOPWORDS | KEYWORDS
        if i in taken or not content:
            flush()
            run.clear()
            continue
        run.append(i)
    flush()
    return found


def _compounds(mentions: list[Mention]) -> list[Mention]:
    """"<table> <column of that table>" ("customer city", "ticket priority") is that column: the table word only
    says whose column it is, not a second thing to count or group by. A date column does not combine: "users
    <registered>", "accounts <opened>" is a clause (when it happened), not a compound."""
    ordered = sorted(mentions, key=lambda m: m.start)
    out: list[Mention] = []
    for m in ordered:
        prev = out[-1] if out else None
        owners = {t.tbl.key for t in prev.targets if t.kind == "table"} if prev is not None else set()
        own = [(t, r) for t, r in zip(m.targets, m.ranks or [m.priority] * len(m.targets))
               if t.kind == "column" and t.col.table_key in owners and t.col.category != "temporal"]
        if prev is not None and prev.end == m.start and own and "table" not in m.kinds:
            out[-1] = Mention(prev.start, m.end, [t for t, _ in own], max(r for _, r in own), [r for _, r in own])
            continue
        out.append(m)
    return out


def find_mentions(tokens: list[Token], vocab: Vocabulary) -> list[Mention]:
    """All mentions of a question, in question order."""
    mentions = _compounds(_greedy(_phrase_candidates(tokens, vocab)))
    taken = {i for m in mentions for i in range(m.start, m.end)}
    mentions += _description_mentions(tokens, vocab, taken)
    return sorted(mentions, key=lambda m: m.start)
