"""Column normalisation: one vectorised pass turns each result column into a comparable kind.

Kinds: `number` (float64, NaN = NULL; Decimal, int, float and bool compare by value; integer columns also keep
their exact int64 values), `timestamp` (int64
microseconds since the epoch, UTC; a DATE is its midnight), `interval` and `time` (int64 microseconds), `string`
(exact text), `value` (anything else: lists, structs, bytes, mixed types, as canonical text) and `null` (a column
of only NULLs, compatible with every kind). NULL equals NULL (a float NaN counts as NULL).

Rows are compared through per-column uint64 keys: exact values for exact kinds, and for fractional numbers buckets
of a grid as fine as the tolerance, so equal buckets imply values within tolerance (`keys.grid_keys`). Every
candidate match found through keys is re-checked cell by cell (`cells_equal`).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from genie_enhance.core.protocols import ResultSet
from genie_enhance.scoring.keys import Tolerance, bag_digest, close, grid_keys, mix, tolerance_scale

Kind = Literal["number", "timestamp", "interval", "time", "string", "value", "null"]
Mode = Literal["tol", "int", "i64", "obj"]  # how two aligned columns compare: tolerance, exact int, int64, object

NULL_I64 = np.iinfo(np.int64).min  # also what NaT views as
_EXACT_FLOAT_LIMIT = float(2**53)
_EPOCH = dt.datetime(1970, 1, 1)
_US = dt.timedelta(microseconds=1)
_INT_TYPE = re.compile(
    r"^\s*(u?(tiny|small|big|huge)?int(eger)?\d*|long|short|byte|decimal\(\s*\d+\s*,\s*0\s*\))\s*(not null)?\s*$",
    re.IGNORECASE,
)
_NUMBER_TYPES = (int, float, Decimal, bool, np.integer, np.floating, np.bool_)
_INTEGRAL_TYPES = (int, bool, np.integer, np.bool_)
_TS_TYPES = (dt.datetime, dt.date, np.datetime64)


@dataclass(eq=False)
class NormColumn:
    """One column, normalised. `values`: float64 (number), int64 (timestamp/interval/time) or object; `ints`: the
    exact int64 values of an integer column (NULL = `NULL_I64`), kept because float64 loses integers beyond 2^53."""

    kind: Kind
    values: np.ndarray
    null: np.ndarray
    raw: pd.Series
    ints: np.ndarray | None = None
    _cache: dict[Any, Any] = field(default_factory=dict, repr=False)

    @property
    def integral(self) -> bool:
        return self.ints is not None

    def __len__(self) -> int:
        return len(self.null)

    @property
    def null_count(self) -> int:
        return int(self._cached("nulls", lambda: int(self.null.sum())))

    def _cached(self, key: Any, make: Any) -> Any:
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    def data(self, mode: Mode) -> np.ndarray:
        """The array cells are verified on under `mode` (a NULL column yields that mode's NULL)."""
        if self.kind == "null":
            n = len(self)
            return self._cached(("null", mode), lambda: np.full(n, np.nan) if mode == "tol"
                                else np.full(n, NULL_I64, dtype=np.int64) if mode in ("int", "i64")
                                else np.full(n, None, dtype=object))
        if mode == "int" and self.ints is not None:
            return self.ints
        return self.values

    def exact_keys(self, mode: Mode) -> np.ndarray:
        """uint64 key per cell for an exact mode; equal cells get equal keys."""
        return self._cached(("keys", mode), lambda: _exact_keys(self, mode))

    def grid(self, tol: Tolerance, shift: float) -> np.ndarray:
        return self._cached(("grid", tol.rtol, tol.atol, shift),
                            lambda: grid_keys(self.data("tol"), tol, shift, self.scaled(tol)))

    def scaled(self, tol: Tolerance) -> np.ndarray:
        """`tolerance_scale` of the numbers (computed once per tolerance)."""
        return self._cached(("scaled", tol.rtol, tol.atol), lambda: tolerance_scale(self.data("tol"), tol))

    def fingerprint(self, mode: Mode) -> tuple[int, int, int]:
        """Order-independent digest of the cell multiset under an exact mode."""

        return self._cached(("fp", mode), lambda: bag_digest(mix(self.exact_keys(mode))))

    def sorted_numbers(self) -> np.ndarray:
        return self._cached("sorted", lambda: np.sort(self.data("tol")))

    def display(self, i: int) -> Any:
        v = self.raw.iloc[int(i)]
        return None if _is_null_scalar(v) else v


def normalize_result(result: ResultSet) -> list[NormColumn]:
    types = list(result.column_types) + [""] * (len(result.columns) - len(result.column_types))
    return [normalize_column(result.frame.iloc[:, i], types[i]) for i in range(len(result.columns))]


def normalize_column(raw: pd.Series, type_name: str = "") -> NormColumn:
    """Normalise one column (any pandas dtype; object columns are classified by their values)."""
    raw = raw.reset_index(drop=True)
    dtype = raw.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        dtype = raw.astype(object).dtype
    integer_typed = bool(type_name) and bool(_INT_TYPE.match(type_name))
    if ptypes.is_bool_dtype(dtype) or ptypes.is_integer_dtype(dtype) or ptypes.is_float_dtype(dtype):
        values = raw.to_numpy(dtype=np.float64, na_value=np.nan)
        if ptypes.is_float_dtype(dtype):
            return _number(values, _ints_from_floats(values) if integer_typed else None, raw)
        fits = dtype.kind != "u" or raw.empty or int(raw.max()) < 2**63
        ints = raw.to_numpy(dtype=np.int64, na_value=0) if fits else None
        if ints is not None:
            ints[np.isnan(values)] = NULL_I64
        return _number(values, ints, raw)
    if ptypes.is_datetime64_any_dtype(dtype):
        series = raw
        if getattr(dtype, "tz", None) is not None:
            series = series.dt.tz_convert("UTC").dt.tz_localize(None)
        values = series.to_numpy().astype("datetime64[us]").view(np.int64)
        return _ints("timestamp", values, raw)
    if ptypes.is_timedelta64_dtype(dtype):
        return _ints("interval", raw.to_numpy().astype("timedelta64[us]").view(np.int64), raw)
    return _from_objects(raw, integer_typed)


def _number(values: np.ndarray, ints: np.ndarray | None, raw: pd.Series) -> NormColumn:
    null = np.isnan(values)
    return NormColumn("null" if null.all() else "number", values, null, raw, ints)


def _ints_from_floats(values: np.ndarray) -> np.ndarray | None:
    """Exact ints of an integer-typed column delivered as floats, if every value is still exact."""
    null = np.isnan(values)
    finite = values[~null]
    if not (np.all(np.abs(finite) <= _EXACT_FLOAT_LIMIT) and np.all(finite == np.floor(finite))):
        return None
    ints = np.where(null, 0.0, values).astype(np.int64)
    ints[null] = NULL_I64
    return ints


def _ints_from_objects(objs: np.ndarray, null: np.ndarray) -> np.ndarray | None:
    try:
        ints = np.array([0 if n else int(v) for v, n in zip(objs, null)], dtype=np.int64)
    except OverflowError:
        return None
    ints[null] = NULL_I64
    return ints


def _ints(kind: Kind, values: np.ndarray, raw: pd.Series) -> NormColumn:
    values = np.ascontiguousarray(values, dtype=np.int64)
    null = values == NULL_I64
    return NormColumn("null" if null.all() else kind, values, null, raw)


def _from_objects(raw: pd.Series, integer_typed: bool) -> NormColumn:
    objs = raw.to_numpy(dtype=object)
    null = np.asarray(pd.isna(raw), dtype=bool)
    present = objs[~null]
    if len(present) == 0:
        return NormColumn("null", np.full(len(objs), None, dtype=object), null, raw)
    inferred = ptypes.infer_dtype(present, skipna=False)
    types = {str} if inferred == "string" else {type(v) for v in present}
    if all(issubclass(t, str) for t in types):
        values = objs.copy()
        values[null] = None
        return NormColumn("string", values, null, raw)
    if all(issubclass(t, _NUMBER_TYPES) for t in types):
        values = np.fromiter((math.nan if n else float(v) for v, n in zip(objs, null)), np.float64, len(objs))
        if all(issubclass(t, _INTEGRAL_TYPES) for t in types):
            return _number(values, _ints_from_objects(objs, null), raw)
        return _number(values, _ints_from_floats(values) if integer_typed else None, raw)
    if all(issubclass(t, _TS_TYPES) for t in types) and not any(issubclass(t, dt.time) for t in types):
        return _ints("timestamp", _map_ints(objs, null, _timestamp_us), raw)
    if all(issubclass(t, dt.time) for t in types):
        return _ints("time", _map_ints(objs, null, _time_us), raw)
    if all(issubclass(t, (dt.timedelta, np.timedelta64)) for t in types):
        return _ints("interval", _map_ints(objs, null, _interval_us), raw)
    if all(issubclass(t, uuid.UUID) for t in types):
        values = np.array([None if n else str(v) for v, n in zip(objs, null)], dtype=object)
        return NormColumn("string", values, null, raw)
    values = np.array([None if n else _canonical(v) for v, n in zip(objs, null)], dtype=object)
    return NormColumn("value", values, null, raw)


def _map_ints(objs: np.ndarray, null: np.ndarray, conv: Any) -> np.ndarray:
    return np.fromiter((NULL_I64 if n else conv(v) for v, n in zip(objs, null)), np.int64, len(objs))


def _timestamp_us(v: Any) -> int:
    if isinstance(v, np.datetime64):
        return int(v.astype("datetime64[us]").astype(np.int64))
    if not isinstance(v, dt.datetime):
        v = dt.datetime.combine(v, dt.time())
    if v.tzinfo is not None and v.utcoffset() is not None:
        v = v.astimezone(dt.UTC).replace(tzinfo=None)
    return (v.replace(tzinfo=None) - _EPOCH) // _US


def _time_us(v: dt.time) -> int:
    return ((v.hour * 60 + v.minute) * 60 + v.second) * 1_000_000 + v.microsecond


def _interval_us(v: Any) -> int:
    if isinstance(v, np.timedelta64):
        return int(v.astype("timedelta64[us]").astype(np.int64))
    return v // _US


def _plain(v: Any) -> Any:
    """JSON-able form of a nested value; numbers by value, everything else tagged by kind."""
    if isinstance(v, np.ndarray):
        return [_plain(x) for x in v.tolist()]
    if isinstance(v, np.generic):
        v = v.item()
    if _is_null_scalar(v):
        return None
    if isinstance(v, _NUMBER_TYPES):
        return {"n": float(v)}
    if isinstance(v, str):
        return v
    if isinstance(v, (bytes, bytearray, memoryview)):
        return {"b": bytes(v).hex()}
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, _TS_TYPES) and not isinstance(v, dt.time):
        return {"t": _timestamp_us(v)}
    return {type(v).__name__: str(v)}


def _canonical(v: Any) -> str:
    return json.dumps(_plain(v), sort_keys=True, separators=(",", ":"))


def _is_null_scalar(v: Any) -> bool:
    try:
        return v is None or bool(pd.isna(v)) if np.ndim(v) == 0 else False
    except (TypeError, ValueError):
        return False


# ---- keys, hashing and cell checks -------------------------------------------------------------------------


def _exact_keys(col: NormColumn, mode: Mode) -> np.ndarray:
    if mode == "obj":
        return pd.util.hash_array(col.data("obj"), categorize=True)
    return col.data(mode).view(np.uint64)


def cells_equal(e: NormColumn, a: NormColumn, mode: Mode, ie: np.ndarray, ia: np.ndarray, tol: Tolerance) -> np.ndarray:
    """Exact cell check of aligned row pairs (the final word on every match)."""
    x, y = e.data(mode)[ie], a.data(mode)[ia]
    if mode == "tol":
        return close(x, y, tol)
    return np.asarray(x == y, dtype=bool)


def compatible(e: NormColumn, a: NormColumn) -> bool:
    return e.kind == a.kind or "null" in (e.kind, a.kind)


def pair_mode(e: NormColumn, a: NormColumn, exact_integers: bool = True) -> Mode:
    kinds = {e.kind, a.kind} - {"null"}
    kind = kinds.pop() if len(kinds) == 1 else "null"
    if kind == "number":
        ints = all(c.integral for c in (e, a) if c.kind == "number")
        return "int" if exact_integers and ints else "tol"
    if kind in ("string", "value"):
        return "obj"
    return "i64"


def run_ids(cols: list[NormColumn]) -> np.ndarray:
    """Ids of runs of consecutive rows with equal values in `cols` (NULL equal to NULL): tie groups."""
    n = len(cols[0]) if cols else 0
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    changed = np.zeros(n - 1, dtype=bool)
    for c in cols:
        v = c.ints if c.ints is not None else c.values
        both_null = c.null[1:] & c.null[:-1]
        if c.kind == "null":
            continue
        if c.values.dtype == object:
            diff = np.asarray(v[1:] != v[:-1], dtype=bool)
        else:
            diff = v[1:] != v[:-1]
        changed |= diff & ~both_null
    return np.concatenate([[0], np.cumsum(changed)]).astype(np.int64)


# ---- display --------------------------------------------------------------------------------------------------


def format_value(v: Any) -> str:
    if isinstance(v, np.generic):
        v = v.item()
    if v is None or _is_null_scalar(v):
        return "NULL"
    if isinstance(v, str):
        return repr(v if len(v) <= 40 else v[:37] + "...")
    if isinstance(v, float):
        return repr(v) if len(repr(v)) <= 16 else f"{v:.10g}"
    if isinstance(v, pd.Timestamp):
        return str(v.date()) if v == v.normalize() and v.tzinfo is None else str(v)
    if isinstance(v, (dt.date, dt.time)):
        return v.isoformat()
    text = str(v.tolist() if isinstance(v, np.ndarray) else v)
    return text if len(text) <= 40 else text[:37] + "..."


def format_row(values: list[Any]) -> str:
    inner = ", ".join(format_value(v) for v in values)
    return f"({inner},)" if len(values) == 1 else f"({inner})"
