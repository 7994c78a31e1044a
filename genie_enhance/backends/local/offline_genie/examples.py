"""Example SQL reuse: a question close enough to an example question gets that example's SQL, adapted.

Literals are the parts of a question that may differ between two askings of the same question: numbers, years,
ISO dates, stored values (entity matching) and words the example SQL holds as string literals. The two questions
are aligned word by word (difflib); each literal of the example question is paired with the words that replace it.
Similarity is the Jaccard overlap of the remaining content words (literal positions count as equal), with
"per/each/every/across" read as "by" and "how many"/"how much" kept as count/sum. The example is reused when
similarity ≥ `THRESHOLD` and every literal of the asked question found
a slot in the example (otherwise the example answers a different question).

Adapting: `:parameters` are bound from the aligned literal when the example question shows the parameter's
default value, else from a literal of the parameter's type, else their default; other SQL literals equal to an
example-question literal are swapped for the asked question's literal. A swapped string takes the stored value
when entity matching knows it, else the words exactly as the user typed them.
"""

from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher

from sqlglot import exp

from genie_enhance.backends.local.offline_genie.mentions import find_mentions
from genie_enhance.backends.local.offline_genie.text import STOPWORDS, format_number
from genie_enhance.backends.local.offline_genie.vocabulary import Vocabulary
from genie_enhance.core.required import required
from genie_enhance.errors import ReadOnlySqlError, SqlParseError
from genie_enhance.space.lines import join_lines
from genie_enhance.space.model import SerializedSpace, SqlParameter
from genie_enhance.sql import DIALECT, ensure_read_only
from genie_enhance.words import Token, tokenize

THRESHOLD = 0.75
_BY = {"per", "each", "every", "across", "by"}
_HOW = {"many": "count", "much": "sum"}
_NUMERIC_TYPES = ("INT", "LONG", "DECIMAL", "NUMERIC", "DOUBLE", "FLOAT", "BIGINT", "SMALLINT", "NUMBER")


@dataclass
class Slot:
    """A literal of a question: tokens `start:end`, its kind (number | date | string) and its text/value."""

    start: int
    end: int
    kind: str
    text: str
    value: str | float | None  # a number's value, else the text


@dataclass
class Example:
    question: str
    tokens: list[Token]
    slots: list[Slot]
    tree: exp.Expr
    parameters: list[SqlParameter]


def _string_literals(tree: exp.Expr) -> list[str]:
    return [lit.this for lit in tree.find_all(exp.Literal) if lit.is_string and lit.this.strip()]


def _slots(tokens: list[Token], vocab: Vocabulary, strings: list[str]) -> list[Slot]:
    """Number/date tokens, entity values, and (for examples) the SQL's string literals as written in the question."""
    slots: list[Slot] = []
    taken: set[int] = set()
    lows = [t.low for t in tokens]
    for text in sorted(strings, key=len, reverse=True):
        words = [t.low for t in tokenize(text)]
        for i in range(len(lows) - len(words) + 1):
            if words and lows[i : i + len(words)] == words and not taken.intersection(range(i, i + len(words))):
                slots.append(Slot(i, i + len(words), "string", text, text))
                taken.update(range(i, i + len(words)))
    for m in find_mentions(tokens, vocab):
        if m.kinds == {"value"} and not taken.intersection(range(m.start, m.end)):
            value = required(m.targets[0].value, "a value target's value")
            slots.append(Slot(m.start, m.end, "string", value, value))
            taken.update(range(m.start, m.end))
    for i, t in enumerate(tokens):
        if i not in taken and t.kind in ("number", "date"):
            slots.append(Slot(i, i + 1, t.kind, t.raw, t.number if t.kind == "number" else t.raw))
    return sorted(slots, key=lambda s: s.start)


def compile_examples(space: SerializedSpace, vocab: Vocabulary) -> list[Example]:
    """Examples whose SQL is a single read-only query (others could never be reused)."""
    found: list[Example] = []
    for item in space.instructions.example_question_sqls:
        try:
            tree = ensure_read_only(join_lines(item.sql))
        except (ReadOnlySqlError, SqlParseError):
            continue
        question = join_lines(item.question).strip()
        tokens = tokenize(question)
        if tokens:
            slots = _slots(tokens, vocab, _string_literals(tree))
            found.append(Example(question, tokens, slots, tree, list(item.parameters)))
    return found


def _content(tokens: list[Token], skip: set[int]) -> set[str]:
    """Content stems, with "per/each/…" as "by" and "how many"/"how much" kept (as count/sum): a count and a
    listing of the same things are different questions."""
    words = {"by" if t.low in _BY else t.stem for i, t in enumerate(tokens) if i not in skip}
    lows = [t.low for t in tokens]
    for i, low in enumerate(lows[:-1]):
        if low == "how" and lows[i + 1] in _HOW:
            words.add(_HOW[lows[i + 1]])
    return {w for w in words if w == "by" or w not in STOPWORDS}


@dataclass
class Match:
    example: Example
    similarity: float
    pairs: list[tuple[Slot, Slot | None]]  # example slot → the asked question's literal (None: unchanged)
    extra: list[Slot]  # literals of the asked question left for parameters the example question does not show


def _align(ex: Example, tokens: list[Token], asked: list[Slot]) -> Match | None:
    ops = SequenceMatcher(a=[t.low for t in ex.tokens], b=[t.low for t in tokens], autojunk=False).get_opcodes()
    pairs: list[tuple[Slot, Slot | None]] = []
    bound: set[int] = set()
    for slot in ex.slots:
        op = next((o for o in ops if o[1] <= slot.start < o[2]), None)
        if op is None or op[0] == "equal":
            same = next((s for s in asked if s.start == op[3] + slot.start - op[1]), None) if op else None
            pairs.append((slot, None))
            if same is not None:
                bound.add(same.start)
            continue
        if op[0] != "replace":
            return None  # the literal was dropped: a different question
        span = range(op[3], op[4])
        cand = next(
            (s for s in asked if s.start in span and s.start not in bound and slot.kind in (s.kind, "string")), None
        )
        if cand is None and slot.kind == "string" and 0 < len(span) <= slot.end - slot.start + 1:
            raw = " ".join(t.raw for t in tokens[op[3] : op[4]])
            cand = Slot(op[3], op[4], "string", raw, raw)
        if cand is None:
            return None
        bound.add(cand.start)
        pairs.append((slot, cand))
    unbound = [s for s in asked if s.start not in bound]
    if len(unbound) > len(_open_parameters(ex)):
        return None  # a literal of the question has no place in the example
    ex_skip = {i for s in ex.slots for i in range(s.start, s.end)}
    q_skip = {i for s in [*(p for _, p in pairs if p), *asked] for i in range(s.start, s.end)}
    a, b = _content(ex.tokens, ex_skip), _content(tokens, q_skip)
    sim = len(a & b) / len(a | b) if a | b else 0.0
    return Match(ex, sim, pairs, unbound)


def _default(p: SqlParameter) -> str | None:
    values = p.default_value.values if p.default_value else []
    return str(values[0]) if values else None


def _open_parameters(ex: Example) -> list[SqlParameter]:
    """Parameters whose default value the example question does not show (they bind by type)."""
    shown = {s.text.lower() for s in ex.slots}
    return [p for p in ex.parameters if (_default(p) or "").lower() not in shown or _default(p) is None]


def find_example(question: str, examples: list[Example], vocab: Vocabulary) -> Match | None:
    """The most similar reusable example (first in space order on ties), if any reaches the threshold."""
    tokens = tokenize(question)
    asked = _slots(tokens, vocab, [])
    best: Match | None = None
    for ex in examples:
        match = _align(ex, tokens, asked)
        if match is not None and match.similarity >= THRESHOLD and (best is None or match.similarity > best.similarity):
            best = match
    return best


def _literal(slot: Slot, numeric: bool) -> exp.Expr:
    if slot.kind == "number" and numeric:
        return exp.Literal.number(format_number(float(slot.value if slot.value is not None else slot.text)))
    return exp.Literal.string(str(slot.value) if slot.kind != "number" else slot.text)


def _param_value(p: SqlParameter, match: Match, used: set[int]) -> exp.Expr | None:
    """A parameter's value: the asked literal aligned with its default in the example question, else an asked
    literal of its type that no slot took, else its default value."""
    numeric = (p.type_hint or "").upper().startswith(_NUMERIC_TYPES)
    default = _default(p)
    for ex_slot, asked in match.pairs:
        if default is not None and ex_slot.text.lower() == default.lower():
            chosen = asked or ex_slot
            used.add(id(chosen))
            return _literal(chosen, numeric)
    for asked in match.extra:
        if id(asked) not in used and (asked.kind == "number") == numeric:
            used.add(id(asked))
            return _literal(asked, numeric)
    if default is not None:
        return exp.Literal.number(default) if numeric else exp.Literal.string(default)
    return None


def adapt_sql(match: Match) -> str | None:
    """The example's SQL with parameters bound and changed literals swapped; None if a parameter stays unbound."""
    tree = match.example.tree.copy()
    used: set[int] = set()
    values: dict[str, exp.Expr] = {}
    for p in match.example.parameters:
        value = _param_value(p, match, used)
        if value is None:
            return None
        values[p.name.lower()] = value
    for node in list(tree.find_all(exp.Placeholder)):
        name = (node.name or "").lower()
        if name not in values:
            return None
        node.replace(values[name].copy())
    for ex_slot, asked in match.pairs:
        if asked is None or id(asked) in used:
            continue
        for lit in list(tree.find_all(exp.Literal)):
            if _same_literal(lit, ex_slot):
                lit.replace(_literal(asked, not lit.is_string))
    return tree.sql(dialect=DIALECT)


def _same_literal(lit: exp.Literal, slot: Slot) -> bool:
    if lit.is_string:
        return lit.this.lower() == slot.text.lower() or (slot.kind == "number" and lit.this == slot.text)
    if slot.kind != "number":
        return False
    try:
        return float(lit.this) == float(slot.value if slot.value is not None else slot.text)
    except ValueError:
        return False


__all__ = ["Example", "Match", "THRESHOLD", "adapt_sql", "compile_examples", "find_example"]
