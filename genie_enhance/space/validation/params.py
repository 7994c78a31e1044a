"""`:name` parameter markers in example SQL: finding them, and binding them to literals for a dry run.

Markers are found on sqlglot's tokens (so strings and comments are skipped, `::` casts are separate tokens) rather
than on the parse tree, because Databricks also writes JSON paths as `col:field`, and a marker right after a value
(`LIMIT 10 :n`, seen in a real UI export) parses as such a path. Rule: a `:` immediately followed by a name is a
marker unless it is glued to the value before it (`raw:field`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlglot import exp
from sqlglot.dialects import Dialect
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokens import TokenType

from genie_enhance.space.model import SqlParameter
from genie_enhance.sql import DIALECT

_NAME = re.compile(r"[A-Za-z_]\w*")
_VALUE_END = re.compile(r"[\w)\]`'\"]")
# UI type names → SQL types (anything sqlglot cannot build falls back to STRING).
_TYPE_ALIASES = {"NUMERIC": "DOUBLE", "NUMBER": "DOUBLE", "DATE AND TIME": "TIMESTAMP", "DATETIME": "TIMESTAMP"}


@dataclass(frozen=True)
class Marker:
    name: str
    start: int  # offset of the ':'
    end: int  # offset just past the name


def parameter_markers(sql: str) -> list[Marker]:
    """Every `:name` marker in `sql`, in order (empty if the SQL cannot even be tokenized)."""
    try:
        tokens = Dialect.get_or_raise(DIALECT).tokenize(sql)
    except TokenError:
        return []
    markers = []
    for i, tok in enumerate(tokens):
        if tok.token_type != TokenType.COLON or i + 1 >= len(tokens):
            continue
        name = tokens[i + 1]
        if name.start != tok.end + 1 or not _NAME.fullmatch(sql[name.start : name.end + 1]):
            continue
        prev = tokens[i - 1] if i else None
        if prev is not None and prev.end + 1 == tok.start and _VALUE_END.match(sql[prev.end]):
            continue  # `raw:field` is a JSON path, not a parameter
        markers.append(Marker(sql[name.start : name.end + 1], tok.start, name.end + 1))
    return markers


def _data_type(type_hint: str | None) -> exp.DataType:
    hint = (type_hint or "STRING").strip().upper()
    try:
        return exp.DataType.build(_TYPE_ALIASES.get(hint, hint), dialect=DIALECT)
    except (ParseError, ValueError):
        return exp.DataType.build("STRING")


def _default_value(param: SqlParameter | None) -> str | None:
    if param is None or param.default_value is None:
        return None
    if param.default_value.values:
        return param.default_value.values[0]
    value_range = (param.default_value.__pydantic_extra__ or {}).get("value_range") or {}
    low = value_range.get("min") if isinstance(value_range, dict) else None
    return None if low is None else str(low)


def parameter_literal(param: SqlParameter | None) -> str:
    """The SQL that stands in for a parameter: its default value as a typed literal, else a typed NULL."""
    dtype = _data_type(param.type_hint if param else None)
    value = _default_value(param)
    if value is None:
        return exp.cast(exp.null(), dtype).sql(dialect=DIALECT)
    if dtype.is_type(*exp.DataType.TEXT_TYPES):
        return exp.Literal.string(value).sql(dialect=DIALECT)
    return exp.cast(exp.Literal.string(value), dtype).sql(dialect=DIALECT)


def bind_parameters(sql: str, parameters: list[SqlParameter]) -> str:
    """`sql` with every `:name` marker replaced by `parameter_literal` of the declared parameter."""
    by_name = {p.name.lower(): p for p in parameters}
    out, pos = [], 0
    for marker in parameter_markers(sql):
        out += [sql[pos : marker.start], " ", parameter_literal(by_name.get(marker.name.lower())), " "]
        pos = marker.end
    out.append(sql[pos:])
    return "".join(out)
