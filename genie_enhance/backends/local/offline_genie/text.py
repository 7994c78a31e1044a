"""Word-level text handling shared by the vocabulary, the question parser and example matching.

Everything compares *stems*: lower-cased words reduced to a naive singular, so "orders" meets `order_id` and
"categories" meets `category`. The rules are deliberately simple and symmetric (the same function runs on the
schema and on the question), which matters more than linguistic accuracy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from genie_enhance.words import stem  # noqa: F401  (re-exported: one stemmer for both sides)

STOPWORDS = frozenset(
    """a an the of in on at for to from with and or is are was were be been being do does did what which who whom
    whose how many much list show me give display find tell all each every our my we i you there that this these
    those it its has have had their them they any as than into per by across over under its please can could would
    should will did get got s whats where when why also only just some one""".split()
)

NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "fifty": 50, "hundred": 100,
}

MONTHS = {
    name: i + 1
    for i, names in enumerate(
        [("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",), ("june", "jun"),
         ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"), ("october", "oct"),
         ("november", "nov"), ("december", "dec")]
    )
    for name in names
}

_TOKEN_RE = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})"
    r"|(?P<number>\d[\d,]*(?:\.\d+)?(?P<suffix>[kKmM](?![A-Za-z]))?)"
    r"|(?P<word>[^\W\d_](?:[^\W_]|')*)",
)
_CAMEL_RE = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")


@dataclass(frozen=True)
class Token:
    """One question word: `raw` as written, `low` lower-cased, `stem` for matching; numbers carry `number`."""

    raw: str
    low: str
    stem: str
    kind: str  # "word" | "number" | "date"
    number: float | None = None

    @property
    def is_year(self) -> bool:
        if self.kind != "number" or self.number is None or "," in self.raw or "." in self.raw:
            return False
        return self.number.is_integer() and 1900 <= self.number <= 2100


def tokenize(text: str) -> list[Token]:
    """Words, numbers (`$1,200`, `1.5k`) and ISO dates of a text; possessive `'s` and punctuation dropped."""
    tokens: list[Token] = []
    for m in _TOKEN_RE.finditer(text):
        raw = m.group(0)
        if m.group("date"):
            tokens.append(Token(raw, raw, raw, "date"))
        elif m.group("number"):
            digits = raw.rstrip("kKmM").replace(",", "")
            value = float(digits)
            suffix = (m.group("suffix") or "").lower()
            value *= {"k": 1_000, "m": 1_000_000}.get(suffix, 1)
            tokens.append(Token(raw, raw.lower(), raw.lower(), "number", value))
        else:
            word = raw.split("'")[0] if raw.lower().endswith("'s") else raw.replace("'", "")
            if not word:
                continue
            low = word.lower()
            if low in NUMBER_WORDS:
                tokens.append(Token(raw, low, low, "number", float(NUMBER_WORDS[low])))
            else:
                tokens.append(Token(raw, low, stem(low), "word"))
    return tokens


def stems(text: str) -> tuple[str, ...]:
    """The stems of a text's words and numbers, in order."""
    return tuple(t.stem for t in tokenize(text))


def split_identifier(name: str) -> list[str]:
    """`order_date` → [order, date]; `unitPrice` → [unit, price]; lower-case words."""
    words: list[str] = []
    for part in re.split(r"[^0-9A-Za-z]+", name):
        words.extend(w.lower() for w in _CAMEL_RE.findall(part))
    return [w for w in words if w]


def identifier_stems(name: str) -> tuple[str, ...]:
    return tuple(stem(w) for w in split_identifier(name))


def content_stems(text: str) -> set[str]:
    """The non-stopword stems of a text (for description and similarity matching)."""
    return {t.stem for t in tokenize(text) if t.kind == "word" and t.low not in STOPWORDS and t.stem not in STOPWORDS}


def format_number(value: float) -> str:
    """`100.0` → `100`, `2.5` → `2.5` (a SQL numeric literal)."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))
