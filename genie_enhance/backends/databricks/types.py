"""Turning the Statement Execution API's JSON_ARRAY cells (all strings, or null) into Python values.

The manifest says each column's type: `type_name` (an enum; the SDK maps names it does not know, such as
`TIMESTAMP_NTZ` or `VARIANT`, to None) and `type_text` (the full SQL type, e.g. `DECIMAL(10,2)`). We convert with
`type_name` when known and fall back on the head of `type_text`. Anything without a natural Python scalar
(ARRAY, MAP, STRUCT, INTERVAL, BINARY) stays the string the warehouse sent, which still compares by value.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from databricks.sdk.service.sql import ColumnInfo

Converter = Callable[[str], Any]

_BOOLEANS = {"true": True, "false": False, "1": True, "0": False}


def _bool(text: str) -> bool:
    try:
        return _BOOLEANS[text.strip().lower()]
    except KeyError:
        raise ValueError(f"not a boolean: {text!r}") from None


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        value = float(text)  # "1.0E3" style renderings of integral values
        if not value.is_integer():
            raise
        return int(value)


def _float(text: str) -> float:
    return float(text)  # accepts NaN, Infinity, -Infinity and 1.0E10


def _timestamp(text: str) -> dt.datetime:
    """ISO 8601 with `T` or a space, optional fraction and `Z`/offset (an offset gives an aware datetime)."""
    return dt.datetime.fromisoformat(text.strip())


def _date(text: str) -> dt.date:
    return dt.date.fromisoformat(text.strip()[:10])


CONVERTERS: dict[str, Converter] = {
    "BYTE": _int,
    "SHORT": _int,
    "INT": _int,
    "INTEGER": _int,
    "LONG": _int,
    "BIGINT": _int,
    "SMALLINT": _int,
    "TINYINT": _int,
    "DECIMAL": Decimal,
    "DEC": Decimal,
    "NUMERIC": Decimal,
    "DOUBLE": _float,
    "FLOAT": _float,
    "REAL": _float,
    "BOOLEAN": _bool,
    "DATE": _date,
    "TIMESTAMP": _timestamp,
    "TIMESTAMP_NTZ": _timestamp,
    "TIMESTAMP_LTZ": _timestamp,
}


def type_label(column: ColumnInfo) -> str:
    """The column's SQL type as the warehouse wrote it (`DECIMAL(10,2)`), else its type name."""
    if column.type_text:
        return column.type_text
    return column.type_name.value if column.type_name is not None else ""


def base_type(column: ColumnInfo) -> str:
    """`INT`, `DECIMAL`, `TIMESTAMP_NTZ`, …: the enum name, or the head of `type_text` when the enum is unknown."""
    if column.type_name is not None:
        return column.type_name.value
    head = (column.type_text or "").strip().upper()
    for stop in ("(", "<", " "):
        head = head.split(stop, 1)[0]
    return head


def converter(column: ColumnInfo) -> Converter | None:
    """The function turning this column's cells into Python values; None = keep strings (or nulls, type NULL)."""
    name = base_type(column)
    if name == "NULL":
        return lambda _text: None
    return CONVERTERS.get(name)


def convert_rows(columns: Sequence[ColumnInfo], data: Sequence[Sequence[str | None]]) -> list[tuple[Any, ...]]:
    """Typed rows from JSON_ARRAY cells; `ValueError` names the column and the value it could not convert."""
    converters = [converter(c) for c in columns]
    out: list[tuple[Any, ...]] = []
    for row in data:
        typed = []
        for index, (cell, convert) in enumerate(zip(row, converters)):
            if cell is None or convert is None:
                typed.append(cell)
                continue
            try:
                typed.append(convert(cell))
            except (ValueError, ArithmeticError) as exc:
                column = columns[index]
                raise ValueError(
                    f"column {column.name!r} ({type_label(column)}): cannot convert {cell!r}: {exc}"
                ) from exc
        out.append(tuple(typed))
    return out

