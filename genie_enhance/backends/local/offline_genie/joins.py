"""The join graph: which tables may be joined, and on what, taken only from `instructions.join_specs`.

Each spec's condition (`` `left_alias`.`col` = `right_alias`.`col` ``, the `--rt=` marker line dropped) is parsed
with sqlglot and bound to table keys; it becomes an undirected edge. Multi-table questions join along shortest
paths (breadth-first, ties broken by spec order), so without a spec two tables simply cannot be related — the
same limitation real Genie has when neither UC foreign keys nor join relationships exist.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass

from sqlglot import exp

from genie_enhance.backends.local.offline_genie.schema import ColumnInfo, TableInfo
from genie_enhance.backends.local.offline_genie.snippets import TableResolver, bind, parse_expression
from genie_enhance.space.lines import join_lines
from genie_enhance.space.model import SerializedSpace

_RT = re.compile(r"--rt=FROM_RELATIONSHIP_TYPE_([A-Z_]+?)--")


@dataclass(eq=False)
class JoinEdge:
    left: str
    right: str
    condition: exp.Expr  # columns qualified by table key
    columns: list[ColumnInfo]
    relationship: str = ""  # MANY_TO_ONE | ONE_TO_MANY | ONE_TO_ONE | MANY_TO_MANY ("" when unknown), left → right

    def other(self, key: str) -> str:
        return self.right if key == self.left else self.left

    def fans_out_towards(self, new_key: str) -> bool:
        """Whether joining `new_key` onto the other side can repeat the other side's rows."""
        sides = {"MANY_TO_ONE": self.left, "ONE_TO_MANY": self.right, "ONE_TO_ONE": None}
        many_side = sides.get(self.relationship, "both")
        if many_side == "both":
            return True
        return many_side == new_key

    def column_of(self, key: str) -> ColumnInfo | None:
        """The join column on `key`'s side (the first, for compound conditions)."""
        return next((c for c in self.columns if c.table_key == key), None)


def register_aliases(space: SerializedSpace, tables: dict[str, TableInfo]) -> None:
    """Record each join spec's side aliases on its table, so snippets written with those aliases resolve too."""
    for spec in space.instructions.join_specs:
        for side in (spec.left, spec.right):
            info = tables.get(side.identifier.lower())
            if info is not None and side.alias:
                info.join_aliases.add(side.alias.lower())


def _relationship(lines: list[str]) -> str:
    m = _RT.search(join_lines(lines))
    return m.group(1) if m else ""


def _condition_text(lines: list[str]) -> str:
    kept = [ln for ln in join_lines(lines).splitlines() if not ln.strip().startswith("--rt=")]
    text = " ".join(kept)
    return text.split("--rt=")[0].strip()


class JoinGraph:
    """Undirected graph of table keys with one edge per usable join spec."""

    def __init__(self, space: SerializedSpace, tables: dict[str, TableInfo]) -> None:
        self.edges: list[JoinEdge] = []
        for spec in space.instructions.join_specs:
            left, right = spec.left.identifier.lower(), spec.right.identifier.lower()
            if left not in tables or right not in tables or left == right:
                continue
            tree = parse_expression(_condition_text(spec.sql))
            if tree is None:
                continue
            local = {left: tables[left], right: tables[right]}
            for key, side in ((left, spec.left), (right, spec.right)):
                local[key].join_aliases.add((side.alias or tables[key].short).lower())
            bound = bind(tree, TableResolver(local), prefer=[left, right])
            if bound is None:
                continue
            cond, cols = bound
            if {c.table_key for c in cols} != {left, right}:
                continue
            self.edges.append(JoinEdge(left, right, cond, cols, _relationship(spec.sql)))

    def neighbours(self, key: str) -> list[JoinEdge]:
        return [e for e in self.edges if key in (e.left, e.right)]

    def path(self, start: str, goal: str) -> list[JoinEdge] | None:
        """Shortest list of edges from `start` to `goal` (empty if equal, None if unreachable)."""
        if start == goal:
            return []
        seen = {start}
        queue: deque[tuple[str, list[JoinEdge]]] = deque([(start, [])])
        while queue:
            node, route = queue.popleft()
            for edge in self.neighbours(node):
                nxt = edge.other(node)
                if nxt in seen:
                    continue
                if nxt == goal:
                    return [*route, edge]
                seen.add(nxt)
                queue.append((nxt, [*route, edge]))
        return None

    def connect(self, base: str, needed: list[str]) -> tuple[list[tuple[str, JoinEdge]], str | None]:
        """Join steps (new table, edge) reaching every needed table from `base`, growing one tree.

        Returns the steps and, if some table cannot be reached, that table's key (the steps are then partial).
        """
        joined = [base]
        steps: list[tuple[str, JoinEdge]] = []
        for goal in needed:
            if goal in joined:
                continue
            best: list[JoinEdge] | None = None
            best_from = base
            for src in joined:
                route = self.path(src, goal)
                if route is not None and (best is None or len(route) < len(best)):
                    best, best_from = route, src
            if best is None:
                return steps, goal
            node = best_from
            for edge in best:
                node = edge.other(node)
                if node not in joined:
                    joined.append(node)
                    steps.append((node, edge))
        return steps, None

    def key_towards(self, key: str, other: str) -> ColumnInfo | None:
        """`key`'s column in a direct join spec with `other` (e.g. the foreign key of a fact table)."""
        for edge in self.neighbours(key):
            if edge.other(key) == other:
                return edge.column_of(key)
        return None
