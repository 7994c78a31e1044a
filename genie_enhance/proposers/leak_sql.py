"""Canonical SQL for the leakage guard: two queries that say the same thing get the same text.

Why: a leak that only has to change the spelling of a holdout's expected SQL is no leak-proofing at all — backtick
quotes, an unqualified table, an extra constant column, `COUNT(1)` for `COUNT(*)`, `COALESCE(SUM(x), 0)` for
`SUM(x)`, or `b = a` for `a = b` leave the query's meaning unchanged. The canonical form is built by sqlglot:
1. identifiers lower-cased and unquoted (Databricks identifiers are case-insensitive, quoted or not), table names
   qualified against the space's tables (`orders` / `commerce.orders` → `demo.commerce.orders` when unique);
2. sqlglot's optimizer (qualify, normalize, merge sub-queries, simplify, canonicalize …) and
   `canonicalize_internal_names`, so derived tables, CTEs and predicates take one form;
3. our rewrites on top: `COUNT(<literal>)` → `COUNT(*)`, `COALESCE(<aggregate>, 0)` → the aggregate, constant
   select items dropped, projection aliases dropped (ORDER BY references resolved first), table aliases named after
   their table, inner joins flattened into one sorted FROM list with their conditions in WHERE, numbers written
   one way, and the operands of AND/OR, `=`/`<>`, `+` and `*` sorted (`a > b` written `b < a`).
A `shape` also abstracts literals and parameters (`?`): the same query for another year or value.
Each stage falls back to the previous one when sqlglot cannot take it further (an unsupported construct).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer import optimize
from sqlglot.optimizer.canonicalize_internal_names import canonicalize_internal_names

from genie_enhance.errors import ReadOnlySqlError, SqlParseError
from genie_enhance.sql import DIALECT, ensure_read_only

_COMMUTATIVE = (exp.EQ, exp.NEQ, exp.NullSafeEQ, exp.NullSafeNEQ)
_FLIPPED: dict[type[exp.Expr], type[exp.Binary]] = {exp.GT: exp.LT, exp.GTE: exp.LTE}
_NOT_CONSTANT = (exp.Column, exp.Star, exp.AggFunc, exp.Window, exp.Subquery, exp.Select, exp.Placeholder)
_INNER_KINDS = {"", "INNER", "CROSS"}
_MEMO_SIZE = 4096


@dataclass(frozen=True)
class CanonicalSql:
    """The canonical texts of a query: the whole query, and every SELECT inside it (sub-queries, CTE bodies),
    each as `exact` text and as `shape` (literals abstracted)."""

    exact: str
    shape: str
    inner_exact: frozenset[str]
    inner_shape: frozenset[str]


class SqlCanonicalizer:
    """Canonical forms of queries against one space's tables (and, when known, their columns)."""

    def __init__(self, tables: Iterable[str], columns: Mapping[str, Mapping[str, str]] | None = None) -> None:
        self._names: dict[str, set[str]] = {}
        schema: dict[str, dict[str, dict[str, dict[str, str]]]] = {}
        for identifier in tables:
            parts = identifier.lower().split(".")
            for i in range(len(parts)):
                self._names.setdefault(".".join(parts[i:]), set()).add(".".join(parts))
            cols = {c.lower(): t or "UNKNOWN" for c, t in (columns or {}).get(identifier.lower(), {}).items()}
            if len(parts) == 3 and cols:  # sqlglot refuses a table without columns: an unknown table it is then
                schema.setdefault(parts[0], {}).setdefault(parts[1], {})[parts[2]] = cols
        self._schema: dict[str, object] = dict(schema)
        self._memo: dict[str, CanonicalSql | None] = {}

    def canonical(self, sql: str) -> CanonicalSql | None:
        """The canonical forms of `sql`, or None when it is not one read-only query (memoized: the optimizer
        costs tens of milliseconds a query, and the holdout's queries are asked for every iteration)."""
        if sql not in self._memo:
            if len(self._memo) >= _MEMO_SIZE:
                self._memo.clear()
            self._memo[sql] = self._canonical(sql)
        return self._memo[sql]

    def _canonical(self, sql: str) -> CanonicalSql | None:
        try:
            tree = ensure_read_only(sql)
        except (SqlParseError, ReadOnlySqlError):
            return None
        tree = self._optimized(self._qualified(tree))
        exact, shape = _rewritten(tree, abstract=False), _rewritten(tree, abstract=True)
        return CanonicalSql(
            _render(exact), _render(shape),
            frozenset(_render(s) for s in _inner_selects(exact)), frozenset(_render(s) for s in _inner_selects(shape)),
        )

    def _qualified(self, tree: exp.Expr) -> exp.Expr:
        """Lower-cased unquoted identifiers; tables resolved to the space's full names (CTE names left alone)."""
        for ident in list(tree.find_all(exp.Identifier)):
            ident.set("this", ident.name.lower())
            ident.set("quoted", False)
        ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
        for table in tree.find_all(exp.Table):
            written = ".".join(p for p in (table.catalog, table.db, table.name) if p)
            full = self._names.get(written, set())
            if not table.name or (not table.db and table.name in ctes) or len(full) != 1:
                continue
            catalog, db, name = ([None] * 3 + next(iter(full)).split("."))[-3:]
            table.set("catalog", exp.to_identifier(catalog) if catalog else None)
            table.set("db", exp.to_identifier(db) if db else None)
            table.set("this", exp.to_identifier(name))
        return tree

    def _optimized(self, tree: exp.Expr) -> exp.Expr:
        """sqlglot's optimizer and internal-name canonicalization; the tree as it was if sqlglot gives up."""
        try:
            tree = optimize(tree, schema=self._schema, dialect=DIALECT, validate_qualify_columns=False,
                            identify=False)
            return canonicalize_internal_names(tree)
        except (SqlglotError, AttributeError, KeyError, TypeError, ValueError, RecursionError):
            return tree


@lru_cache(maxsize=8)
def shared_canonicalizer(tables: frozenset[str], columns: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()
                         ) -> SqlCanonicalizer:
    """One canonicalizer (and its memo) per set of tables and columns: a campaign's guards, built per iteration
    over the same tables, share the canonical forms of the holdout's queries."""
    return SqlCanonicalizer(tables, {table: dict(cols) for table, cols in columns})


def canonicalizer_for(tables: Iterable[str], columns: Mapping[str, Mapping[str, str]] | None = None) -> SqlCanonicalizer:
    """`shared_canonicalizer` for plain arguments."""
    names = frozenset(t.lower() for t in tables)
    cols = tuple(sorted((t.lower(), tuple(sorted((c.lower(), ty or "") for c, ty in v.items())))
                        for t, v in (columns or {}).items() if t.lower() in names))
    return shared_canonicalizer(names, cols)


# ----------------------------------------------------------------------------------------------- rewrites
def _rewritten(tree: exp.Expr, *, abstract: bool) -> exp.Expr:
    tree = tree.copy()
    for ident in list(tree.find_all(exp.Identifier)):  # canonicalize_internal_names quotes its names
        ident.set("quoted", False)
    for select in list(tree.find_all(exp.Select)):
        _resolve_output_aliases(select)
    tree = _bottom_up(tree, _equivalent)
    _name_aliases_after_tables(tree)
    for select in list(tree.find_all(exp.Select)):
        _drop_constant_items(select)
    if abstract:
        tree = tree.transform(_abstract)
    for select in list(tree.find_all(exp.Select)):
        _flatten_inner_joins(select)
    return _bottom_up(tree, _ordered)


def _bottom_up(tree: exp.Expr, fn: Callable[[exp.Expr], exp.Expr]) -> exp.Expr:
    """`fn` applied to every node after its children (so a parent sorts its already-sorted operands)."""
    root = tree
    for node in reversed(list(tree.walk(bfs=False))):
        new = fn(node)
        if new is not node:
            if node is root:
                root = new
            else:
                node.replace(new)
    return root


def _resolve_output_aliases(select: exp.Select) -> None:
    """`ORDER BY total` → the expression `total` names; then projections lose their aliases."""
    aliases = {item.alias: item.this for item in select.expressions if isinstance(item, exp.Alias)}
    for clause in ("order", "group", "having"):
        node = select.args.get(clause)
        for col in list(node.find_all(exp.Column)) if node is not None else []:
            if not col.table and col.name in aliases:
                col.replace(aliases[col.name].copy())
    select.set("expressions", [item.this if isinstance(item, exp.Alias) else item for item in select.expressions])


def _equivalent(node: exp.Expr) -> exp.Expr:
    """One spelling for equivalent forms: COUNT(1), COALESCE(agg, 0), numbers, flipped comparisons."""
    if isinstance(node, exp.Count) and isinstance(node.this, exp.Literal):
        return exp.Count(this=exp.Star())
    if isinstance(node, exp.Coalesce) and isinstance(node.this, exp.AggFunc) and len(node.expressions) == 1:
        default = node.expressions[0]
        if isinstance(default, exp.Literal) and not default.is_string and _number(default.this) == "0":
            return node.this
    if isinstance(node, exp.Literal) and not node.is_string:
        return exp.Literal.number(_number(node.this))
    flipped = _FLIPPED.get(type(node))
    if flipped is not None:
        return flipped(this=node.expression, expression=node.this)
    return node


def _number(text: str) -> str:
    """`500.00`, `5E2` and `500` alike (text beyond a sane exponent is kept as written)."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        return text
    if not value.is_finite() or abs(value.adjusted()) > 40:
        return text
    return format(value.normalize(), "f")


def _name_aliases_after_tables(tree: exp.Expr) -> None:
    """Table aliases (`o`, `_t0`) become their table's name when the table is read once: join order then no
    longer decides the names."""
    tables = [t for t in tree.find_all(exp.Table) if t.name]
    full = [".".join(p for p in (t.catalog, t.db, t.name) if p) for t in tables]
    renames: dict[str, str] = {}
    for table, name in zip(tables, full):
        if full.count(name) == 1 and table.alias:
            renames[table.alias] = name.replace(".", "__")
            table.set("alias", exp.TableAlias(this=exp.to_identifier(renames[table.alias])))
    for col in tree.find_all(exp.Column):
        if col.table in renames:
            col.set("table", exp.to_identifier(renames[col.table]))


def _drop_constant_items(select: exp.Select) -> None:
    """Select items that are constants add a column, not information (one item is always kept)."""
    items = select.expressions
    kept = [item for item in items if any(isinstance(n, _NOT_CONSTANT) for n in item.walk())]
    if kept and len(kept) < len(items):
        select.set("expressions", kept)


def _abstract(node: exp.Expr) -> exp.Expr:
    if isinstance(node, (exp.Literal, exp.Placeholder, exp.Boolean)):
        return exp.Placeholder(this="_")
    return node


def _flatten_inner_joins(select: exp.Select) -> None:
    """`FROM a JOIN b ON c WHERE w` → `FROM a, b WHERE c AND w`, sources sorted: inner joins commute."""
    joins = select.args.get("joins") or []
    source = select.args.get("from_")
    if not joins or source is None:
        return
    if any(j.side or (j.kind or "").upper() not in _INNER_KINDS or j.args.get("using") for j in joins):
        return
    conditions = [j.args["on"] for j in joins if j.args.get("on") is not None]
    where = select.args.get("where")
    if where is not None:
        conditions.append(where.this)
    sources = sorted([source.this, *(j.this for j in joins)], key=lambda s: s.sql(dialect=DIALECT))
    select.set("from_", exp.From(this=sources[0]))
    select.set("joins", [exp.Join(this=s) for s in sources[1:]])
    select.set("where", exp.Where(this=_chain(exp.And, conditions)) if conditions else None)


def _ordered(node: exp.Expr) -> exp.Expr:
    """Operands of commutative operators in one order (by their text)."""
    if isinstance(node, (exp.Connector, exp.Add, exp.Mul)):
        return _chain(type(node), sorted(_operands(node, type(node)), key=lambda p: p.sql(dialect=DIALECT)))
    if isinstance(node, _COMMUTATIVE):
        return _chain(type(node), sorted([node.this, node.expression], key=lambda p: p.sql(dialect=DIALECT)))
    return node


def _operands(node: exp.Expr, kind: type[exp.Expr]) -> list[exp.Expr]:
    """The operands of a chain of `kind` (`a AND (b AND c)` → a, b, c), through parentheses."""
    inner = node.unnest() if isinstance(node, exp.Paren) else node
    if isinstance(inner, kind):
        return [*_operands(inner.this, kind), *_operands(inner.expression, kind)]
    return [node]


def _chain(kind: type[exp.Expr], parts: list[exp.Expr]) -> exp.Expr:
    """`parts` joined left to right by the binary operator `kind` (no parentheses added)."""
    flat = [op for part in parts for op in _operands(part, kind)]
    joined = flat[0]
    for part in flat[1:]:
        joined = kind(this=joined, expression=part)
    return joined


def _inner_selects(tree: exp.Expr) -> list[exp.Expr]:
    return [node for node in tree.find_all(exp.Select) if node is not tree]


def _render(tree: exp.Expr) -> str:
    return tree.sql(dialect=DIALECT, normalize=True, identify=False)
