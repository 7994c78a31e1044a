"""The one benchmark model every source (markdown, JSON, a space's own benchmarks) produces.

Why a stable id from the question text: the train/holdout split and the tracking store key on the id, so a question
written without one must get the same id on every run and machine, and a cosmetic edit (case, spacing) must not
turn it into a "new" question.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from genie_enhance.space.ids import ID_PATTERN, stable_id

#: Namespace mixed into text-derived ids; the same one `space.normalize` uses for space benchmarks.
ID_NAMESPACE = "benchmark"


def normalize_question(text: str) -> str:
    """The text an id is derived from: Unicode NFC, lower-cased, whitespace runs collapsed, trimmed."""
    return " ".join(unicodedata.normalize("NFC", text).lower().split())


def question_id(question: str) -> str:
    """The stable 32-hex id of an English question (same normalized text ⇒ same id)."""
    return stable_id(ID_NAMESPACE, normalize_question(question))


class Benchmark(BaseModel):
    """One benchmark question with its known-good SQL.

    `source` says where it came from: `<file>:<line>` for markdown/JSON files (line of the section heading or the
    JSON item), `space:<name>#benchmarks.questions[<i>]` for a space's own benchmarks. `translations` maps a
    language code to a phrasing and always contains `"ko"` when `question_ko` is set (and vice versa).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    question: str
    question_ko: str | None = None
    translations: dict[str, str] = Field(default_factory=dict)
    expected_sql: str
    source: str
    tags: list[str] = Field(default_factory=list)
    title: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _fill_id_and_korean(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        question = data.get("question")
        if not data.get("id") and isinstance(question, str) and question.strip():
            data["id"] = question_id(question)
        raw = data.get("translations") or {}
        if not isinstance(raw, dict):
            return data
        translations = {str(k).lower(): v for k, v in raw.items()}
        korean = data.get("question_ko")
        korean = (korean.strip() or None) if isinstance(korean, str) else korean
        ko_text = translations.get("ko")
        if korean and isinstance(ko_text, str) and ko_text.strip() and ko_text.strip() != korean:
            raise ValueError("question_ko and translations['ko'] differ")
        if korean:
            translations["ko"] = korean
        elif ko_text:
            korean = ko_text.strip() if isinstance(ko_text, str) else ko_text
        data["question_ko"] = korean
        data["translations"] = translations
        return data

    @field_validator("id")
    @classmethod
    def _check_id(cls, value: str) -> str:
        if not ID_PATTERN.match(value):
            raise ValueError(f"id must be 32 lowercase hex characters, got {value!r}")
        return value

    @field_validator("question", "expected_sql")
    @classmethod
    def _non_empty(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("must not be empty")
        return value

    @field_validator("translations")
    @classmethod
    def _non_empty_translations(cls, value: dict[str, str]) -> dict[str, str]:
        cleaned = {lang: text.strip() for lang, text in value.items()}
        empty = [lang for lang, text in cleaned.items() if not text]
        if empty:
            raise ValueError(f"empty translation for {', '.join(empty)}")
        return cleaned

    @field_validator("tags")
    @classmethod
    def _clean_tags(cls, value: list[str]) -> list[str]:
        out: list[str] = []
        for tag in (t.strip() for t in value):
            if tag and tag not in out:
                out.append(tag)
        return out
