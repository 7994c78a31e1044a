"""Timestamps as the store keeps them: naive UTC in the file, timezone-aware UTC in the records."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    """Now, as the naive UTC timestamp a `TIMESTAMP` column stores."""
    return datetime.now(UTC).replace(tzinfo=None)


def to_db(value: datetime | None) -> datetime | None:
    """Any datetime as naive UTC (a naive input is taken to be UTC already)."""
    if value is None or value.tzinfo is None:
        return value
    return value.astimezone(UTC).replace(tzinfo=None)


def from_db(value: datetime | None) -> datetime | None:
    """A stored naive UTC timestamp as an aware UTC datetime."""
    return None if value is None else value.replace(tzinfo=UTC)
