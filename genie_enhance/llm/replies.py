"""Turn a model's reply text into a validated pydantic value, or a short reason a model can act on to repair it."""

from __future__ import annotations

import json
import re
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

T = TypeVar("T", bound=BaseModel)

_FENCE = re.compile(r"```[ \t]*(?:json)?[ \t]*\n(.*?)\n?```", re.DOTALL | re.IGNORECASE)
_MAX_PROBLEMS = 8


def strip_fences(text: str) -> str:
    """The JSON inside the first ```json fenced block, or the text itself when there is no fence."""
    match = _FENCE.search(text)
    return (match.group(1) if match else text).strip()


def _load_json(text: str) -> Any:
    """`json.loads`, retried on the outermost `{...}` span when the model wrapped the object in prose."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        start, end = text.find("{"), text.rfind("}")
        if 0 <= start < end and (start > 0 or end < len(text) - 1):
            try:
                return json.loads(text[start : end + 1])
            except json.JSONDecodeError:
                pass
        raise


def describe_validation_error(error: ValidationError) -> str:
    """One `path: message` per problem (at most a few), e.g. `fixes.0.table: Field required`."""
    problems = []
    for item in error.errors()[:_MAX_PROBLEMS]:
        where = ".".join(str(p) for p in item["loc"]) or "(root)"
        problems.append(f"{where}: {item['msg']}")
    more = len(error.errors()) - _MAX_PROBLEMS
    if more > 0:
        problems.append(f"... and {more} more")
    return "; ".join(problems)


def parse_reply(content: str | None, schema: type[T]) -> tuple[T | None, str | None]:
    """(value, None) for a valid reply, (None, reason) otherwise. Never raises for bad replies."""
    if content is None or not content.strip():
        return None, "the reply was empty"
    body = strip_fences(content)
    try:
        data = _load_json(body)
    except json.JSONDecodeError as exc:
        return None, f"the reply is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
    if not isinstance(data, dict):
        return None, f"the reply must be one JSON object, got {type(data).__name__}"
    try:
        return schema.model_validate(data), None
    except ValidationError as exc:
        return None, f"the JSON does not match the {schema.__name__} schema: {describe_validation_error(exc)}"


def schema_json(schema: type[BaseModel]) -> str:
    """The JSON schema the model must follow, as indented text for a prompt."""
    return json.dumps(schema.model_json_schema(), indent=2, ensure_ascii=False)
