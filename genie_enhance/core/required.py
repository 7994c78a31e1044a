"""Typed access to an optional field that the caller's own check guarantees (a column target has its column).

Why: the offline Genie and the proposers model tagged variants as one class with optional fields; after testing the
kind, `required` turns `X | None` into `X` and fails loudly if the invariant was ever broken.
"""

from __future__ import annotations

from typing import TypeVar

T = TypeVar("T")


def required(value: T | None, what: str) -> T:
    if value is None:
        raise ValueError(f"{what} is missing")
    return value
