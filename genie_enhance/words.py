"""The one tokenizer shared by the offline Genie and the heuristic proposer: question words, identifier words, stems.

Why one: a phrase the proposer teaches (a synonym, a snippet name) must be read the same way when the offline Genie
matches questions against it, and a column name must split into the same words on both sides; two tokenizers
drift apart (`SKUCode` was `sku code` to one and `skucode` to the other). The rules are deliberately simple and
symmetric (the same functions run on the schema and on the question), which matters more than linguistic accuracy.
Letters of any script are words (Korean questions and identifiers included); digits never join a word.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "fifty": 50, "hundred": 100,
}

_TOKEN_RE = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})"
    r"|(?P<number>\d[\d,]*(?:\.\d+)?(?P<suffix>[kKmM](?![^\W\d_]))?)"
    r"|(?P<word>[^\W\d_]+(?:'[^\W\d_]+)*)",
)
_SCALE = {"k": 1_000, "m": 1_000_000}


def stem(word: str) -> str:
    """A naive singular of a word, lower-cased: categories→category, statuses→status, boxes→box, safaris→safari,
    orders→order (analysis, axis and short words such as "this" stay)."""
    w = word.lower()
    if len(w) <= 3 or not w.isalpha():
        return w
    if w.endswith("ies") and len(w) > 4:
        return w[:-3] + "y"
    if w.endswith(("sses", "uses", "ches", "shes", "xes", "zes")):
        return w[:-2]
    if w.endswith(("ss", "us", "sis", "xis")) or (w.endswith("is") and len(w) <= 5):
        return w
    return w[:-1] if w.endswith("s") else w


@dataclass(frozen=True)
class Token:
    """One word, number or ISO date of a text. `raw` as written, `text` without a possessive 's, `low` and `stem`
    for matching, `start:end` the span of `text` in the source; numbers (`$1,200`, `1.5k`, `five`) carry `number`."""

    raw: str
    text: str
    low: str
    stem: str
    kind: str  # "word" | "number" | "date"
    start: int
    end: int
    number: float | None = None

    @property
    def is_year(self) -> bool:
        if self.kind != "number" or self.number is None or "," in self.raw or "." in self.raw:
            return False
        return self.number.is_integer() and 1900 <= self.number <= 2100


def _number(raw: str, suffix: str | None) -> float:
    value = float(raw.rstrip("kKmM").replace(",", ""))
    return value * _SCALE.get((suffix or "").lower(), 1)


def tokenize(text: str) -> list[Token]:
    """Words (possessive 's dropped, other apostrophes removed: "customer's" → customer, "don't" → dont), numbers
    (`$1,200`, `1.5k`, number words such as "five") and ISO dates, in order; punctuation and symbols dropped."""
    tokens: list[Token] = []
    for m in _TOKEN_RE.finditer(text):
        raw, start = m.group(0), m.start()
        if m.group("date"):
            tokens.append(Token(raw, raw, raw, raw, "date", start, m.end()))
        elif m.group("number"):
            low = raw.lower()
            tokens.append(Token(raw, raw, low, low, "number", start, m.end(), _number(raw, m.group("suffix"))))
        else:
            word = raw[:-2] if raw.lower().endswith("'s") else raw
            low = word.lower().replace("'", "")
            end = start + len(word)
            if low in NUMBER_WORDS:
                tokens.append(Token(raw, word, low, low, "number", start, end, float(NUMBER_WORDS[low])))
            else:
                tokens.append(Token(raw, word, low, stem(low), "word", start, end))
    return tokens


def stems(text: str) -> tuple[str, ...]:
    """The stems of a text's words and numbers, in order."""
    return tuple(t.stem for t in tokenize(text))


def _char_kind(ch: str) -> str:
    """`digit`, `upper`, `lower` (lower case and caseless scripts such as Hangul), or "" for a separator."""
    if ch.isdecimal():
        return "digit"
    if ch.isupper():
        return "upper"
    return "lower" if ch.isalpha() else ""


def _boundary(prev: str, kind: str, following: str) -> bool:
    """A word ends between two characters: letters meet digits, `aB` (camelCase), `ABc` (an acronym before a word)."""
    if "digit" in (prev, kind):
        return prev != kind
    return (prev, kind) == ("lower", "upper") or (prev, kind, following) == ("upper", "upper", "lower")


def split_identifier(name: str) -> list[str]:
    """The lower-case words of a schema name: `order_date` → order, date; `unitPrice` → unit, price; `SKUCode` →
    sku, code; `order2024` → order, 2024; `매출_금액` → 매출, 금액."""
    words: list[str] = []
    current = ""
    kinds = [_char_kind(ch) for ch in name]
    for i, (ch, kind) in enumerate(zip(name, kinds)):
        if not kind:
            words.append(current)
            current = ""
            continue
        following = kinds[i + 1] if i + 1 < len(name) else ""
        if current and _boundary(kinds[i - 1], kind, following):
            words.append(current)
            current = ""
        current += ch
    words.append(current)
    return [w.lower() for w in words if w]


def identifier_stems(name: str) -> tuple[str, ...]:
    """The stems of a schema name's words (`order_items` → order, item)."""
    return tuple(stem(w) for w in split_identifier(name))
