"""Schema-independent structure of a question: comparisons, top/bottom N, time filters, time grain, group markers.

Each finder records which token positions it used, so the same number is never read twice (the 5 of "top 5" is
not also a comparison, and the 2024 of "over 2024"-style phrases is a year only when no comparison took it).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from genie_enhance.backends.local.offline_genie.keywords import (
    COMPARISONS,
    GRAIN_ADJECTIVES,
    GRAINS,
    GROUP_MARKERS,
    LEAST,
    MOST,
    RANK_WORDS,
    YEAR_PREPOSITIONS,
)
from genie_enhance.backends.local.offline_genie.mentions import Mention
from genie_enhance.backends.local.offline_genie.text import MONTHS
from genie_enhance.core.required import required
from genie_enhance.words import Token

NEGATIONS = {"not", "excluding", "except", "exclude", "without", "other", "non", "outside"}


@dataclass
class Compare:
    op: str
    values: list[float]
    start: int  # first word of the comparison phrase
    end: int  # position after the last number


@dataclass
class TimeFilter:
    kind: str  # year | month | quarter | date
    op: str
    values: list
    position: int


@dataclass
class Markers:
    compares: list[Compare] = field(default_factory=list)
    rank_limit: int | None = None
    rank_desc: bool = True
    rank_pos: int | None = None  # position right after "top N"
    time: list[TimeFilter] = field(default_factory=list)
    grain: str | None = None
    grain_pos: int = 0
    used: set[int] = field(default_factory=set)


class MarkerFinder:
    """Scans tokens (skipping words inside mentions) for the structural phrases of a question."""

    def __init__(self, tokens: list[Token], mentions: list[Mention]) -> None:
        self.tokens = tokens
        self.covered = {i for m in mentions for i in range(m.start, m.end)}
        self.out = Markers()

    def low(self, i: int) -> str:
        return self.tokens[i].low if 0 <= i < len(self.tokens) else ""

    def stem(self, i: int) -> str:
        return self.tokens[i].stem if 0 <= i < len(self.tokens) else ""

    def free(self, i: int) -> bool:
        return 0 <= i < len(self.tokens) and i not in self.covered and i not in self.out.used

    def number(self, i: int) -> float | None:
        if 0 <= i < len(self.tokens) and self.tokens[i].kind == "number" and i not in self.out.used:
            return self.tokens[i].number
        return None

    def find(self) -> Markers:
        self._comparisons()
        self._rank()
        self._time()
        self._grain()
        return self.out

    def _comparisons(self) -> None:
        stems = [t.stem for t in self.tokens]
        i = 0
        while i < len(self.tokens):
            for phrase, op in COMPARISONS:
                j = i + len(phrase)
                if tuple(stems[i:j]) != phrase or not all(self.free(k) for k in range(i, j)):
                    continue
                first = self.number(j)
                if first is None:
                    continue
                if op == "between":
                    second = self.number(j + 2) if self.low(j + 1) == "and" else None
                    if second is None:
                        continue
                    self.out.compares.append(Compare(op, [first, second], i, j + 3))
                    self.out.used.update(range(i, j + 3))
                else:
                    self.out.compares.append(Compare(op, [first], i, j + 1))
                    self.out.used.update(range(i, j + 1))
                i = j
                break
            i += 1
        # a comparison of years is a year range, not a numeric filter
        for cmp in list(self.out.compares):
            idx = [k for k in range(cmp.start, cmp.end) if self.tokens[k].kind == "number"]
            if idx and all(self.tokens[k].is_year for k in idx):
                self.out.compares.remove(cmp)
                self.out.time.append(TimeFilter("year", cmp.op, [int(v) for v in cmp.values], cmp.start))

    def _rank(self) -> None:
        for i, tok in enumerate(self.tokens):
            if not self.free(i):
                continue
            if tok.low in RANK_WORDS:
                n = self.number(i + 1)
                self.out.rank_desc = RANK_WORDS[tok.low]
                self.out.rank_limit = int(n) if n is not None and not self.tokens[i + 1].is_year else None
                end = i + (2 if self.out.rank_limit is not None else 1)
                self.out.rank_pos = end
                self.out.used.update(range(i, end))
                return
            n = self.number(i)
            next_to_superlative = self.low(i + 1) in MOST | LEAST or self.low(i - 1) in MOST | LEAST
            if n is not None and not tok.is_year and n.is_integer() and next_to_superlative:
                self.out.rank_limit = int(n)
                self.out.used.add(i)

    def _prep(self, i: int) -> str:
        """The comparison a time literal's preposition asks for: "in 2024" =, "since 2024" >=, "before 2024" <."""
        k = i - 1
        while self.low(k) in ("the", "year", "fiscal", "calendar"):
            k -= 1
        return YEAR_PREPOSITIONS.get(self.low(k), "=")

    def _time(self) -> None:
        for i, tok in enumerate(self.tokens):
            if i in self.out.used:
                continue
            if tok.kind == "date":
                second = self.tokens[i + 2] if i + 2 < len(self.tokens) else None
                if self.low(i - 1) == "between" and self.low(i + 1) == "and" and second and second.kind == "date":
                    self.out.time.append(TimeFilter("date", "between", [tok.raw, self.tokens[i + 2].raw], i))
                    self.out.used.update({i - 1, i, i + 1, i + 2})
                else:
                    self.out.time.append(TimeFilter("date", self._prep(i), [tok.raw], i))
                    self.out.used.add(i)
            elif tok.is_year and i not in self.covered:
                year = int(required(tok.number, "a year's number"))
                self.out.time.append(TimeFilter("year", self._prep_skip_month(i), [year], i))
                self.out.used.add(i)
                self._month_or_quarter(i)
        for i, tok in enumerate(self.tokens):
            if self.free(i) and tok.low in MONTHS and self.low(i - 1) in ("in", "during") and tok.low != "may":
                self.out.time.append(TimeFilter("month", "=", [MONTHS[tok.low]], i))
                self.out.used.add(i)

    def _prep_skip_month(self, i: int) -> str:
        k = i - 1
        if self.low(k) == "of":
            k -= 1
        if self.low(k) in MONTHS or (len(self.low(k)) == 2 and self.low(k)[0] == "q" and self.low(k)[1] in "1234"):
            return self._prep(k)
        return self._prep(i)

    def _month_or_quarter(self, i: int) -> None:
        k = i - 1 if self.low(i - 1) != "of" else i - 2
        word = self.low(k)
        if not self.free(k):
            return
        if word in MONTHS:
            self.out.time.append(TimeFilter("month", "=", [MONTHS[word]], k))
            self.out.used.add(k)
        elif len(word) == 2 and word[0] == "q" and word[1] in "1234":
            self.out.time.append(TimeFilter("quarter", "=", [int(word[1])], k))
            self.out.used.add(k)

    def _grain(self) -> None:
        for i, tok in enumerate(self.tokens):
            if not self.free(i):
                continue
            if tok.low in GRAIN_ADJECTIVES:
                self._set_grain(GRAINS[tok.low], i, {i})
                return
            if tok.stem in GROUP_MARKERS:
                j = i + 1
                while self.low(j) in ("the", "each", "every", "a", "calendar"):
                    j += 1
                if self.free(j) and self.stem(j) in GRAINS:
                    self._set_grain(GRAINS[self.stem(j)], i, set(range(i, j + 1)))
                    return

    def _set_grain(self, grain: str, pos: int, used: set[int]) -> None:
        self.out.grain = grain
        self.out.grain_pos = pos
        self.out.used.update(used)


def negated(tokens: list[Token], start: int) -> bool:
    """Whether a value at `start` is negated ("not in X", "excluding X", "other than X")."""
    window = [t.low for t in tokens[max(0, start - 3) : start]]
    return any(w in NEGATIONS for w in window)
