"""The LLM proposer's reply: an envelope validated as a whole, and fix items checked one at a time.

Why two levels: a model that gets one of eight fixes wrong should still deliver the other seven. So the envelope
(`{"fixes": [...], "notes": "..."}`) is what `LLMClient` validates (and repairs once), while each item — the fix
JSON of `FixAdapter` plus `rationale` and `question_ids` — is parsed here on its own; a bad item becomes a
`Rejection` with the reason instead of failing the reply.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from genie_enhance.errors import FixError
from genie_enhance.llm.replies import describe_validation_error
from genie_enhance.space.fixes import Fix, fix_json_schema, parse_fix

META_FIELDS = ("rationale", "question_ids")
_META_SCHEMA: dict[str, Any] = {
    "rationale": {
        "type": "string", "minLength": 1,
        "description": "Why this fix makes Genie answer the failing questions correctly, citing the evidence.",
    },
    "question_ids": {
        "type": "array", "items": {"type": "string"}, "minItems": 1,
        "description": "Ids of the failing questions (as listed) this fix addresses.",
    },
}


def fix_item_schema() -> dict[str, Any]:
    """JSON schema of one reply item: every fix type of `fix_json_schema()` plus the required `rationale` and
    `question_ids` fields (added to each fix type, since those forbid unknown properties)."""
    schema = copy.deepcopy(fix_json_schema())
    defs = schema.get("$defs", {})
    for option in schema.get("oneOf", []):
        target = defs[option["$ref"].rsplit("/", 1)[-1]] if "$ref" in option else option
        target.setdefault("properties", {}).update(copy.deepcopy(_META_SCHEMA))
        target["required"] = [*target.get("required", []), *META_FIELDS]
    return schema


class ProposerReply(BaseModel):
    """The envelope the model must return. Items stay raw here: each is checked by `parse_item`."""

    model_config = ConfigDict(extra="ignore")

    fixes: list[Any] = Field(default_factory=list)
    notes: str = ""

    @classmethod
    def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """The schema shown to the model (also in the client's repair prompt), with the real item schema."""
        item = fix_item_schema()
        defs = item.pop("$defs", {})
        return {
            "title": cls.__name__,
            "type": "object",
            "properties": {
                "fixes": {"type": "array", "items": item},
                "notes": {"type": "string", "description": "What you found, and why failures were left unfixed."},
            },
            "required": ["fixes", "notes"],
            "$defs": defs,
        }


class ItemMeta(BaseModel):
    """The non-fix part of a reply item."""

    model_config = ConfigDict(str_strip_whitespace=True)

    rationale: str = Field(min_length=1)
    question_ids: list[str] = Field(min_length=1)


@dataclass(frozen=True)
class ParsedItem:
    fix: Fix
    rationale: str
    question_ids: list[str]


@dataclass(frozen=True)
class Rejection:
    """A reply item (as the model wrote it) that was dropped, and why."""

    item: Any
    reason: str

    def as_tuple(self) -> tuple[Any, str]:
        return self.item, self.reason


def split_item(item: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(fix JSON, meta JSON). Also accepts `{"fix": {...}, "rationale": ..., "question_ids": [...]}`."""
    meta = {k: item[k] for k in META_FIELDS if k in item}
    nested = item.get("fix")
    if isinstance(nested, dict) and "type" not in item:
        return dict(nested), meta
    return {k: v for k, v in item.items() if k not in META_FIELDS}, meta


def parse_item(item: Any) -> ParsedItem | Rejection:
    """A typed fix with its rationale and target ids, or the reason the item cannot be used."""
    if not isinstance(item, dict):
        return Rejection(item, f"a fix item must be a JSON object, got {type(item).__name__}")
    fix_json, meta_json = split_item(item)
    try:
        meta = ItemMeta.model_validate(meta_json)
    except ValidationError as exc:
        return Rejection(item, f"invalid fix item: {describe_validation_error(exc)}")
    try:
        fix = parse_fix(fix_json)
    except FixError as exc:
        return Rejection(item, str(exc))
    ids = list(dict.fromkeys(q.strip() for q in meta.question_ids if q.strip()))
    if not ids:
        return Rejection(item, "invalid fix item: question_ids names no question")
    return ParsedItem(fix, meta.rationale, ids)
