"""The shape of a query, resolved against the catalog: tables, joins, aggregates, groupings and filters.

Why: every heuristic fix is read off the *expected* SQL of a train failure (what the answer needed) and compared
with the generated SQL (what Genie did). Columns are resolved to (table identifier, column) so the two queries
compare directly and a fix can name the real column. Snippet SQL is rendered table-qualified with the table's
own name (`orders.amt`), as Genie requires. Analysis never raises: unparsable SQL gives no shape.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlglot import exp

from genie_enhance.core.catalog import Catalog
from genie_enhance.diagnosis.resolve import qualified, resolve_tables, table_id
from genie_enhance.sql import DIALECT, ensure_read_only

_CMP: dict[type[exp.Expr], str] = {exp.EQ: "=", exp.NEQ: "!=", exp.GT: ">", exp.GTE: ">=", exp.LT: "<", exp.LTE: "<="}
_FLIP = {">": "<", ">=": "<=", "<": ">", "<=": ">="}
_PARTS: dict[type[exp.Expr], str] = {exp.Year: "YEAR", exp.Month: "MONTH", exp.Quarter: "QUARTER", exp.Day: "DAY"}
_AGGS = {exp.Sum: "SUM", exp.Avg: "AVG", exp.Min: "MIN", exp.Max: "MAX", exp.Count: "COUNT"}


@dataclass(frozen=True, order=True)
class ColumnRef:
    table: str  # lower-case three-part identifier
    column: str  # lower-case

    @property
    def short(self) -> str:
        return f"{self.table.rsplit('.', 1)[-1]}.{self.column}"


@dataclass
class Aggregate:
    node: exp.Expr
    func: str  # SUM | AVG | MIN | MAX | COUNT | other
    distinct: bool
    columns: list[ColumnRef]
    plain: ColumnRef | None  # the argument when it is exactly one column
    star: bool  # COUNT(*)


@dataclass
class Grouping:
    node: exp.Expr
    columns: list[ColumnRef]
    plain: ColumnRef | None
    grain: str | None  # DATE_TRUNC unit


@dataclass
class Predicate:
    node: exp.Expr
    columns: list[ColumnRef]
    column: ColumnRef | None  # the filtered column (plain, or inside YEAR()/MONTH()/CAST)
    op: str  # = != > >= < <= in between is_null is_not_null like other
    literals: list[exp.Literal]
    part: str | None = None  # YEAR | MONTH | QUARTER | DAY when the column is wrapped in that function
    having: bool = False


@dataclass
class QueryShape:
    sql: str
    tables: list[str] = field(default_factory=list)
    aliases: dict[str, str] = field(default_factory=dict)
    joins: list[tuple[ColumnRef, ColumnRef]] = field(default_factory=list)
    aggregates: list[Aggregate] = field(default_factory=list)
    groups: list[Grouping] = field(default_factory=list)
    predicates: list[Predicate] = field(default_factory=list)
    select_columns: list[ColumnRef] = field(default_factory=list)
    order_desc: bool | None = None
    limit: int | None = None

    @property
    def base_table(self) -> str | None:
        return self.tables[0] if self.tables else None

    def uses(self, column: ColumnRef) -> bool:
        every = [c for a in self.aggregates for c in a.columns] + [c for g in self.groups for c in g.columns]
        every += [c for p in self.predicates for c in p.columns] + self.select_columns
        return column in every


def _conjuncts(node: exp.Expr | None) -> list[exp.Expr]:
    if node is None:
        return []
    node = node.unnest() if isinstance(node, exp.Paren) else node
    return list(node.flatten()) if isinstance(node, exp.And) else [node]


class _Reader:
    """Resolves the columns of one SELECT (whose sources are physical tables) to `ColumnRef`s."""

    def __init__(self, select: exp.Select, catalog: Catalog) -> None:
        self.catalog = catalog
        self.aliases: dict[str, str] = {}
        sources = [select.args.get("from_") or select.args.get("from")] + list(select.args.get("joins") or [])
        for source in sources:
            node = source.this if source is not None else None
            if isinstance(node, exp.Table) and node.name:
                self.aliases[node.alias_or_name.lower()] = table_id(node)
        self.tables = list(dict.fromkeys(self.aliases.values()))
        self.select_aliases = {
            item.alias.lower(): item.this for item in select.expressions if isinstance(item, exp.Alias)
        }

    def ref(self, col: exp.Column) -> ColumnRef | None:
        name = col.name.lower()
        if col.table:
            table = self.aliases.get(col.table.lower())
            return ColumnRef(table, name) if table else None
        owners = [t for t in self.tables if self.catalog.has_column(t, name)]
        if len(owners) == 1:
            return ColumnRef(owners[0], name)
        return ColumnRef(self.tables[0], name) if len(self.tables) == 1 else None

    def columns(self, node: exp.Expr) -> list[ColumnRef]:
        found = []
        for col in node.find_all(exp.Column):
            if isinstance(col.this, exp.Star):
                continue
            ref = self.ref(col)
            if ref is None and not col.table and col.name.lower() in self.select_aliases:
                found += self.columns(self.select_aliases[col.name.lower()])
            elif ref is not None:
                found.append(ref)
        return list(dict.fromkeys(found))

    def plain(self, node: exp.Expr) -> ColumnRef | None:
        return self.ref(node) if isinstance(node, exp.Column) else None


def _wrapped_column(node: exp.Expr, reader: _Reader) -> tuple[ColumnRef | None, str | None]:
    """The column under YEAR()/MONTH()/CAST()/DATE() wrappers, and the date part asked for."""
    part = None
    while not isinstance(node, exp.Column):
        if type(node) in _PARTS:
            part = _PARTS[type(node)]
        inner = node.this if isinstance(node, (exp.Func, exp.Cast, exp.Paren)) else None
        if not isinstance(inner, exp.Expression):
            return None, part
        node = inner
    return reader.ref(node), part


def _literals(node: exp.Expr) -> list[exp.Literal]:
    return [lit for lit in node.find_all(exp.Literal)]


def _predicate(cond: exp.Expr, reader: _Reader, having: bool) -> Predicate:
    columns = reader.columns(cond)
    negated = isinstance(cond, exp.Not)
    inner = cond.this if negated else cond
    inner = inner.unnest() if isinstance(inner, exp.Paren) else inner
    if isinstance(inner, exp.Is) and isinstance(inner.expression, exp.Null):
        column, part = _wrapped_column(inner.this, reader)
        return Predicate(cond, columns, column, "is_not_null" if negated else "is_null", [], part, having)
    if isinstance(inner, exp.In) and not negated:
        column, part = _wrapped_column(inner.this, reader)
        return Predicate(cond, columns, column, "in", _literals(inner), part, having)
    if isinstance(inner, exp.Between) and not negated:
        column, part = _wrapped_column(inner.this, reader)
        return Predicate(cond, columns, column, "between", _literals(inner), part, having)
    op = _CMP.get(type(inner))
    if op is not None and not negated:
        left, right = inner.this, inner.expression
        if left.find(exp.Column) is None and right.find(exp.Column) is not None:
            left, right, op = right, left, _FLIP.get(op, op)
        if right.find(exp.Column) is None and left.find(exp.AggFunc) is None:
            column, part = _wrapped_column(left, reader)
            return Predicate(cond, columns, column, op, _literals(right), part, having)
    if isinstance(inner, (exp.Like, exp.ILike)) and not negated:
        column, part = _wrapped_column(inner.this, reader)
        return Predicate(cond, columns, column, "like", _literals(inner), part, having)
    return Predicate(cond, columns, None, "other", _literals(cond), None, having)


def _join_pair(cond: exp.Expr, reader: _Reader) -> tuple[ColumnRef, ColumnRef] | None:
    if not (isinstance(cond, exp.EQ) and isinstance(cond.this, exp.Column) and isinstance(cond.expression, exp.Column)):
        return None
    a, b = reader.ref(cond.this), reader.ref(cond.expression)
    if a is None or b is None or a.table == b.table:
        return None
    order = reader.tables
    return (a, b) if order.index(a.table) <= order.index(b.table) else (b, a)


def _aggregate(node: exp.AggFunc, reader: _Reader) -> Aggregate:
    func = next((name for cls, name in _AGGS.items() if isinstance(node, cls)), node.key.upper())
    arg = node.this
    distinct = isinstance(arg, exp.Distinct)
    if distinct:
        arg = arg.expressions[0] if len(arg.expressions) == 1 else arg
    star = isinstance(arg, exp.Star) or (isinstance(arg, exp.Column) and isinstance(arg.this, exp.Star))
    return Aggregate(node, func, distinct, reader.columns(node), reader.plain(arg) if arg is not None else None, star)


def _grouping(node: exp.Expr, reader: _Reader) -> Grouping:
    target = node
    if isinstance(node, exp.Column) and not node.table and node.name.lower() in reader.select_aliases:
        target = reader.select_aliases[node.name.lower()]
    if isinstance(node, exp.Literal) and not node.is_string:  # GROUP BY 1
        return Grouping(node, [], None, None)
    grain = None
    if isinstance(target, (exp.TimestampTrunc, exp.DateTrunc)):
        unit = target.args.get("unit")
        grain = (unit.name if isinstance(unit, exp.Expression) else str(unit or "")).upper() or None
    return Grouping(target, reader.columns(target), reader.plain(target), grain)


def _outermost_select(tree: exp.Expr) -> exp.Select | None:
    node = tree
    while isinstance(node, exp.SetOperation):
        node = node.this
    return node if isinstance(node, exp.Select) else None


def analyse(sql: str | None, catalog: Catalog) -> QueryShape | None:
    """The shape of a read-only query; None when it cannot be parsed or reads no physical table."""
    if not sql or not sql.strip():
        return None
    try:
        tree = ensure_read_only(sql)
        resolve_tables(tree, catalog)
        tree, _ = qualified(tree, catalog)
    except Exception:  # unparsable or odd SQL has no shape; the caller falls back to other evidence
        return None
    select = _outermost_select(tree)
    if select is None:
        return None
    reader = _Reader(select, catalog)
    if not reader.tables:
        return None
    shape = QueryShape(sql=sql, tables=reader.tables, aliases=dict(reader.aliases))
    for join in select.args.get("joins") or []:
        for cond in _conjuncts(join.args.get("on")):
            pair = _join_pair(cond, reader)
            if pair is not None:
                shape.joins.append(pair)
            else:
                shape.predicates.append(_predicate(cond, reader, False))
    where = select.args.get("where")
    for cond in _conjuncts(where.this if where else None):
        pair = _join_pair(cond, reader)
        if pair is not None:
            shape.joins.append(pair)
        else:
            shape.predicates.append(_predicate(cond, reader, False))
    having = select.args.get("having")
    for cond in _conjuncts(having.this if having else None):
        shape.predicates.append(_predicate(cond, reader, True))
    for item in select.expressions:
        body = item.unalias() if isinstance(item, exp.Alias) else item
        aggs = [a for a in body.find_all(exp.AggFunc) if a.find_ancestor(exp.AggFunc) is None]
        shape.aggregates += [_aggregate(a, reader) for a in aggs]
        if not aggs:
            shape.select_columns += reader.columns(body)
    group = select.args.get("group")
    shape.groups = [_grouping(g, reader) for g in (group.expressions if group else [])]
    order = select.args.get("order")
    if order is not None and order.expressions:
        shape.order_desc = bool(order.expressions[0].args.get("desc"))
    limit = select.args.get("limit")
    value = limit.expression if isinstance(limit, exp.Limit) else None
    if isinstance(value, exp.Literal) and not value.is_string and value.this.isdigit():
        shape.limit = int(value.this)
    return shape


def render(node: exp.Expr, shape: QueryShape, names: dict[str, str] | None = None) -> str:
    """`node` as Databricks SQL with every column qualified by its table's name (or `names[table]`)."""
    names = names or {}
    reader_aliases = shape.aliases

    def swap(n: exp.Expr) -> exp.Expr:
        if isinstance(n, exp.Column) and not isinstance(n.this, exp.Star):
            table = reader_aliases.get((n.table or "").lower())
            if table is None and len(shape.tables) == 1 and not n.table:
                table = shape.tables[0]
            if table is not None:
                qualifier = names.get(table, table.rsplit(".", 1)[-1])
                return exp.column(exp.to_identifier(n.name.lower()), table=exp.to_identifier(qualifier))
        return n

    return node.copy().transform(swap).sql(dialect=DIALECT)
