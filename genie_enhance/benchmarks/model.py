"""The one benchmark model every source (markdown, JSON, a space's own benchmarks) produces.

Why a stable id from the question text: the train/holdout split and the tracking store key on the id, so a question
written without one must get the same id on every run and machine, and a cosmetic edit (case, spacing) must not
turn it into a "new" question.

Why labels: the files users already keep name their questions (`"id": "kpi_001"`). Such a name is not a Genie id
(32 lowercase hex), so it is kept as the question's `label`, shown next to the question everywhere, and the id is
derived from it — from the label, not the text, so rewording a labelled question keeps its id (and its place in
the split), and in a namespace of its own, so it never equals a text-derived id.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, JsonValue, field_validator, model_validator

from genie_enhance.space.ids import ID_PATTERN, stable_id

#: Namespace mixed into text-derived ids; the same one `space.normalize` uses for space benchmarks.
ID_NAMESPACE = "benchmark"
#: Namespace of label-derived ids (distinct from `ID_NAMESPACE`: a label never yields a text-derived id).
LABEL_NAMESPACE = "benchmark-label"
_HANGUL = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")


def normalize_question(text: str) -> str:
    """The text an id is derived from: Unicode NFC, lower-cased, whitespace runs collapsed, trimmed."""
    return " ".join(unicodedata.normalize("NFC", text).lower().split())


def question_id(question: str) -> str:
    """The stable 32-hex id of an English question (same normalized text ⇒ same id)."""
    return stable_id(ID_NAMESPACE, normalize_question(question))


def normalize_label(label: str) -> str:
    """A label as kept and hashed: Unicode NFC, trimmed (case is kept: `KPI_1` and `kpi_1` are two labels)."""
    return unicodedata.normalize("NFC", label).strip()


def label_id(label: str) -> str:
    """The stable 32-hex id of a labelled question (same label ⇒ same id, on every run and machine)."""
    return stable_id(LABEL_NAMESPACE, normalize_label(label))


def text_language(text: str) -> str:
    """`"ko"` for text in Hangul, else `"en"` (what a question without a language marker is assumed to be)."""
    return "ko" if _HANGUL.search(text) else "en"


class Benchmark(BaseModel):
    """One benchmark question with its known-good SQL.

    `source` says where it came from: `<file>:<line>` for markdown/JSON files (line of the section heading or the
    JSON item), `space:<name>#benchmarks.questions[<i>]` for a space's own benchmarks. `translations` maps a
    language code to a phrasing and always contains `"ko"` when `question_ko` is set (and vice versa). `label` is
    the user's own name for the question (a non-hex id in the file); without an explicit id, the id is derived
    from the label, else from the question text. `metadata` keeps the fields a source has that we do not model.
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
    label: str | None = None
    metadata: dict[str, JsonValue] = Field(default_factory=dict)

    @property
    def languages(self) -> list[str]:
        """The languages the question is written in: the main question's (by script), then its translations'."""
        return list(dict.fromkeys([text_language(self.question), *self.translations]))

    @model_validator(mode="before")
    @classmethod
    def _fill_id_and_korean(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        question, label = data.get("question"), data.get("label")
        if isinstance(label, str):
            label = data["label"] = normalize_label(label) or None
        if not data.get("id") and label:
            data["id"] = label_id(label)
        elif not data.get("id") and isinstance(question, str) and question.strip():
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
