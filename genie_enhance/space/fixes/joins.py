"""Join fixes: add a join spec between two tables of the space, or correct an existing one.

Decision on composite keys: Genie accepts one column equality per join spec (compound AND is reported as
unsupported), so `add_join` with several equalities emits one spec per equality, all carrying the same comment
and instruction; when no comment is given a generated one says the specs belong together.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from genie_enhance.errors import FixError
from genie_enhance.space.fixes.base import (
    FixBase,
    NonEmpty,
    fold,
    instruction_ids,
    require_table,
    set_fields,
    sorted_by_id,
)
from genie_enhance.space.fixes.join_sql import (
    Relationship,
    Side,
    condition_pairs,
    invert,
    last_part,
    marker,
    normalize_relationship,
    pair_key,
    render_condition,
    spec_pair_keys,
    split_spec_sql,
)
from genie_enhance.space.ids import unique_id
from genie_enhance.space.lines import split_lines
from genie_enhance.space.model import JoinSide, JoinSpec, SerializedSpace

RelationshipField = Annotated[Relationship, BeforeValidator(normalize_relationship)]


class ColumnPair(BaseModel):
    """One equality `left_table.left = right_table.right`; JSON may also write it as `["left", "right"]`."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    left: NonEmpty
    right: NonEmpty

    @model_validator(mode="before")
    @classmethod
    def _from_list(cls, data: Any) -> Any:
        if isinstance(data, (list, tuple)) and len(data) == 2:
            return {"left": data[0], "right": data[1]}
        return data


def _aliases(
    left_identifier: str, left_alias: str | None, right_identifier: str, right_alias: str | None
) -> tuple[str, str]:
    left = left_alias or last_part(left_identifier)
    right = right_alias or last_part(right_identifier)
    if left.lower() == right.lower():
        raise FixError(f"both join sides would be aliased {left!r}; set left_alias/right_alias to distinct names")
    return left, right


class AddJoin(FixBase):
    """Tell Genie how two tables relate. Aliases default to the table names (last identifier part). An equality
    some spec between the same two tables already has (either direction) is skipped, whatever its relationship
    type: changing that is `fix_join`'s job."""

    type: Literal["add_join"] = "add_join"
    left_table: NonEmpty
    right_table: NonEmpty
    left_alias: NonEmpty | None = None
    right_alias: NonEmpty | None = None
    on: list[ColumnPair] | None = Field(default=None, min_length=1)
    condition: NonEmpty | None = None
    relationship: RelationshipField
    comment: NonEmpty | None = None
    instruction: NonEmpty | None = None

    @model_validator(mode="after")
    def _one_condition(self) -> AddJoin:
        if (self.on is None) == (self.condition is None):
            raise ValueError("give exactly one of `on` (column pairs) or `condition` (SQL equalities)")
        return self

    def _sides(self, left_identifier: str, right_identifier: str) -> tuple[Side, Side]:
        la, ra = _aliases(left_identifier, self.left_alias, right_identifier, self.right_alias)
        return Side(left_identifier, la), Side(right_identifier, ra)

    def _pairs(self, left: Side, right: Side) -> list[tuple[str, str]]:
        if self.on is not None:
            return [(p.left, p.right) for p in self.on]
        return condition_pairs(self.condition or "", left, right)

    def _comment(self, left: Side, right: Side, pairs: list[tuple[str, str]]) -> str | None:
        if self.comment or len(pairs) < 2:
            return self.comment
        columns = ", ".join(f"{left.alias}.{lc} = {right.alias}.{rc}" for lc, rc in pairs)
        return (f"Composite join of {left.identifier} and {right.identifier}: "
                f"use all of these equalities together: {columns}")

    def _apply(self, space: SerializedSpace) -> None:
        left_table = require_table(space, self.left_table).identifier
        right_table = require_table(space, self.right_table).identifier
        left, right = self._sides(left_table, right_table)
        pairs = self._pairs(left, right)
        existing: set = set().union(*(spec_pair_keys(s) for s in space.instructions.join_specs))
        pool = instruction_ids(space)
        comment = self._comment(left, right, pairs)
        added = []
        for lc, rc in pairs:
            key = pair_key(left_table, lc, right_table, rc)
            if key in existing:
                continue
            existing.add(key)
            sql = [render_condition(left.alias, lc, right.alias, rc), marker(self.relationship)]
            added.append(JoinSpec(
                id=unique_id(pool, "join", left_table, right_table, sql[0]),
                left=JoinSide(identifier=left_table, alias=left.alias),
                right=JoinSide(identifier=right_table, alias=right.alias),
                sql=sql,
                **set_fields(
                    comment=split_lines(comment) if comment else None,
                    instruction=split_lines(self.instruction) if self.instruction else None,
                ),
            ))
        if added:
            space.instructions.join_specs = sorted_by_id([*space.instructions.join_specs, *added])

    def _canonical(self) -> tuple[str, str, list[str], str]:
        """Tables in sorted order, pairs and relationship seen from the first: a direction-free identity."""
        left, right = self._sides(self.left_table, self.right_table)
        try:
            pairs = [f"{lc.lower()}={rc.lower()}" for lc, rc in self._pairs(left, right)]
        except FixError:
            pairs = [fold(self.condition or "")]
        rel: str = self.relationship
        lt, rt = self.left_table.lower(), self.right_table.lower()
        if lt > rt:
            lt, rt, rel = rt, lt, invert(rel)
            pairs = ["=".join(reversed(p.split("=", 1))) for p in pairs]
        return lt, rt, sorted(pairs), rel

    @property
    def key(self) -> str:
        try:
            lt, rt, pairs, rel = self._canonical()
        except FixError:
            parts = [self.left_table.lower(), self.right_table.lower(), fold(self.condition or ""), self.relationship]
            return "|".join([self.type, *parts])
        return f"{self.type}|{lt}|{rt}|{','.join(pairs)}|{rel}"

    def describe(self) -> str:
        la = self.left_alias or last_part(self.left_table)
        ra = self.right_alias or last_part(self.right_table)
        if self.on is not None:
            cond = " AND ".join(f"{la}.{p.left} = {ra}.{p.right}" for p in self.on)
        else:
            cond = " ".join((self.condition or "").split())
        return f"add join {self.left_table} to {self.right_table} on {cond} ({self.relationship})"


class FixJoin(FixBase):
    """Correct an existing join spec's condition and/or relationship type. The spec is found by `join_id`, or by
    its two tables (either direction; an error if several specs join them). `on`, `condition` and `relationship`
    are read in the direction of `left_table` → `right_table` when those are given, else in the spec's own. A new
    condition is rendered with the spec's aliases (filled in from the table names when missing); a spec without a
    `--rt=` marker only gets one when `relationship` is given."""

    type: Literal["fix_join"] = "fix_join"
    join_id: NonEmpty | None = None
    left_table: NonEmpty | None = None
    right_table: NonEmpty | None = None
    on: list[ColumnPair] | None = Field(default=None, min_length=1, max_length=1)
    condition: NonEmpty | None = None
    relationship: RelationshipField | None = None

    @model_validator(mode="after")
    def _check_shape(self) -> FixJoin:
        if self.join_id is None and (self.left_table is None or self.right_table is None):
            raise ValueError("name the join by `join_id` or by both `left_table` and `right_table`")
        if (self.left_table is None) != (self.right_table is None):
            raise ValueError("give both `left_table` and `right_table`, or neither")
        if self.on is not None and self.condition is not None:
            raise ValueError("give at most one of `on` or `condition`")
        if self.on is None and self.condition is None and self.relationship is None:
            raise ValueError("nothing to change: give `on`, `condition` or `relationship`")
        return self

    def _find(self, space: SerializedSpace) -> JoinSpec:
        specs = space.instructions.join_specs
        if self.join_id is not None:
            found = next((s for s in specs if (s.id or "").lower() == self.join_id.lower()), None)
            if found is None:
                ids = ", ".join(s.id or "?" for s in specs) or "none"
                raise FixError(f"no join spec with id {self.join_id!r} (ids: {ids})")
            return found
        lt = require_table(space, self.left_table or "").identifier.lower()
        rt = require_table(space, self.right_table or "").identifier.lower()
        matches = [s for s in specs if {s.left.identifier.lower(), s.right.identifier.lower()} == {lt, rt}]
        if not matches:
            raise FixError(f"no join spec between {self.left_table} and {self.right_table}; use add_join to create one")
        if len(matches) > 1:
            ids = ", ".join(s.id or "?" for s in matches)
            raise FixError(f"{len(matches)} join specs join {self.left_table} and {self.right_table}; "
                           f"name one with join_id ({ids})")
        return matches[0]

    def _is_reversed(self, space: SerializedSpace, spec: JoinSpec) -> bool:
        """Whether this fix's left/right are the spec's right/left."""
        if self.left_table is None or self.right_table is None:
            return False
        lt = require_table(space, self.left_table).identifier.lower()
        rt = require_table(space, self.right_table).identifier.lower()
        sides = (spec.left.identifier.lower(), spec.right.identifier.lower())
        if sides == (lt, rt):
            return False
        if sides == (rt, lt):
            return True
        raise FixError(f"join spec {spec.id} joins {spec.left.identifier} and {spec.right.identifier}, "
                       f"not {self.left_table} and {self.right_table}")

    def _new_condition(self, spec: JoinSpec, reversed_: bool) -> str | None:
        """The re-rendered condition (with the spec's aliases), or None when the condition is kept."""
        if self.on is None and self.condition is None:
            return None
        la, ra = _aliases(spec.left.identifier, spec.left.alias, spec.right.identifier, spec.right.alias)
        if self.on is not None:
            pair = (self.on[0].left, self.on[0].right)
            lc, rc = (pair[1], pair[0]) if reversed_ else pair
        else:
            sides = Side(spec.left.identifier, la), Side(spec.right.identifier, ra)
            pairs = condition_pairs(self.condition or "", *sides)
            if len(pairs) != 1:
                raise FixError(
                    f"join condition {self.condition!r}: a join spec holds one equality; add the others with add_join"
                )
            lc, rc = pairs[0]
        spec.left.alias, spec.right.alias = la, ra
        return render_condition(la, lc, ra, rc)

    def _apply(self, space: SerializedSpace) -> None:
        spec = self._find(space)
        reversed_ = self._is_reversed(space, spec)
        condition, old_relationship = split_spec_sql(spec.sql)
        condition = self._new_condition(spec, reversed_) or condition
        relationship = old_relationship
        if self.relationship is not None:
            relationship = invert(self.relationship) if reversed_ else self.relationship
        sql = [condition, marker(relationship)] if relationship else [condition]
        if sql != spec.sql:
            spec.sql = sql

    @property
    def key(self) -> str:
        if self.join_id is not None:
            target = self.join_id.lower()
        else:
            target = "~".join(sorted([(self.left_table or "").lower(), (self.right_table or "").lower()]))
        swap = self.left_table is not None and (self.left_table or "").lower() > (self.right_table or "").lower()
        change = []
        if self.on is not None:
            lc, rc = self.on[0].left.lower(), self.on[0].right.lower()
            change.append(f"on={rc}={lc}" if swap else f"on={lc}={rc}")
        if self.condition is not None:
            change.append(f"condition={fold(self.condition)}")
        if self.relationship is not None:
            change.append(f"rt={invert(self.relationship) if swap else self.relationship}")
        return f"{self.type}|{target}|{'|'.join(change)}"

    def describe(self) -> str:
        target = self.join_id or f"{self.left_table} to {self.right_table}"
        changes = []
        if self.on is not None:
            changes.append(f"condition {self.on[0].left} = {self.on[0].right}")
        if self.condition is not None:
            changes.append(f"condition {' '.join(self.condition.split())}")
        if self.relationship is not None:
            changes.append(f"relationship {self.relationship}")
        return f"fix join {target}: " + ", ".join(changes)
