"""Resolve what a query's names point at: tables to three-part ids, columns to `catalog.schema.table.column`.

Why: the expected and the generated SQL name the same objects differently (aliases, CTEs, unqualified columns,
`ORDER BY` on a select alias), so facts are only comparable once every name is rewritten to the physical column
it reads. Qualification uses sqlglot's `qualify` with a schema built from the `Catalog`; every lookup degrades to
"unresolved" instead of failing, because diagnosis must work on any SQL Genie writes.
"""

from __future__ import annotations

from typing import Any

from sqlglot import exp
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import Scope

from genie_enhance.core.catalog import Catalog
from genie_enhance.sql import DIALECT

MAX_DEPTH = 12  # CTE/derived-table nesting followed when resolving a column to its physical origin
SUBQUERY = exp.Var(this="(subquery)")


def table_id(table: exp.Table) -> str:
    """The written name of a table, lower-cased (`catalog.schema.table` when fully written)."""
    return ".".join(p for p in (table.catalog, table.db, table.name) if p).lower()


def resolve_tables(tree: exp.Expr, catalog: Catalog) -> None:
    """Complete partially written table names (`orders`, `sales.orders`) from the catalog, in place.

    A name is completed only when exactly one catalog table ends with it; CTE names are left alone.
    """
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    for table in tree.find_all(exp.Table):
        name = table_id(table)
        if not table.name or name.count(".") >= 2 or name in ctes or catalog.has_table(name):
            continue
        matches = [t for t in catalog.tables if t.endswith("." + name)]
        if len(matches) == 1:
            cat, db, _ = matches[0].split(".", 2)
            table.set("catalog", exp.to_identifier(cat))
            table.set("db", exp.to_identifier(db))


def schema_for(tree: exp.Expr, catalog: Catalog) -> dict[str, Any]:
    """A nested sqlglot schema {catalog: {db: {table: {column: type}}}} of the catalog tables the query reads."""
    schema: dict[str, Any] = {}
    for table in tree.find_all(exp.Table):
        name = table_id(table)
        columns = catalog.columns(name)
        if name.count(".") == 2 and columns:
            cat, db, tbl = name.split(".")
            schema.setdefault(cat, {}).setdefault(db, {})[tbl] = {c: "STRING" for c in columns}
    return schema


def qualified(tree: exp.Expr, catalog: Catalog) -> tuple[exp.Expr, bool]:
    """The query with columns qualified by their source (stars expanded); the input tree when qualify fails."""
    try:
        return qualify(
            tree.copy(),
            schema=schema_for(tree, catalog),
            dialect=DIALECT,
            validate_qualify_columns=False,
            quote_identifiers=False,
            identify=False,
        ), True
    except Exception:  # sqlglot raises many error types on odd SQL; unqualified facts are still useful
        return tree, False


class Resolver:
    """Column resolution and canonical rendering within sqlglot scopes."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    # ---------------------------------------------------------------------------------------------- sources
    def source(self, col: exp.Column, scope: Scope) -> exp.Table | Scope | None:
        """The table or derived scope a column reads from (outer scopes searched for correlated columns)."""
        current: Scope | None = scope
        while current is not None:
            found = self._local_source(col, current)
            if found is not None:
                return found
            current = current.parent
        return None

    def _local_source(self, col: exp.Column, scope: Scope) -> exp.Table | Scope | None:
        sources = scope.sources
        if col.table:
            return sources.get(col.table) or sources.get(col.table.lower())
        if len(sources) == 1 and not self._alias_projection(col, scope):
            return next(iter(sources.values()))
        owners = [s for s in sources.values() if self._has_column(s, col.name)]
        return owners[0] if len(owners) == 1 else None

    def _has_column(self, source: exp.Table | Scope, name: str) -> bool:
        if isinstance(source, exp.Table):
            return self.catalog.has_column(table_id(source), name)
        return _projection(source, name) is not None

    def _alias_projection(self, col: exp.Column, scope: Scope) -> exp.Expr | None:
        """The select item a bare column refers to by its alias (`ORDER BY total`), if any."""
        if col.table or not isinstance(scope.expression, exp.Select):
            return None
        for item in scope.expression.selects:
            if isinstance(item, exp.Alias) and item.alias.lower() == col.name.lower():
                if not (isinstance(item.this, exp.Column) and item.this.name.lower() == col.name.lower()):
                    return item.this
        return None

    # ---------------------------------------------------------------------------------------------- columns
    def physical(self, col: exp.Column, scope: Scope, depth: int = 0) -> set[str]:
        """The physical columns (`cat.db.tbl.col`) a column reference reads, followed through CTEs and aliases."""
        if depth > MAX_DEPTH or isinstance(col.this, exp.Star):
            return set()
        source = self.source(col, scope)
        if isinstance(source, exp.Table):
            return {f"{table_id(source)}.{col.name.lower()}"}
        if isinstance(source, Scope):
            inner = first_branch(source)
            item = _projection(inner, col.name)
            return self.columns_of(item, inner, depth + 1) if item is not None else set()
        alias = self._alias_projection(col, scope)
        return self.columns_of(alias, scope, depth + 1) if alias is not None else set()

    def columns_of(self, node: exp.Expr, scope: Scope, depth: int = 0) -> set[str]:
        """All physical columns an expression reads (subqueries inside it excluded: they have their own scope)."""
        found: set[str] = set()
        for col in _own_columns(node):
            found |= self.physical(col, scope, depth)
        return found

    def column_text(self, col: exp.Column, scope: Scope, depth: int = 0) -> str:
        """The canonical text of a column: its physical name, the rendered expression it aliases, or `?.name`."""
        if depth > MAX_DEPTH:
            return col.name.lower()
        source = self.source(col, scope)
        if isinstance(source, exp.Table):
            return f"{table_id(source)}.{col.name.lower()}"
        if isinstance(source, Scope):
            inner = first_branch(source)
            item = _projection(inner, col.name)
            if item is not None:
                return self.render(item, inner, depth + 1)
            return f"{col.table.lower()}.{col.name.lower()}"
        alias = self._alias_projection(col, scope)
        if alias is not None:
            return self.render(alias, scope, depth + 1)
        return f"{col.table.lower() or '?'}.{col.name.lower()}"

    def is_resolved(self, col: exp.Column, scope: Scope) -> bool:
        return self.source(col, scope) is not None or self._alias_projection(col, scope) is not None

    # ---------------------------------------------------------------------------------------------- rendering
    def render(self, node: exp.Expr, scope: Scope, depth: int = 0) -> str:
        """Canonical SQL text of an expression: columns replaced by their physical names, subqueries elided."""
        node = node.unalias() if isinstance(node, exp.Alias) else node

        def swap(n: exp.Expr) -> exp.Expr:
            if isinstance(n, exp.Column) and not isinstance(n.this, exp.Star):
                return exp.Var(this=self.column_text(n, scope, depth))
            if n is not node and isinstance(n, (exp.Subquery, exp.Select, exp.SetOperation)):
                return SUBQUERY.copy()
            return n

        try:
            return node.transform(swap).sql(dialect=DIALECT)
        except Exception:  # rendering odd nodes must never break a diagnosis
            return node.sql(dialect=DIALECT)


def _own_columns(node: exp.Expr) -> list[exp.Column]:
    """Columns of an expression outside any nested subquery."""
    found = []
    for n in node.walk(prune=lambda n: n is not node and isinstance(n, (exp.Subquery, exp.Select, exp.SetOperation))):
        if isinstance(n, exp.Column) and not isinstance(n.this, exp.Star):
            found.append(n)
    return found


def first_branch(scope: Scope) -> Scope:
    """The left-most SELECT of a set operation (its projections name the result's columns)."""
    while scope.set_operation_scopes:
        scope = scope.set_operation_scopes[0]
    return scope


def _projection(scope: Scope, name: str) -> exp.Expr | None:
    """The select item named `name` in a derived scope, without its alias."""
    expression = scope.expression
    if not isinstance(expression, (exp.Select, exp.SetOperation)):
        return None
    for item in expression.selects:
        if item.alias_or_name.lower() == name.lower():
            return item.unalias()
    return None
