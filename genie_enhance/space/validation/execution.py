"""Dry-run every SQL of a space on a warehouse: statements, and snippets and join conditions in context.

Parsing is not enough: `nosuchfn(x)`, a qualifier no table has, a missing column only fail when the warehouse
binds them. Fragments are run the way Genie uses them, each inside a query over the tables it names:
`SELECT <measure|expression> FROM <tables> LIMIT 0`, `SELECT 1 FROM <tables> WHERE <filter> LIMIT 0`,
`SELECT 1 FROM l JOIN r ON <condition> LIMIT 0`; statements are wrapped `SELECT * FROM (<sql>) LIMIT 0`.
LIMIT 0 is written into the SQL, so DuckDB and a Databricks warehouse both only plan it and judge it alike.
Because planning an empty result folds no constant, each constant part holding a cast (`'abc'::INT`, a bad
parameter default) is also evaluated on its own (`SELECT <part>`, no table read). SQL calling a denied function
is never sent (see `deny.py`); warehouse messages are scrubbed of secrets before they are reported.
"""

from __future__ import annotations

from collections.abc import Container, Iterator, MutableMapping
from dataclasses import dataclass

from sqlglot import exp

from genie_enhance.core.protocols import Warehouse
from genie_enhance.errors import ReadOnlySqlError, SqlParseError
from genie_enhance.redact import scrub_text
from genie_enhance.space.lines import join_lines
from genie_enhance.space.model import JoinSpec, SerializedSpace
from genie_enhance.space.validation.deny import DENIED_CODE, denied_calls
from genie_enhance.space.validation.locate import snippet_items, statements
from genie_enhance.space.validation.params import bind_parameters
from genie_enhance.space.validation.problems import Problem
from genie_enhance.space.validation.references import plain_identifier, snippet_qualifiers
from genie_enhance.space.validation.sql_checks import RELATIONSHIP_MARKERS, parse_condition, parse_expression
from genie_enhance.sql import DIALECT, ensure_read_only

STATEMENT_CODE = "sql_execution"
SNIPPET_CODE = "snippet_execution"
JOIN_CODE = "join_execution"
# Severity of this module's problem codes, for the validation severity table (one line to register).
_NOT_CONSTANT = (exp.Column, exp.Star, exp.Placeholder, exp.Parameter, exp.Query, exp.Subquery, exp.Table)


@dataclass
class Probe:
    """Ways to run one SQL item: it is fine when any `context` plans and every `constant` evaluates."""

    path: str
    code: str
    contexts: list[str]  # alternative in-context statements (an unqualified snippet: one per space table)
    constants: list[str]


# ---------------------------------------------------------------------------------------------- building
def _sql(node: exp.Expr) -> str:
    return node.sql(dialect=DIALECT)


def _limit_zero(query: exp.Select) -> str:
    return _sql(query.limit(0))


def wrap_limit_zero(sql: str) -> str:
    """A statement planned but returning no row, on any warehouse."""
    body = sql.strip().rstrip(";").rstrip()
    return f"SELECT * FROM (\n{body}\n) AS limit_zero_check LIMIT 0"


def constant_parts(tree: exp.Expr) -> list[exp.Expr]:
    """Maximal parts that read no column or table and hold a (non-TRY, non-NULL) cast: those a plan never folds."""
    if not isinstance(tree, exp.Condition) or any(isinstance(n, _NOT_CONSTANT) for n in tree.walk()):
        return [part for child in tree.iter_expressions() for part in constant_parts(child)]
    casts = [c for c in tree.find_all(exp.Cast) if not isinstance(c, exp.TryCast) and not isinstance(c.this, exp.Null)]
    return [tree] if casts else []


def _constants(tree: exp.Expr) -> list[str]:
    return [_sql(exp.select(part.copy())) for part in constant_parts(tree)]


def _table(identifier: str, alias: str | None) -> exp.Table:
    table = exp.to_table(identifier, dialect=DIALECT)
    if alias:
        table.set("alias", exp.TableAlias(this=exp.to_identifier(alias)))  # what `as_` does to a table, typed
    return table


def _from(query: exp.Select, tables: list[exp.Table]) -> exp.Select:
    query = query.from_(tables[0])
    for table in tables[1:]:
        query = query.join(table, join_type="cross")
    return query


def _fragment_tables(tree: exp.Expr, space: SerializedSpace) -> list[list[exp.Table]]:
    """The FROM lists to try: the tables the fragment's qualifiers name, else each table of the space in turn."""
    qualifiers = snippet_qualifiers(space)
    tables: dict[str, exp.Table] = {}
    for col in tree.find_all(exp.Column):
        if col.args.get("db"):  # `cat.sch.tbl.col` / `sch.tbl.col`: the table itself, unaliased
            parts = [p.name for p in (col.args.get("catalog"), col.args.get("db"), col.args.get("table")) if p]
            tables.setdefault(".".join(parts).lower(), exp.to_table(".".join(parts), dialect=DIALECT))
        elif col.table and col.table.lower() in qualifiers:
            tables.setdefault(col.table.lower(), _table(qualifiers[col.table.lower()], col.table))
    if tables:
        return [list(tables.values())]
    return [[_table(t.identifier, plain_identifier(t.identifier).rsplit(".", 1)[-1])] for t in space.all_tables()]


def _snippet_probe(path: str, kind: str, text: str, space: SerializedSpace) -> Probe | None:
    try:
        tree = parse_condition(text) if kind == "filters" else parse_expression(text)
    except (SqlParseError, ReadOnlySqlError):
        return None  # reported by check_snippets
    if kind == "filters":
        condition = tree.args["where"].this
        queries = [_from(exp.select("1"), t).where(condition.copy()) for t in _fragment_tables(condition, space)]
    else:
        value = tree.expressions[0]
        queries = [_from(exp.select(value.copy()), t) for t in _fragment_tables(value, space)]
    return Probe(path, SNIPPET_CODE, [_limit_zero(q) for q in queries], _constants(tree))


def _join_probe(path: str, join: JoinSpec, text: str) -> Probe | None:
    try:
        condition = parse_condition(text).args["where"].this
    except (SqlParseError, ReadOnlySqlError):
        return None  # reported by check_join_specs
    left, right = _table(join.left.identifier, join.left.alias), _table(join.right.identifier, join.right.alias)
    query = exp.select("1").from_(left).join(right, on=condition.copy())
    return Probe(path, JOIN_CODE, [_limit_zero(query)], _constants(condition))


def _statement_probe(path: str, sql: str) -> Probe | None:
    try:
        tree = ensure_read_only(sql)
    except (SqlParseError, ReadOnlySqlError):
        return None  # reported by check_statements
    return Probe(path, STATEMENT_CODE, [wrap_limit_zero(sql)], _constants(tree))


def probes(space: SerializedSpace) -> list[Probe]:
    """One probe per SQL item of the space, with the statements that check it."""
    out = []
    for st in statements(space):
        if st.sql.strip():
            out.append(_statement_probe(st.path, bind_parameters(st.sql, st.example.parameters if st.example else [])))
    for path, kind, snippet in snippet_items(space):
        text = join_lines(snippet.sql)
        if text.strip():
            out.append(_snippet_probe(f"{path}.sql", kind, text, space))
    for i, join in enumerate(space.instructions.join_specs):
        if join.sql and join.sql[0] not in RELATIONSHIP_MARKERS and join.sql[0].strip():
            out.append(_join_probe(f"instructions.join_specs[{i}].sql[0]", join, join.sql[0]))
    return [p for p in out if p is not None]


# ---------------------------------------------------------------------------------------------- running
def _failure(warehouse: Warehouse, sql: str, limit: int) -> str | None:
    """The warehouse's one-line message if `sql` fails (secrets scrubbed), else None. Denied SQL is never sent."""
    try:
        calls = [c for c in denied_calls(ensure_read_only(sql)) if c.rule.code == DENIED_CODE]
    except (SqlParseError, ReadOnlySqlError) as exc:
        return str(exc)
    if calls:
        return f"not run: calls {calls[0].written}"
    try:
        warehouse.execute(sql, limit=limit)
    except Exception as exc:  # noqa: BLE001 - whatever the warehouse raises is the finding we report
        return scrub_text(" ".join(str(exc).split()))
    return None


ExecutionCache = MutableMapping[tuple[str, int], "str | None"]


def _cached_failure(warehouse: Warehouse, sql: str, limit: int, cache: ExecutionCache | None) -> str | None:
    if cache is None:
        return _failure(warehouse, sql, limit)
    if (sql, limit) not in cache:
        cache[(sql, limit)] = _failure(warehouse, sql, limit)
    return cache[(sql, limit)]


def _probe_failure(warehouse: Warehouse, probe: Probe, cache: ExecutionCache | None) -> str | None:
    errors = []
    for sql in probe.contexts:
        error = _cached_failure(warehouse, sql, 0, cache)
        if error is None:
            break
        errors.append(error)
    else:
        if errors:
            return errors[0] if len(errors) == 1 else f"fails on every table of the space, e.g.: {errors[0]}"
    return next((e for e in (_cached_failure(warehouse, sql, 1, cache) for sql in probe.constants) if e), None)


def check_execution(
    space: SerializedSpace, warehouse: Warehouse, *, skip: Container[str] = (), cache: ExecutionCache | None = None
) -> Iterator[Problem]:
    """Run every statement, snippet and join condition in context (LIMIT 0); report the warehouse's error.

    Items whose path is in `skip` (already reported: unparseable, denied) are not run. `cache` (statement →
    outcome) lets a caller validating many variants of one space in a short while (a batch) run each SQL once.
    """
    for probe in probes(space):
        if probe.path in skip:
            continue
        error = _probe_failure(warehouse, probe, cache)
        if error:
            yield Problem(probe.path, probe.code, f"fails on the warehouse: {error}")
