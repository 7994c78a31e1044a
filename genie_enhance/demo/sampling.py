"""Vectorised sampling helpers shared by the demo data generators.

Why day-weight inverse-CDF sampling: an event (order, message) must happen after its actor appeared (signup,
join) and the volume should show growth and seasonality, so that monthly and yearly trends are not flat and a
query on the wrong date column returns a visibly different answer. Everything draws from one seeded generator.
"""

from __future__ import annotations

from datetime import date

import numpy as np

SECONDS_PER_DAY = 86_400


def day_range(start: date, end: date) -> np.ndarray:
    """Every day from `start` to `end` inclusive, as datetime64[D]."""
    return np.arange(np.datetime64(start, "D"), np.datetime64(end, "D") + 1)


def day_weights(days: np.ndarray, *, growth: float, weekend: float, peak_months: dict[int, float]) -> np.ndarray:
    """Relative activity per day: linear growth over the range, a weekend factor and per-month boosts."""
    t = np.linspace(0.0, 1.0, len(days))
    months = days.astype("datetime64[M]").astype(int) % 12 + 1
    weekday = (days.astype(int) + 3) % 7  # 1970-01-01 was a Thursday → Monday = 0
    w = 1.0 + growth * t
    w = w * np.where(weekday >= 5, weekend, 1.0)
    for month, boost in peak_months.items():
        w = w * np.where(months == month, boost, 1.0)
    return w


def sample_days_after(
    rng: np.random.Generator, days: np.ndarray, weights: np.ndarray, earliest: np.ndarray
) -> np.ndarray:
    """One day per entry of `earliest` (datetime64[D]), drawn by `weights` among the days on or after it."""
    cdf = np.cumsum(weights)
    first = np.searchsorted(days, earliest.astype("datetime64[D]"), side="left").clip(0, len(days) - 1)
    low = np.where(first > 0, cdf[first - 1], 0.0)
    u = low + rng.random(len(earliest)) * (cdf[-1] - low)
    idx = np.searchsorted(cdf, u, side="right").clip(first, len(days) - 1)
    return days[idx]


def seconds_into_day(rng: np.random.Generator, n: int, *, peak_hour: float, spread_hours: float) -> np.ndarray:
    """Time of day in seconds, concentrated around `peak_hour` (wrapped into one day)."""
    hours = rng.normal(peak_hour, spread_hours, n) % 24.0
    return (hours * 3600).astype(np.int64)


def to_timestamps(days: np.ndarray, seconds: np.ndarray) -> np.ndarray:
    """datetime64[s] from a day and a number of seconds into (or after) it."""
    return days.astype("datetime64[s]") + seconds.astype("timedelta64[s]")


def unique_combinations(rng: np.random.Generator, left: list[str], right: list[str], n: int, sep: str) -> list[str]:
    """`n` distinct `left+sep+right` strings, sampled without replacement."""
    total = len(left) * len(right)
    if n > total:
        raise ValueError(f"asked for {n} unique names but only {total} combinations exist")
    picks = rng.choice(total, size=n, replace=False)
    return [f"{left[p // len(right)]}{sep}{right[p % len(right)]}" for p in picks]


def zipf_weights(rng: np.random.Generator, n: int, exponent: float) -> np.ndarray:
    """Popularity weights 1/rank^exponent in a random order, normalised; distinct values avoid top-N ties."""
    ranks = rng.permutation(n) + 1
    w = 1.0 / ranks.astype(float) ** exponent
    return w / w.sum()


def cents_to_usd(cents: np.ndarray) -> np.ndarray:
    """Integer cents → float dollars; the loader casts them to DECIMAL(…, 2), which is exact for k/100."""
    return cents.astype(np.int64) / 100.0
