"""Comparable facts of one SQL query: what it reads, joins, aggregates, groups, filters, orders and limits.

Why facts instead of a tree diff: Genie and a benchmark author write the same intent in different shapes (aliases,
CTEs, implicit joins, `ORDER BY` on an alias), so a raw AST diff reports noise. Every fact is rendered with
physical column names (`catalog.schema.table.column`), which makes two queries' facts directly comparable as sets.
Extraction never raises: a query that cannot be parsed yields facts with `error` set and nothing else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlglot import exp
from sqlglot.optimizer.scope import Scope, traverse_scope

from genie_enhance.core.catalog import Catalog
from genie_enhance.diagnosis.resolve import Resolver, first_branch, qualified, resolve_tables, table_id
from genie_enhance.sql import ensure_read_only, referenced_tables

_OPS: dict[type, str] = {
    exp.EQ: "=", exp.NEQ: "<>", exp.GT: ">", exp.GTE: ">=", exp.LT: "<", exp.LTE: "<=",
    exp.NullSafeEQ: "<=>", exp.Like: "LIKE", exp.ILike: "ILIKE", exp.Is: "IS",
}
_FLIP = {">": "<", ">=": "<=", "<": ">", "<=": ">="}
_NEGATE = {"=": "<>", "<>": "=", ">": "<=", ">=": "<", "<": ">=", "<=": ">", "IS": "IS NOT"}
_YEAR = re.compile(r"^((?:19|20)\d\d)(?:$|-)")


@dataclass(frozen=True)
class Predicate:
    """One filter conjunct: `column op value`, with the physical column it constrains (for clustering)."""

    column: str
    op: str
    value: str
    target: str  # the physical column the predicate filters on, or the rendered left side

    @property
    def text(self) -> str:
        return " ".join(p for p in (self.column, self.op, self.value) if p)


@dataclass(frozen=True)
class JoinEdge:
    """Two tables joined on equality conditions. Inner joins are stored with their tables sorted."""

    left: str
    right: str
    condition: str
    kind: str = "INNER"

    def as_list(self) -> list[str]:
        return [self.left, self.right, self.condition]


@dataclass(frozen=True)
class Aggregate:
    """An aggregate call: canonical text (`SUM(cat.db.t.amt)`), function shape (`COUNT DISTINCT`), columns read."""

    text: str
    func: str
    columns: frozenset[str]


@dataclass
class SqlFacts:
    sql: str
    error: str | None = None
    qualified: bool = False
    tables: set[str] = field(default_factory=set)
    columns: set[str] = field(default_factory=set)  # physical columns read anywhere
    unresolved_columns: set[str] = field(default_factory=set)
    select: list[str] = field(default_factory=list)  # outermost projections, rendered
    select_columns: set[str] = field(default_factory=set)
    joins: set[JoinEdge] = field(default_factory=set)
    aggregates: set[Aggregate] = field(default_factory=set)
    group_by: set[str] = field(default_factory=set)
    group_columns: set[str] = field(default_factory=set)
    predicates: set[Predicate] = field(default_factory=set)
    literals: set[str] = field(default_factory=set)
    years: set[int] = field(default_factory=set)
    order_by: list[str] = field(default_factory=list)
    limit: int | None = None
    distinct: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None

    def columns_by_table(self) -> dict[str, set[str]]:
        by_table: dict[str, set[str]] = {}
        for column in self.columns:
            table, _, name = column.rpartition(".")
            by_table.setdefault(table, set()).add(name)
        return by_table

    def aggregate_funcs(self) -> list[str]:
        return sorted(a.func for a in self.aggregates)


def extract_facts(sql: str | None, catalog: Catalog) -> SqlFacts:
    """The facts of one query. `error` is set when it cannot be parsed or is not one read-only query (no facts at
    all) or when its scopes cannot be analysed (only `tables` known)."""
    facts = SqlFacts(sql=sql or "")
    try:
        tree = ensure_read_only(sql or "")
    except Exception as exc:  # SqlParseError, ReadOnlySqlError, or anything sqlglot throws on garbage
        facts.error = str(exc)
        return facts
    try:
        resolve_tables(tree, catalog)
        facts.tables = set(referenced_tables(tree))
        tree, facts.qualified = qualified(tree, catalog)
        _Extractor(facts, Resolver(catalog)).run(tree)
    except Exception as exc:  # the tables are known; a failed scope analysis is reported, never raised
        facts.error = f"cannot analyse SQL: {exc}"
    return facts


class _Extractor:
    """Walks every scope of one qualified query and fills a `SqlFacts`."""

    def __init__(self, facts: SqlFacts, resolver: Resolver) -> None:
        self.facts, self.r = facts, resolver

    def run(self, tree: exp.Expr) -> None:
        scopes = traverse_scope(tree)
        for scope in scopes:
            self._columns(scope)
            self._aggregates(scope)
            if isinstance(scope.expression, exp.Select):
                self._group(scope)
                self._joins(scope)
                self._filters(scope)
        if scopes:
            self._outermost(scopes[-1])

    def _columns(self, scope: Scope) -> None:
        if scope.set_operation_scopes:  # a set operation's ORDER BY names its output columns, not sources
            return
        for col in scope.columns:
            if isinstance(col.this, exp.Star):
                continue
            source = self.r.source(col, scope)
            if isinstance(source, exp.Table):
                self.facts.columns.add(f"{table_id(source)}.{col.name.lower()}")
            elif source is None and not self.r.is_resolved(col, scope):
                self.facts.unresolved_columns.add(self.r.column_text(col, scope))

    def _aggregates(self, scope: Scope) -> None:
        for agg in scope.find_all(exp.AggFunc):
            func = agg.key.upper() + (" DISTINCT" if isinstance(agg.this, exp.Distinct) else "")
            columns = frozenset(self.r.columns_of(agg, scope))
            self.facts.aggregates.add(Aggregate(self.r.render(agg, scope), func, columns))

    def _group(self, scope: Scope) -> None:
        group = scope.expression.args.get("group")
        for key in group.expressions if group else []:
            self.facts.group_by.add(self.r.render(key, scope))
            self.facts.group_columns |= self.r.columns_of(key, scope)

    def _joins(self, scope: Scope) -> None:
        select = scope.expression
        for join in select.args.get("joins") or []:
            side = _join_side(join)
            for cond in _conjuncts(join.args.get("on")):
                if not self._edge(cond, scope, side, join.this.alias_or_name.lower()):
                    self._predicate(cond, scope)
        where = select.args.get("where")
        for cond in _conjuncts(where.this if where else None):
            if not self._edge(cond, scope, "INNER", ""):
                self._predicate(cond, scope)

    def _filters(self, scope: Scope) -> None:
        for clause in ("having", "qualify"):
            node = scope.expression.args.get(clause)
            for cond in _conjuncts(node.this if node else None):
                self._predicate(cond, scope)

    def _edge(self, cond: exp.Expr, scope: Scope, side: str, joined: str) -> bool:
        """Record `a.x = b.y` between two different physical tables as a join edge; False if it is no such edge.

        An outer join keeps its preserved table on the left: the joined table is the optional side of a LEFT
        join and the preserved side of a RIGHT join (stored as the equivalent LEFT join).
        """
        if not isinstance(cond, exp.EQ) or not all(isinstance(s, exp.Column) for s in (cond.this, cond.expression)):
            return False
        sides = [self.r.physical(s, scope) for s in (cond.this, cond.expression)]
        if any(len(s) != 1 for s in sides):
            return False
        a, b = (next(iter(s)) for s in sides)
        ta, tb = a.rpartition(".")[0], b.rpartition(".")[0]
        if ta == tb and cond.this.table == cond.expression.table:  # `t.a = t.b` compares within one row
            return False
        condition = " = ".join(sorted((a, b)))
        joined_first = (cond.this.table or "").lower() == joined
        if side in ("LEFT", "RIGHT"):
            if joined_first == (side == "LEFT"):
                ta, tb = tb, ta
            self.facts.joins.add(JoinEdge(ta, tb, condition, "LEFT"))
        else:
            left, right = sorted((ta, tb))
            self.facts.joins.add(JoinEdge(left, right, condition, side))
        return True

    def _predicate(self, cond: exp.Expr, scope: Scope) -> None:
        pred = _split_predicate(cond)
        if pred is None:
            return
        left, op, right = pred
        column = self.r.render(left, scope)
        value = ", ".join(self.r.render(v, scope) for v in right)
        targets = sorted(self.r.columns_of(left, scope))
        self.facts.predicates.add(Predicate(column, op, value, targets[0] if len(targets) == 1 else column))
        for lit in cond.find_all(exp.Literal, exp.Boolean):
            self._literal(lit)

    def _literal(self, lit: exp.Expr) -> None:
        if isinstance(lit, exp.Boolean):
            self.facts.literals.add("TRUE" if lit.this else "FALSE")
            return
        text = str(lit.this)
        if not lit.is_string:
            text = _number_text(text)
        self.facts.literals.add(text)
        year = _YEAR.match(text)
        if year and (lit.is_string or text.isdigit()):
            self.facts.years.add(int(year.group(1)))

    def _outermost(self, scope: Scope) -> None:
        root = scope.expression
        branch = root
        while isinstance(branch, exp.SetOperation):
            branch = branch.this
        item_scope = first_branch(scope)
        for item in getattr(branch, "selects", []):
            self.facts.select.append(self.r.render(item, item_scope))
            self.facts.select_columns |= self.r.columns_of(item.unalias(), item_scope)
        self.facts.distinct = bool(isinstance(branch, exp.Select) and branch.args.get("distinct"))
        order = root.args.get("order")
        for ordered in order.expressions if order else []:
            text = self.r.render(ordered.this, item_scope)
            self.facts.order_by.append(text + (" DESC" if ordered.args.get("desc") else ""))
        self.facts.limit = _limit(root)


def _conjuncts(node: exp.Expr | None) -> list[exp.Expr]:
    if node is None:
        return []
    node = node.unnest() if isinstance(node, exp.Paren) else node
    return list(node.flatten()) if isinstance(node, exp.And) else [node]


def _join_side(join: exp.Join) -> str:
    """LEFT, RIGHT, FULL, CROSS, SEMI, ANTI or INNER."""
    side = (join.side or "").upper()
    if side in ("LEFT", "RIGHT", "FULL"):
        return side
    kind = (join.kind or "").upper()
    return kind if kind in ("CROSS", "SEMI", "ANTI") else "INNER"


def _is_constant(node: exp.Expr) -> bool:
    return node.find(exp.Column, exp.Subquery, exp.Select) is None


def _split_predicate(cond: exp.Expr) -> tuple[exp.Expr, str, list[exp.Expr]] | None:
    """(left side, operator, right-side values) of a filter conjunct; constants are moved to the right."""
    negated = isinstance(cond, exp.Not)
    node = cond.this if negated else cond
    node = node.unnest() if isinstance(node, exp.Paren) else node
    prefix = "NOT " if negated else ""
    if isinstance(node, exp.In):
        values = node.expressions or [node.args.get("query") or exp.Var(this="(subquery)")]
        return node.this, prefix + "IN", values
    if isinstance(node, exp.Between):
        return node.this, prefix + "BETWEEN", [exp.and_(node.args["low"], node.args["high"])]
    op = next((sym for cls, sym in _OPS.items() if type(node) is cls), None)
    if op is None or not isinstance(node, exp.Binary):
        return cond, "", []
    left, right = node.this, node.expression
    if _is_constant(left) and not _is_constant(right):
        left, right, op = right, left, _FLIP.get(op, op)
    if negated:
        op = _NEGATE.get(op, prefix + op)
    return left, op, [right]


def _number_text(text: str) -> str:
    """`500`, `500.0` and `5e2` are the same number."""
    try:
        value = float(text)
    except ValueError:
        return text
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


def _limit(root: exp.Expr) -> int | None:
    limit = root.args.get("limit")
    value = limit.expression if isinstance(limit, exp.Limit) else None
    try:
        return int(value.this) if isinstance(value, exp.Literal) and not value.is_string else None
    except ValueError:
        return None
