"""Question wording: the structural cue words of analytics questions, and the content runs left between them.

Why: a proposer must pick the *business phrase* of a question ("net revenue", "customer segment") to teach the
space, and that phrase is what is left once the structure words ("how many", "by", "top 5", "in 2024") and filler
words are set aside. Tokens come from `genie_enhance.words`, the tokenizer the offline Genie reads questions with,
so a phrase taught here is matched the same way there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from genie_enhance.words import Token

STOPWORDS = frozenset(
    """a an the of in on at for to from with and or is are was were be been being do does did what which who whom
    whose how many much list show me give display find tell all each every our my we i you us there that this these
    those it its has have had their them they any as than into per by across over under please can could would
    should will get got s whats where when why also only just some one ever so far""".split()
)
#: aggregation cue → the aggregate it asks for ("how many"/"how much"/"number of" are handled as pairs)
AGGREGATE_CUES = {
    "total": "SUM", "sum": "SUM", "overall": "SUM", "average": "AVG", "avg": "AVG", "mean": "AVG", "count": "COUNT",
    "minimum": "MIN", "min": "MIN", "lowest": "MIN", "smallest": "MIN", "earliest": "MIN", "maximum": "MAX",
    "max": "MAX", "largest": "MAX", "highest": "MAX", "biggest": "MAX", "greatest": "MAX", "latest": "MAX",
}
GROUP_CUES = frozenset({"by", "per", "each", "every", "across"})
RANK_CUES = frozenset({
    "top", "bottom", "most", "least", "fewest", "highest", "lowest", "largest", "smallest", "best", "worst",
    "biggest", "greatest",
})
COMPARE_CUES = frozenset({
    "over", "above", "under", "below", "exceeding", "exceed", "exceeds", "more", "less", "fewer", "greater",
    "higher", "lower", "larger", "smaller", "least", "most", "between", "than", "exactly",
})
TIME_WORDS = frozenset({
    "day", "daily", "week", "weekly", "month", "monthly", "quarter", "quarterly", "year", "yearly", "annual",
    "annually", "today", "yesterday", "date", "january", "february", "march", "april", "may", "june", "july",
    "august", "september", "october", "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug",
    "sep", "sept", "oct", "nov", "dec",
})
#: nouns that name a kind of grouping of rows, not the rows: "the enterprise <segment>", "the premium <tier>"
CLASSIFIER_NOUNS = frozenset({
    "segment", "category", "type", "status", "tier", "level", "class", "kind", "group", "role", "plan", "band",
    "bucket", "grade", "rank",
})
#: words that qualify a measure right after it: "revenue <after discounts>", "price <excluding tax>"
QUALIFIERS = frozenset({"after", "before", "excluding", "including", "without", "minus", "less", "net", "incl", "excl"})
FILLERS = frozenset({"the", "a", "an", "of", "our", "my", "their", "its", "all", "distinct", "unique", "different"})
KEYWORDS = frozenset(set(AGGREGATE_CUES) | GROUP_CUES | RANK_CUES | COMPARE_CUES | TIME_WORDS | {
    "number", "distinct", "unique", "different", "how", "many", "much",
})

def is_content(token: Token) -> bool:
    """A word that can belong to a business phrase (not a stop, cue or time word)."""
    return (token.kind == "word" and token.low not in STOPWORDS and token.low not in KEYWORDS
            and token.stem not in KEYWORDS)


def number_value(token: Token) -> float | None:
    return token.number if token.kind == "number" else None


def folded(text: str) -> str:
    """Lower case, every run of non-alphanumerics one space: `Help-Desk` and `help desk` fold alike."""
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text.casefold()).split())


def mentions_text(question: str, value: str) -> bool:
    """Whether the question names `value` as whole words, ignoring case and punctuation."""
    needle = folded(value)
    return bool(needle) and f" {needle} " in f" {folded(question)} "


def mentions_number(tokens: list[Token], value: float) -> bool:
    return any(number_value(t) == value for t in tokens)


@dataclass(frozen=True)
class Run:
    """Tokens `start:end` of a question: a maximal stretch of content words."""

    start: int
    end: int

    def text(self, question: str, tokens: list[Token]) -> str:
        """The run as the question spells it (hyphens kept), lower-cased."""
        return " ".join(question[tokens[self.start].start : tokens[self.end - 1].end].lower().split())

    def stems(self, tokens: list[Token]) -> tuple[str, ...]:
        return tuple(t.stem for t in tokens[self.start : self.end])

    def positions(self) -> range:
        return range(self.start, self.end)


def content_runs(tokens: list[Token]) -> list[Run]:
    runs, start = [], None
    for i, tok in enumerate([*tokens, None]):
        if tok is not None and is_content(tok):
            start = i if start is None else start
        elif start is not None:
            runs.append(Run(start, i))
            start = None
    return runs


def run_at_or_after(tokens: list[Token], pos: int, runs: list[Run]) -> Run | None:
    """The run starting at `pos` after skipping filler words (the phrase an aggregation or group cue governs)."""
    while pos < len(tokens) and tokens[pos].low in FILLERS:
        pos += 1
    return next((r for r in runs if r.start == pos), None)


def run_before(tokens: list[Token], pos: int, runs: list[Run]) -> Run | None:
    """The run ending right before `pos`, skipping fillers and linking verbs ("amount is over 10")."""
    k = pos - 1
    while k >= 0 and tokens[k].low in FILLERS | {"is", "are", "was", "were", "with", "had", "has", "have", "that"}:
        k -= 1
    return next((r for r in runs if r.end == k + 1), None)


def cut_at_verb(run: Run, tokens: list[Token]) -> Run:
    """A subject run without a trailing participle ("members posted" → "members")."""
    for i in range(run.start + 1, run.end):
        if tokens[i].low.endswith("ed") and len(tokens[i].low) > 4:
            return Run(run.start, i)
    return run


def alias_of(phrase: str) -> str:
    """A snippet alias from a phrase: `high-value orders` → `high_value_orders`."""
    words = re.findall(r"[0-9a-z]+", phrase.lower())
    alias = "_".join(words) or "snippet"
    return alias if alias[0].isalpha() or alias[0] == "_" else f"m_{alias}"
