"""Question forms for the leakage guard: a holdout question with its year, number or value changed is still it.

Why: "How many orders were placed in 2023?" teaches Genie exactly what the holdout question "… in 2025?" asks —
Genie swaps literals of a close example — so an example question is compared with the holdout questions after
1. light text normalization: Unicode NFKC, case folded, punctuation as spaces, whitespace collapsed (and, for the
   `key`, removed altogether: Korean spacing varies freely, "총매출은" and "총 매출은" are one question);
2. numbers (digits, and the English number words up to twenty) → `<n>`, ISO dates → `<d>`, month names → `<m>`;
3. entity values — the string literals of the benchmark SQL and the values of the low-cardinality columns those
   literals are compared with (given by the caller) — → `<v>`, longest value first.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from sqlglot import exp

from genie_enhance.proposers.heuristic.terms import STOPWORDS
from genie_enhance.words import stem

NUMBER_WORDS = frozenset(
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen "
    "eighteen nineteen twenty".split()
)
MONTHS = frozenset(
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec".split()
)
PLACEHOLDERS = ("<n>", "<d>", "<m>", "<v>")
_DATE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}|\d{1,2}/\d{1,2}/\d{2,4}")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_NON_WORD = re.compile(r"[^\w<>]+|_")
MIN_VALUE_CHARS = 2


def fold_text(text: str) -> str:
    """NFKC, case folded, punctuation as single spaces (Hangul, digits and letters of any script kept)."""
    return " ".join(_NON_WORD.sub(" ", unicodedata.normalize("NFKC", text).casefold()).split())


def _literals_marked(text: str) -> str:
    """Folded text with dates as `<d>` and numbers as `<n>` (replaced before punctuation is folded away)."""
    raw = unicodedata.normalize("NFKC", text).casefold()
    return fold_text(_NUMBER.sub(" <n> ", _DATE.sub(" <d> ", raw)))


@dataclass(frozen=True)
class QuestionForm:
    """A text as the guard compares it: `spaced` (normalized, words spaced), `key` (the same without spaces) and
    `words` (stems of its distinctive words and placeholders)."""

    spaced: str
    key: str
    words: frozenset[str]


class QuestionNormalizer:
    """Turns texts into `QuestionForm`s, replacing the given entity values by `<v>`."""

    def __init__(self, entity_values: Iterable[str] = ()) -> None:
        values = sorted({v for v in (_literals_marked(x) for x in entity_values)
                         if len(v) >= MIN_VALUE_CHARS and set(v.split()) - set(PLACEHOLDERS)},
                        key=lambda v: (-len(v), v))
        self._values = (re.compile(r"(?<!\w)(?:" + "|".join(re.escape(v) for v in values) + r")(?!\w)")
                        if values else None)

    def form(self, text: str) -> QuestionForm:
        folded = f" {_literals_marked(text)} "
        if self._values is not None:
            folded = self._values.sub(" <v> ", folded)
        words = []
        for word in folded.split():
            if word in NUMBER_WORDS:
                word = "<n>"
            elif word in MONTHS:
                word = "<m>"
            words.append(word)
        spaced = " ".join(words)
        distinct = frozenset(w if w in PLACEHOLDERS else stem(w) for w in words if w not in STOPWORDS)
        return QuestionForm(spaced, spaced.replace(" ", ""), distinct)


def compared_columns(tree: exp.Expr) -> set[tuple[str, str]]:
    """(table, column) pairs a query compares with a string literal (`u.usr_handle = 'BraveCrane'`, `IN (…)`):
    the columns whose values questions name. Tables as written (full names when the query writes them)."""
    tables = {t.alias_or_name.lower(): ".".join(p for p in (t.catalog, t.db, t.name) if p).lower()
              for t in tree.find_all(exp.Table) if t.name}
    only = next(iter(tables.values())) if len(set(tables.values())) == 1 else None
    found: set[tuple[str, str]] = set()
    for lit in tree.find_all(exp.Literal):
        parent = lit.parent
        if not lit.is_string or not isinstance(parent, (exp.EQ, exp.NEQ, exp.In, exp.Like, exp.ILike)):
            continue
        column = parent.this if isinstance(parent.this, exp.Column) else parent.args.get("expression")
        if not isinstance(column, exp.Column):
            continue
        table = tables.get(column.table.lower()) if column.table else only
        if table:
            found.add((table, column.name.lower()))
    return found
