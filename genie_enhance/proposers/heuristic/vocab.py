"""Which question phrases the current space already explains, and what they point at.

A phrase is explained when it is a table name, a column name (or one word of a multi-word column name), a column
synonym, a snippet's display name / synonym / alias or a text-instruction definition term. Descriptions do not
count: they are prose, weaker than names everywhere. Excluded columns are invisible. The proposer uses this to
find the *unexplained* words of a failing question, which are the business terms the space has to learn.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from genie_enhance.core.catalog import Catalog
from genie_enhance.proposers.heuristic.terms import STOPWORDS
from genie_enhance.space.lines import join_lines
from genie_enhance.space.model import SerializedSpace
from genie_enhance.words import Token, identifier_stems, stems

_DEFINITION = re.compile(
    r"^\s*(?:[-*\u2022]|\d+[.)])?\s*[\"'`\u201c]?(?P<term>[A-Za-z][A-Za-z0-9 \-/]{0,60}?)[\"'`\u201d]?\s*"
    r"(?:\bmeans\b|\bis defined as\b|(?<![<>!=])=(?!=))",
    re.IGNORECASE,
)
# strength of a phrase source: configured vocabulary beats names, names beat single words of names
STRONG, NAME, WORD = 3, 2, 1


@dataclass(frozen=True)
class Target:
    """What a phrase points at. kind: table | column | measure | filter | expression | definition."""

    kind: str
    table: str = ""
    column: str = ""
    name: str = ""


@dataclass
class Match:
    start: int
    end: int
    strength: int
    targets: list[Target]


@dataclass
class SpaceVocabulary:
    phrases: dict[tuple[str, ...], dict[Target, int]] = field(default_factory=dict)

    def add(self, words: tuple[str, ...], target: Target, strength: int) -> None:
        if not words or all(w in STOPWORDS for w in words):
            return
        slot = self.phrases.setdefault(words, {})
        slot[target] = max(strength, slot.get(target, 0))

    def lookup(self, words: tuple[str, ...]) -> list[Target]:
        return sorted(self.phrases.get(words, {}), key=lambda t: (t.kind, t.table, t.column, t.name))

    def matches(self, tokens: list[Token]) -> list[Match]:
        """Greedy phrase matches: longer first, then stronger, then earlier (how a text-to-SQL engine reads)."""
        words = [t.stem for t in tokens]
        found = []
        longest = max((len(p) for p in self.phrases), default=0)
        for i in range(len(words)):
            for n in range(1, min(longest, len(words) - i) + 1):
                slot = self.phrases.get(tuple(words[i : i + n]))
                if slot:
                    strength = max(slot.values())
                    found.append(Match(i, i + n, strength, [t for t, s in slot.items() if s == strength]))
        chosen: list[Match] = []
        taken: set[int] = set()
        for m in sorted(found, key=lambda m: (-(m.end - m.start), -m.strength, m.start)):
            if not taken.intersection(range(m.start, m.end)):
                chosen.append(m)
                taken.update(range(m.start, m.end))
        return sorted(chosen, key=lambda m: m.start)

    def explained(self, tokens: list[Token]) -> set[int]:
        return {i for m in self.matches(tokens) for i in range(m.start, m.end)}

    def conflicts(self, phrase: str, target: Target) -> list[Target]:
        """Configured meanings of `phrase` other than `target` (teaching it `target` too would make it ambiguous)."""
        slot = self.phrases.get(stems(phrase), {})
        return [t for t, strength in slot.items() if strength == STRONG and t != target]

    def match_at(self, tokens: list[Token], pos: int) -> Match | None:
        return next((m for m in self.matches(tokens) if m.start <= pos < m.end), None)


def definition_terms(space: SerializedSpace) -> list[str]:
    """Terms the text instruction defines (`<term> means <sql>`, `<term> = <sql>`, `<term> is defined as`)."""
    terms = []
    for entry in space.instructions.text_instructions:
        for line in join_lines(entry.content).splitlines():
            m = _DEFINITION.match(line)
            if m:
                terms.append(m.group("term").strip())
    return terms


def build_vocabulary(space: SerializedSpace, catalog: Catalog, *, configured: bool = True) -> SpaceVocabulary:
    """The phrase index of a space against the catalog's columns; `configured=False` indexes table and column names
    only (the schema's own words, which fixes never change: phrases chosen against them stay stable)."""
    vocab = SpaceVocabulary()
    for source in space.all_tables():
        key = source.identifier.lower()
        short = key.rsplit(".", 1)[-1]
        table = Target("table", key)
        vocab.add(identifier_stems(short), table, NAME)
        for word in identifier_stems(short):
            vocab.add((word,), table, WORD)
        for name in catalog.columns(key) or {c.column_name.lower(): "" for c in source.column_configs}:
            config = source.column(name)
            if config is not None and config.exclude:
                continue
            column = Target("column", key, name)
            vocab.add(identifier_stems(name), column, NAME)
            for word in identifier_stems(name):
                if not word.isdigit():
                    vocab.add((word,), column, WORD)
            for synonym in (config.synonyms or []) if config is not None and configured else []:
                vocab.add(stems(synonym), column, STRONG)
    if not configured:
        return vocab
    snippets = space.instructions.sql_snippets
    for kind, items in (("measure", snippets.measures), ("filter", snippets.filters), ("expression", snippets.expressions)):
        for item in items:
            alias = getattr(item, "alias", None) or ""
            target = Target(kind, name=alias or item.display_name or "")
            for text in [item.display_name, *(item.synonyms or [])]:
                if text:
                    vocab.add(stems(text), target, STRONG)
            if alias:
                vocab.add(identifier_stems(alias), target, STRONG)
    for term in definition_terms(space):
        vocab.add(stems(term), Target("definition", name=term), STRONG)
    return vocab
