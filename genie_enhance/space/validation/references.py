"""Catalog rules: every table and column a space names (in data sources or in any SQL) exists in the warehouse.

Qualified column references (`alias.col`, `table.col`) are checked where the qualifier resolves to a real table;
unqualified columns are not, since they may be projection aliases or belong to any table in scope.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.scope import Scope, traverse_scope

from genie_enhance.core.catalog import Catalog
from genie_enhance.errors import ReadOnlySqlError, SqlParseError
from genie_enhance.space.lines import join_lines
from genie_enhance.space.model import SerializedSpace
from genie_enhance.space.validation.locate import snippet_items, statements, table_items
from genie_enhance.space.validation.problems import Problem
from genie_enhance.space.validation.sql_checks import RELATIONSHIP_MARKERS, parse_condition, parse_expression
from genie_enhance.sql import DIALECT, ensure_read_only, referenced_tables


def plain_identifier(identifier: str) -> str:
    """`\\`cat\\`.sch.tbl` → `cat.sch.tbl` (lower-cased), the form `Catalog` keys use."""
    try:
        return ".".join(p.name for p in exp.to_table(identifier, dialect=DIALECT).parts).lower()
    except SqlglotError:
        return identifier.lower()


def resolve_table(catalog: Catalog, name: str) -> str | None:
    """The catalog table a (possibly 1- or 2-part) name refers to: exact, else the unique suffix match."""
    name = name.lower()
    if catalog.has_table(name):
        return name
    matches = [t for t in catalog.tables if t.endswith("." + name)]
    return matches[0] if len(matches) == 1 else None


def _table_exists(catalog: Catalog, name: str) -> bool:
    name = name.lower()
    return catalog.has_table(name) or any(t.endswith("." + name) for t in catalog.tables)


def _column_problem(path: str, catalog: Catalog, table: str, qualifier: str, column: str) -> Problem | None:
    if catalog.has_table(table) and not catalog.has_column(table, column):
        return Problem(path, "unknown_column", f"column {qualifier}.{column} does not exist in {table}")
    return None


def check_catalog_tables(space: SerializedSpace, catalog: Catalog) -> Iterator[Problem]:
    """Every table / metric view exists, and so does every configured column."""
    for path, table in table_items(space):
        ident = plain_identifier(table.identifier)
        if not catalog.has_table(ident):
            yield Problem(f"{path}.identifier", "unknown_table", f"table {table.identifier} does not exist")
            continue
        for j, col in enumerate(table.column_configs):
            if not catalog.has_column(ident, col.column_name):
                yield Problem(
                    f"{path}.column_configs[{j}].column_name", "unknown_column",
                    f"column {col.column_name} does not exist in {table.identifier}",
                )


def _source_table(scope: Scope | None, qualifier: str) -> exp.Table | None:
    """The physical table a qualifier names in this scope or an enclosing one (None for CTEs/subqueries)."""
    while scope is not None:
        sources = {k.lower(): v for k, v in scope.sources.items()}
        if qualifier in sources:
            source = sources[qualifier]
            return source if isinstance(source, exp.Table) else None
        scope = scope.parent
    return None


def _tree_problems(path: str, tree: exp.Expr, catalog: Catalog) -> Iterator[Problem]:
    """Unknown tables, and `qualifier.column` references to columns their table does not have."""
    for name in referenced_tables(tree):
        if not _table_exists(catalog, name):
            yield Problem(path, "unknown_table", f"table {name} does not exist")
    try:
        scopes = traverse_scope(tree)
    except SqlglotError:
        return
    for scope in scopes:
        for col in scope.columns:
            if not col.table or col.args.get("db") or isinstance(col.this, exp.Star):
                continue
            source = _source_table(scope, col.table.lower())
            table = resolve_table(catalog, ".".join(p.name for p in source.parts)) if source is not None else None
            problem = table and _column_problem(path, catalog, table, col.table, col.name)
            if problem:
                yield problem


def check_statement_references(space: SerializedSpace, catalog: Catalog) -> Iterator[Problem]:
    """Tables and qualified columns of every example SQL and benchmark answer exist."""
    for st in statements(space):
        try:
            tree = ensure_read_only(st.sql)
        except (SqlParseError, ReadOnlySqlError):
            continue  # reported by check_statements
        yield from _tree_problems(st.path, tree, catalog)


def check_join_references(space: SerializedSpace, catalog: Catalog) -> Iterator[Problem]:
    """Both join tables exist, and `alias.col` in the condition names a column of the aliased table."""
    for i, join in enumerate(space.instructions.join_specs):
        path = f"instructions.join_specs[{i}]"
        by_alias: dict[str, str] = {}
        for side_name in ("left", "right"):
            side = getattr(join, side_name)
            ident = plain_identifier(side.identifier)
            if not catalog.has_table(ident):
                yield Problem(
                    f"{path}.{side_name}.identifier", "unknown_table", f"table {side.identifier} does not exist"
                )
            if side.alias:
                by_alias[side.alias.lower()] = ident
        if not join.sql or join.sql[0] in RELATIONSHIP_MARKERS:
            continue
        try:
            tree = parse_condition(join.sql[0])
        except (SqlParseError, ReadOnlySqlError):
            continue  # reported by check_join_specs
        for col in tree.find_all(exp.Column):
            table = by_alias.get(col.table.lower()) if col.table and not col.args.get("db") else None
            problem = table and _column_problem(f"{path}.sql[0]", catalog, table, col.table, col.name)
            if problem:
                yield problem


def snippet_qualifiers(space: SerializedSpace) -> dict[str, str]:
    """Qualifiers a snippet may use: a space table's name (when unambiguous) and the join-spec aliases."""
    candidates: dict[str, set[str]] = {}
    for table in space.all_tables():
        ident = plain_identifier(table.identifier)
        candidates.setdefault(ident.rsplit(".", 1)[-1], set()).add(ident)
    for join in space.instructions.join_specs:
        for side in (join.left, join.right):
            if side.alias:
                candidates.setdefault(side.alias.lower(), set()).add(plain_identifier(side.identifier))
    return {q: next(iter(t)) for q, t in candidates.items() if len(t) == 1}


def check_snippet_references(space: SerializedSpace, catalog: Catalog) -> Iterator[Problem]:
    """`table.col` in filters, expressions and measures names a column that exists."""
    qualifiers = snippet_qualifiers(space)
    for path, kind, snippet in snippet_items(space):
        text = join_lines(snippet.sql)
        try:
            tree = parse_condition(text) if kind == "filters" else parse_expression(text)
        except (SqlParseError, ReadOnlySqlError):
            continue  # reported by check_snippets
        for name in referenced_tables(tree):
            if not _table_exists(catalog, name):
                yield Problem(f"{path}.sql", "unknown_table", f"table {name} does not exist")
        for col in tree.find_all(exp.Column):
            table = qualifiers.get(col.table.lower()) if col.table and not col.args.get("db") else None
            problem = table and _column_problem(f"{path}.sql", catalog, table, col.table, col.name)
            if problem:
                yield problem
