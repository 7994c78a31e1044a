"""The compiled vocabulary of one space: which question phrases point at which tables, columns, snippets and values.

Built from the space config, the warehouse schema (`Warehouse.catalog`) and, for columns with entity matching on,
their distinct values (`Warehouse.distinct_values`: the ≤1024 most frequent per column, values over 127 characters
skipped — Genie's limits). It never sees benchmark SQL (the space's `benchmarks` section is ignored).

Phrase priorities (higher wins when two phrases cover the same words; a longer phrase always wins first):
snippet or instruction term (explicitly configured business vocabulary) > column synonym > stored value (entity
matching) > full column name > table name > one word of a multi-word column name > one word of a table name.
Description words are weaker still and are matched separately, only on words nothing else explains
(see `mentions.py`). Format assistance without entity matching indexes no values: it only shows Genie the format
of a few sample values, which does not let it place an arbitrary value.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from genie_enhance.backends.local.offline_genie.joins import JoinGraph, register_aliases
from genie_enhance.backends.local.offline_genie.schema import ColumnInfo, TableInfo, build_tables
from genie_enhance.backends.local.offline_genie.snippets import Snippet, TableResolver, load_definitions, load_snippets
from genie_enhance.backends.local.offline_genie.text import STOPWORDS
from genie_enhance.core.protocols import Warehouse
from genie_enhance.core.required import required
from genie_enhance.space.model import SerializedSpace
from genie_enhance.space.normalize import upgrade_to_v2
from genie_enhance.words import stems

MAX_VALUES = 1024
MAX_VALUE_CHARS = 127

SNIPPET, SYNONYM, VALUE, COLUMN, TABLE, COLUMN_WORD, TABLE_WORD, DESCRIPTION = 3.4, 3.3, 3.2, 3.1, 3.0, 2.1, 2.0, 1.0


@dataclass(frozen=True, eq=False)
class Target:
    """What a phrase points at. `kind`: table | column | measure | filter | expression | value."""

    kind: str
    table: TableInfo | None = None
    column: ColumnInfo | None = None
    snippet: Snippet | None = None
    value: str | None = None

    # the reference its kind guarantees: a column target's column, a table target's table, a snippet target's snippet
    @property
    def col(self) -> ColumnInfo:
        return required(self.column, f"the column of {self!r}")

    @property
    def tbl(self) -> TableInfo:
        return required(self.table, f"the table of {self!r}")

    @property
    def snip(self) -> Snippet:
        return required(self.snippet, f"the snippet of {self!r}")

    def __repr__(self) -> str:
        ref = self.snippet or self.column or self.table
        return f"{self.kind}:{ref!r}" + (f"={self.value!r}" if self.value is not None else "")


@dataclass(frozen=True)
class Phrase:
    words: tuple[str, ...]
    target: Target
    priority: float


@dataclass
class Vocabulary:
    tables: dict[str, TableInfo]
    snippets: list[Snippet]
    joins: JoinGraph
    phrases: dict[str, list[Phrase]] = field(default_factory=dict)  # first word → phrases

    def add(self, words: tuple[str, ...], target: Target, priority: float) -> None:
        if not words or all(w in STOPWORDS for w in words):
            return
        self.phrases.setdefault(words[0], []).append(Phrase(words, target, priority))

    def columns(self) -> list[ColumnInfo]:
        return [c for t in self.tables.values() for c in t.columns.values()]

    def table_of(self, column: ColumnInfo) -> TableInfo:
        return self.tables[column.table_key]

    def description_candidates(self, word: str) -> list[Target]:
        """Columns, then tables, whose description contains `word` (a stem)."""
        found = [Target("column", self.tables[c.table_key], c) for c in self.columns() if word in c.description_stems]
        found += [Target("table", t) for t in self.tables.values() if word in t.description_stems]
        return found


def _index_tables(vocab: Vocabulary) -> None:
    for table in vocab.tables.values():
        target = Target("table", table)
        vocab.add(table.name_stems, target, TABLE)
        if len(table.name_stems) > 1:
            for word in table.name_stems:
                vocab.add((word,), target, TABLE_WORD)
        for col in table.columns.values():
            ctarget = Target("column", table, col)
            vocab.add(col.name_stems, ctarget, COLUMN)
            for syn in col.synonyms:
                vocab.add(stems(syn), ctarget, SYNONYM)
            if len(col.name_stems) > 1:
                for word in col.name_stems:
                    if not word.isdigit():
                        vocab.add((word,), ctarget, COLUMN_WORD)


def _index_snippets(vocab: Vocabulary) -> None:
    for snippet in vocab.snippets:
        table = vocab.tables[snippet.tables[0]]
        for words in snippet.phrases:
            vocab.add(words, Target(snippet.kind, table, snippet=snippet), SNIPPET)
        for col in snippet.columns:
            col.has_snippet = True


def _index_values(vocab: Vocabulary, warehouse: Warehouse) -> None:
    for table in vocab.tables.values():
        for col in table.columns.values():
            if not col.entity_matching or col.category not in ("string", "other"):
                continue
            for value in warehouse.distinct_values(table.identifier, col.name, MAX_VALUES):
                if value is None or len(value) > MAX_VALUE_CHARS:
                    continue
                words = stems(value)
                if words and not all(w.replace(".", "").isdigit() for w in words):
                    vocab.add(words, Target("value", table, col, value=value), VALUE)


def build_vocabulary(space: SerializedSpace, warehouse: Warehouse) -> Vocabulary:
    """Compile a space against a warehouse. Tables of the space that the warehouse lacks are left out."""
    space = upgrade_to_v2(space)
    identifiers = [t.identifier for t in space.all_tables()]
    catalog = warehouse.catalog(identifiers)
    tables = build_tables(space, catalog.tables)
    register_aliases(space, tables)
    resolver = TableResolver(tables)
    snippets = load_snippets(space, resolver) + load_definitions(space, resolver)
    vocab = Vocabulary(tables, snippets, JoinGraph(space, tables))
    _index_tables(vocab)
    _index_snippets(vocab)
    _index_values(vocab, warehouse)
    return vocab
