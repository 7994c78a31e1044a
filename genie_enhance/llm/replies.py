"""Turn a model's reply text into a validated pydantic value, or a short reason a model can act on to repair it.

A reply is read within limits (`ReplyLimits`: size, nesting depth, number length, valid Unicode), checked in one
linear scan *before* any JSON is decoded: Python's decoder raises on deep nesting (RecursionError) and on integers
beyond 4300 digits (ValueError), and a lone surrogate escape (`\\ud800`) decodes into a string no UTF-8 store can
record. A reply beyond the limits is refused with the reason (`over_limits`), never an exception.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

T = TypeVar("T", bound=BaseModel)

_FENCE = re.compile(r"```[ \t]*(?:json)?[ \t]*\n(.*?)\n?```", re.DOTALL | re.IGNORECASE)
_MAX_PROBLEMS = 8
_SURROGATE = re.compile("[\ud800-\udfff]")
_HIGH_ESCAPE = re.compile(r"\\u[dD][89abAB][0-9a-fA-F]{2}")
_LOW_ESCAPE = re.compile(r"\\u[dD][c-fC-F][0-9a-fA-F]{2}")
LIMIT_PREFIX = "reply beyond the parser's limits"


@dataclass(frozen=True)
class ReplyLimits:
    """What a reply may hold: far above any useful proposer or judge reply, far below what breaks a decoder."""

    max_chars: int = 400_000
    max_depth: int = 64
    max_number_chars: int = 100


LIMITS = ReplyLimits()


def _scan(text: str) -> Iterator[tuple[str, int]]:
    """What a limit cares about, in one pass: (`open`/`close`, position) of arrays and objects and (`number`,
    length) of digit runs outside strings, (`escape`, position) of a `\\u` escape inside one (string state follows
    JSON's quoting rules)."""
    in_string = False
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if in_string:
            if ch == "\\":
                if text.startswith("u", i + 1):
                    yield "escape", i
                i += 2
                continue
            in_string = ch != '"'
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            yield "open", i
        elif ch in "]}":
            yield "close", i
        elif ch.isdigit():
            start = i
            while i < n and (text[i].isdigit() or text[i] in ".eE+-"):
                i += 1
            yield "number", i - start
            continue
        i += 1


def over_limits(text: str, limits: ReplyLimits = LIMITS) -> str | None:
    """Why `text` is beyond `limits` (`reply beyond the parser's limits: …`), or None when it is within them."""
    problem = _limit_problem(text, limits)
    return f"{LIMIT_PREFIX}: {problem}" if problem else None


def _limit_problem(text: str, limits: ReplyLimits) -> str | None:
    if len(text) > limits.max_chars:
        return f"{len(text)} characters, more than {limits.max_chars}"
    raw = _SURROGATE.search(text)
    if raw is not None:
        return f"invalid Unicode: a lone surrogate (U+{ord(raw.group()):04X}) at character {raw.start()}"
    depth = 0
    for kind, value in _scan(text):
        if kind == "open":
            depth += 1
            if depth > limits.max_depth:
                return f"JSON nested deeper than {limits.max_depth} levels (at character {value})"
        elif kind == "close":
            depth = max(0, depth - 1)
        elif kind == "number" and value > limits.max_number_chars:
            return f"a number of {value} characters, more than {limits.max_number_chars}"
        elif kind == "escape" and _lone_surrogate_escape(text, value):
            return f"invalid Unicode: a lone surrogate escape {text[value:value + 6]!r} at character {value}"
    return None


def _lone_surrogate_escape(text: str, at: int) -> bool:
    """A `\\uD800`–`\\uDFFF` escape that is not a high surrogate followed by a low one (or that low one)."""
    escape = text[at:at + 6]
    if _HIGH_ESCAPE.fullmatch(escape):
        return not _LOW_ESCAPE.fullmatch(text[at + 6:at + 12])
    if _LOW_ESCAPE.fullmatch(escape):
        return not _HIGH_ESCAPE.fullmatch(text[max(0, at - 6):at])
    return False


def strip_fences(text: str) -> str:
    """The JSON inside the first ```json fenced block, or the text itself when there is no fence."""
    match = _FENCE.search(text)
    return (match.group(1) if match else text).strip()


def _reject_constant(name: str) -> Any:
    raise json.JSONDecodeError(f"{name} is not valid JSON", name, 0)


def _decode(text: str) -> Any:
    """Strict JSON: NaN and Infinity are not JSON (and no store could record them)."""
    return json.loads(text, parse_constant=_reject_constant)


def _load_json(text: str) -> Any:
    """`json.loads`, retried on the outermost `{...}` span when the model wrapped the object in prose."""
    try:
        return _decode(text)
    except json.JSONDecodeError:
        start, end = text.find("{"), text.rfind("}")
        if 0 <= start < end and (start > 0 or end < len(text) - 1):
            try:
                return _decode(text[start : end + 1])
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
    beyond = over_limits(content)
    if beyond is not None:
        return None, beyond
    body = strip_fences(content)
    try:
        data = _load_json(body)
    except json.JSONDecodeError as exc:
        return None, f"the reply is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
    except (RecursionError, ValueError) as exc:  # the scan should have caught it: still never raise
        return None, f"{LIMIT_PREFIX}: {type(exc).__name__}: {str(exc)[:120]}"
    if not isinstance(data, dict):
        return None, f"the reply must be one JSON object, got {type(data).__name__}"
    try:
        return schema.model_validate(data), None
    except ValidationError as exc:
        return None, f"the JSON does not match the {schema.__name__} schema: {describe_validation_error(exc)}"


def schema_json(schema: type[BaseModel]) -> str:
    """The JSON schema the model must follow, as indented text for a prompt."""
    return json.dumps(schema.model_json_schema(), indent=2, ensure_ascii=False)
