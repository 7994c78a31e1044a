"""Genie ids: exactly 32 lowercase hex characters."""

from __future__ import annotations

import hashlib
import re
from typing import Protocol

ID_PATTERN = re.compile(r"^[0-9a-f]{32}$")


class Identified(Protocol):
    """A config item with an optional 32-hex id (instructions, snippets, joins, questions)."""

    id: str | None


def is_valid_id(value: object) -> bool:
    return isinstance(value, str) and bool(ID_PATTERN.match(value))


def stable_id(*parts: str) -> str:
    """A deterministic id derived from content, so re-running a fix or a normalization yields the same id."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    return digest[:32]


def unique_id(taken: set[str], *parts: str) -> str:
    """`stable_id(parts)`, bumped with a counter until it is not in `taken` (which it is then added to)."""
    candidate = stable_id(*parts)
    n = 1
    while candidate in taken:
        candidate = stable_id(*parts, str(n))
        n += 1
    taken.add(candidate)
    return candidate
