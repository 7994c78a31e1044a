"""The field names of JSON benchmark items: ours, the other names existing files use for them, and what happens to
every other field (kept as tags and metadata, with one warning per file and field).

Why aliases: benchmark files written for other tools or by hand spell our fields their own way
(`korean_question`, `gold_sql`). A name is an alias only when it cannot mean anything else in a benchmark item;
`text`, `name` and `answer` are not aliases (a description, a title, a result?), so they stay unknown fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

#: Our item fields.
ITEM_FIELDS = ("id", "question", "question_ko", "translations", "expected_sql", "tags", "title")

#: Other spellings of our fields (matched case-insensitively), as data: alias → our field.
ALIASES: Mapping[str, str] = {
    "question_id": "id",
    "qid": "id",
    "question_en": "question",
    "english_question": "question",
    "nl_question": "question",
    "nl": "question",
    "korean_question": "question_ko",
    "question_korean": "question_ko",
    "ko_question": "question_ko",
    "question_kr": "question_ko",
    "sql": "expected_sql",
    "query": "expected_sql",
    "sql_query": "expected_sql",
    "expected_query": "expected_sql",
    "gold_sql": "expected_sql",
    "gold_query": "expected_sql",
    "answer_sql": "expected_sql",
    "ground_truth_sql": "expected_sql",
}

_TAG_TEXT_LIMIT = 80  # longer text (a note, a description) is kept as metadata only, not as a tag


def canonical_name(name: str) -> str | None:
    """Our field for an item key (`gold_sql` → `expected_sql`), or None for a field we do not model."""
    key = name.strip().lower()
    if key in ITEM_FIELDS:
        return key
    return ALIASES.get(key)


def _tag_value(value: object) -> str | None:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        text = value.strip()
        if text and "\n" not in text and len(text) <= _TAG_TEXT_LIMIT:
            return text
    return None


def field_tags(name: str, value: object) -> list[str] | None:
    """Tags `name:value` for an unknown field (one per element of a list), or None when the value is not tag-like
    (an object, long or multi-line text, null): it is then kept as metadata only."""
    values = value if isinstance(value, list) else [value]
    tags = [_tag_value(v) for v in values]
    if not values or any(t is None for t in tags):
        return None
    return [f"{name}:{t}" for t in tags]


@dataclass
class UnknownField:
    """Where an unknown field first appears in a file, in how many items, and whether it always made tags."""

    name: str
    first_where: str
    first_line: int | None
    items: int = 0
    tagged: int = 0  # items whose value made tags


@dataclass
class UnknownFields:
    """Unknown fields seen in one file, in order of first appearance (one warning each)."""

    fields: dict[str, UnknownField] = field(default_factory=dict)

    def add(self, name: str, where: str, line: int | None, tagged: bool) -> None:
        seen = self.fields.setdefault(name, UnknownField(name, where, line))
        seen.items += 1
        seen.tagged += tagged

    def warnings(self) -> list[tuple[int | None, str]]:
        """(line, message) per unknown field."""
        out = []
        for f in self.fields.values():
            if f.tagged == f.items:
                kept = f'tags "{f.name}:<value>" and metadata'
            elif f.tagged:
                kept = f'metadata (and tags "{f.name}:<value>" where the value is a number or short text)'
            else:
                kept = "metadata"
            count = "1 question" if f.items == 1 else f"{f.items} questions"
            out.append((f.first_line, f'unknown field "{f.name}" ({count}, first at {f.first_where}) kept as {kept}'))
        return out
