"""Array-level keys for hashing and matching numbers: row-hash mixing, the tolerance grid, the tolerance test.

Fractional numbers are compared through a monotone rescaling (`tolerance_scale`) in which the tolerance
atol + rtol·max(|x|, |y|) has a near-constant width, so a plain grid over it gives buckets whose members are all
within tolerance of each other (for hashing) or within one bucket of every value within tolerance (for
candidate search).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

_GRID_NAN = np.int64(1 << 62)
_GRID_POS_INF = np.int64(1 << 61)
_BUCKET_CLIP = float(1 << 60)  # keeps buckets apart from the NaN/inf keys; only reachable with rtol = 0


@dataclass(eq=False)
class Tolerance:
    rtol: float = 1e-4
    atol: float = 1e-9


def mix(k: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser over a uint64 array (wrapping arithmetic)."""
    z = k.astype(np.uint64, copy=False) + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def combine(keys: list[np.ndarray], n: int) -> np.ndarray:
    """One uint64 hash per row from per-column uint64 keys (order of `keys` matters)."""
    h = np.zeros(n, dtype=np.uint64)
    for i, k in enumerate(keys):
        h = mix_in(h, k, i)
    return h


def mix_in(h: np.ndarray, k: np.ndarray, i: int) -> np.ndarray:
    """Row hashes `h` extended by the keys `k` of the column at position `i` (one step of `combine`)."""
    return mix(h ^ mix(k ^ np.uint64(0x632BE59BD9B4E019 * (i + 1) % (1 << 64))))


def bag_digest(h: np.ndarray) -> tuple[int, int, int]:
    """Order-independent digest of a multiset of (already mixed) uint64 hashes: equal multisets give equal
    digests; sums of the hashes and of their squares (wrapping) keep it to one pass without re-mixing."""
    with np.errstate(over="ignore"):
        return len(h), int(h.sum(dtype=np.uint64)), int((h * h).sum(dtype=np.uint64))


def tolerance_scale(x: np.ndarray, tol: Tolerance) -> np.ndarray:
    """Monotone map t(x) = sign(x)·log(1 + |x|/s), s = atol/rtol, in which the tolerance has a near-constant width.

    For |x-y| <= rtol·(s + max(|x|, |y|)) (which the tolerance implies) |t(x) - t(y)| <= rtol/(1 - rtol); and
    |t(x) - t(y)| < log(1 + rtol) implies |x-y| < atol + rtol·max(|x|, |y|). With rtol = 0, t(x) = x / atol.
    Non-finite values map to 0 (callers key them apart).
    """
    x = np.where(np.isfinite(x), x, 0.0)
    if tol.rtol <= 0:
        return x / tol.atol
    scale = max(tol.atol / tol.rtol, 1e-300)
    with np.errstate(divide="ignore"):
        return np.sign(x) * np.logaddexp(0.0, np.log(np.abs(x)) - math.log(scale))


def bucket_width(tol: Tolerance, *, sound: bool) -> float:
    """Grid width in `tolerance_scale` units: `sound` buckets only hold values within tolerance of each other;
    otherwise values within tolerance are at most one bucket apart."""
    if tol.rtol <= 0:
        return 1.0
    return math.log1p(tol.rtol) if sound else tol.rtol / (1.0 - tol.rtol)


def buckets(scaled: np.ndarray, width: float, shift: float = 0.0) -> np.ndarray:
    """Grid index of `tolerance_scale`d values."""
    return np.floor(np.clip(scaled / width + shift, -_BUCKET_CLIP, _BUCKET_CLIP)).astype(np.int64)


def grid_keys(values: np.ndarray, tol: Tolerance, shift: float, scaled: np.ndarray | None = None) -> np.ndarray:
    """Bucket of each float on a grid of `bucket_width(sound=True)` in `tolerance_scale` units, offset by `shift`
    buckets: equal keys imply values within tolerance; values within tolerance that straddle a boundary meet on
    the half-shifted grid or in the exact residue check. NaN and ±inf get their own keys. With rtol = atol = 0 the
    key is the exact float.
    """
    x = np.where(values == 0.0, 0.0, values)  # -0.0 == 0.0
    nan = np.isnan(x)
    inf = np.isinf(x)
    if tol.rtol <= 0 and tol.atol <= 0:
        out = x.view(np.int64).copy()
    else:
        out = buckets(tolerance_scale(x, tol) if scaled is None else scaled, bucket_width(tol, sound=True), shift)
    out[nan] = _GRID_NAN
    out[inf] = np.where(x[inf] > 0, _GRID_POS_INF, -_GRID_POS_INF)
    return out.view(np.uint64)


def close(x: np.ndarray, y: np.ndarray, tol: Tolerance) -> np.ndarray:
    """|x-y| <= atol + rtol*max(|x|,|y|), NaN == NaN, inf == inf."""
    with np.errstate(invalid="ignore", over="ignore"):
        diff = np.abs(x - y)
        ok = diff <= tol.atol + tol.rtol * np.maximum(np.abs(x), np.abs(y))
    return ok | (x == y) | (np.isnan(x) & np.isnan(y))
