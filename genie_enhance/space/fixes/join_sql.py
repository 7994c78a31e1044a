"""The SQL of a join spec: render the two-element form Genie expects, and read back what an existing spec joins.

Genie's form (genie_api §1.8): `sql = ["`<left alias>`.`<col>` = `<right alias>`.`<col>`",
"--rt=FROM_RELATIONSHIP_TYPE_<TYPE>--"]`, one column equality per spec (compound AND is unsupported).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, get_args

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from genie_enhance.errors import FixError
from genie_enhance.space.model import JoinSpec
from genie_enhance.sql import DIALECT

Relationship = Literal["MANY_TO_ONE", "ONE_TO_MANY", "ONE_TO_ONE", "MANY_TO_MANY"]
RELATIONSHIPS: tuple[str, ...] = get_args(Relationship)
MARKER_PREFIX = "--rt=FROM_RELATIONSHIP_TYPE_"
_MARKER = re.compile(r"--rt=FROM_RELATIONSHIP_TYPE_([A-Z_]+)--")
_INVERSE = {"MANY_TO_ONE": "ONE_TO_MANY", "ONE_TO_MANY": "MANY_TO_ONE"}

# A canonical, direction-free key of one equality: {(table, column), (table, column)}, lower-cased.
PairKey = frozenset[tuple[str, str]]


def normalize_relationship(value: object) -> object:
    """Accept `many_to_one`, `MANY-TO-ONE`, the full marker or its enum name; anything else is left for pydantic
    to reject with the list of allowed values."""
    if not isinstance(value, str):
        return value
    text = value.strip().upper().replace("-", "_").replace(" ", "_").strip("_")
    for prefix in ("RT=FROM_RELATIONSHIP_TYPE_", "FROM_RELATIONSHIP_TYPE_", "GENIE_AGENT_JOIN_RELATIONSHIP_TYPE_"):
        text = text.removeprefix(prefix)
    return text


def marker(relationship: str) -> str:
    return f"{MARKER_PREFIX}{relationship}--"


def invert(relationship: str) -> str:
    """The same relationship seen from the other side (MANY_TO_ONE ↔ ONE_TO_MANY)."""
    return _INVERSE.get(relationship, relationship)


def last_part(identifier: str) -> str:
    """`cat.sch.orders` → `orders`: the default alias of a join side."""
    return identifier.rsplit(".", 1)[-1]


def quote(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def render_condition(left_alias: str, left_column: str, right_alias: str, right_column: str) -> str:
    return f"{quote(left_alias)}.{quote(left_column)} = {quote(right_alias)}.{quote(right_column)}"


def split_spec_sql(lines: list[str]) -> tuple[str, str | None]:
    """(condition text, relationship or None) of a spec's `sql` lines."""
    text = "".join(lines)
    found = _MARKER.search(text)
    return _MARKER.sub("", text).strip(), (found.group(1) if found else None)


@dataclass(frozen=True)
class Side:
    """One side of a join: the qualifiers a condition may use for it are its alias, its table name and its full
    identifier."""

    identifier: str
    alias: str

    def names(self) -> set[str]:
        return {self.alias.lower(), last_part(self.identifier).lower(), self.identifier.lower()}


def _qualifier(column: exp.Column) -> str:
    return ".".join(p for p in (column.catalog, column.db, column.table) if p).lower()


def _side_of(column: exp.Column, left: Side, right: Side, condition: str) -> str:
    qualifier = _qualifier(column)
    if not qualifier:
        raise FixError(f"join condition {condition!r}: qualify column {column.name!r} with its table or alias")
    in_left, in_right = qualifier in left.names(), qualifier in right.names()
    if in_left and in_right:
        raise FixError(f"join condition {condition!r}: {qualifier!r} names both sides; give the sides distinct aliases")
    if not (in_left or in_right):
        raise FixError(
            f"join condition {condition!r}: {qualifier!r} is neither {left.alias!r} ({left.identifier}) "
            f"nor {right.alias!r} ({right.identifier})"
        )
    return "left" if in_left else "right"


def _equalities(tree: exp.Expr, condition: str) -> list[exp.EQ]:
    if isinstance(tree, exp.Paren):
        return _equalities(tree.this, condition)
    if isinstance(tree, exp.And):
        return [*_equalities(tree.this, condition), *_equalities(tree.expression, condition)]
    if isinstance(tree, exp.EQ) and isinstance(tree.this, exp.Column) and isinstance(tree.expression, exp.Column):
        return [tree]
    raise FixError(
        f"join condition {condition!r}: expected column = column equalities (joined by AND), got {tree.sql(DIALECT)!r}"
    )


def condition_pairs(condition: str, left: Side, right: Side) -> list[tuple[str, str]]:
    """(left column, right column) for each `a.x = b.y` in an AND of equalities, whatever the order of the sides."""
    try:
        tree = sqlglot.condition(condition, dialect=DIALECT)
    except ParseError as exc:
        reason = exc.errors[0]["description"] if exc.errors else str(exc)
        raise FixError(f"join condition {condition!r} does not parse: {reason}") from exc
    pairs = []
    for eq in _equalities(tree, condition):
        a, b = eq.this, eq.expression
        side_a, side_b = _side_of(a, left, right, condition), _side_of(b, left, right, condition)
        if side_a == side_b:
            raise FixError(f"join condition {condition!r}: {eq.sql(DIALECT)!r} compares two columns of the same side")
        pairs.append((a.name, b.name) if side_a == "left" else (b.name, a.name))
    return pairs


def pair_key(left_identifier: str, left_column: str, right_identifier: str, right_column: str) -> PairKey:
    return frozenset({(left_identifier.lower(), left_column.lower()), (right_identifier.lower(), right_column.lower())})


def spec_sides(spec: JoinSpec) -> tuple[Side, Side]:
    """The spec's sides, with the table name standing in for a missing alias (the REST docs' form)."""
    return (
        Side(spec.left.identifier, spec.left.alias or last_part(spec.left.identifier)),
        Side(spec.right.identifier, spec.right.alias or last_part(spec.right.identifier)),
    )


def spec_pair_keys(spec: JoinSpec) -> set[PairKey]:
    """The equalities an existing spec joins on; empty when its condition is not simple equalities."""
    left, right = spec_sides(spec)
    condition, _ = split_spec_sql(spec.sql)
    try:
        pairs = condition_pairs(condition, left, right)
    except FixError:
        return set()
    return {pair_key(left.identifier, lc, right.identifier, rc) for lc, rc in pairs}
