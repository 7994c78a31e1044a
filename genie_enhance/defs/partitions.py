"""Partitions: one dynamic partition per iteration; spaces and days for the health and history assets."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import dagster as dg

ITERATIONS = "iterations"

# `<space>-<yyyymmdd>-<hhmmss>-<short id>-i<NNNN>` (`engine.partition_keys`); added by the start path and the
# campaign sensor.
iterations = dg.DynamicPartitionsDefinition(name=ITERATIONS)


def spaces(keys: Sequence[str]) -> dg.StaticPartitionsDefinition:
    """One partition per configured space."""
    return dg.StaticPartitionsDefinition(list(keys))


def days_by_space(keys: Sequence[str], start: date) -> dg.MultiPartitionsDefinition:
    """Day × space, for the daily history roll-up (backfillable for past days)."""
    return dg.MultiPartitionsDefinition({
        "date": dg.DailyPartitionsDefinition(start_date=start.isoformat()),
        "space": spaces(keys),
    })
