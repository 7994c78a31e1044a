"""SQL rules: join-spec shape, snippet fragments, statements (parse + read-only) and their parameters."""

from __future__ import annotations

import re
from collections.abc import Iterator

from sqlglot import exp

from genie_enhance.errors import ReadOnlySqlError, SqlParseError
from genie_enhance.space.lines import join_lines
from genie_enhance.space.model import JoinSpec, SerializedSpace
from genie_enhance.space.validation.locate import snippet_items, statements
from genie_enhance.space.validation.params import parameter_markers
from genie_enhance.space.validation.problems import Problem
from genie_enhance.sql import ensure_read_only

RELATIONSHIP_MARKERS = tuple(
    f"--rt=FROM_RELATIONSHIP_TYPE_{kind}--" for kind in ("MANY_TO_ONE", "ONE_TO_MANY", "ONE_TO_ONE", "MANY_TO_MANY")
)
_LEADING_WHERE = re.compile(r"\s*where\b", re.IGNORECASE)


def parse_condition(text: str) -> exp.Select:
    """A boolean fragment parsed as `SELECT 1 WHERE <text>` (raises `SqlParseError`/`ReadOnlySqlError`)."""
    return _one_select(ensure_read_only(f"SELECT 1 WHERE {text}\n"), text)


def parse_expression(text: str) -> exp.Select:
    """A value fragment parsed as `SELECT <text>` (raises `SqlParseError`/`ReadOnlySqlError`)."""
    return _one_select(ensure_read_only(f"SELECT {text}\n"), text)


def _one_select(tree: exp.Expr, text: str) -> exp.Select:
    """The fragment must stay inside its SELECT (`1 UNION SELECT 2` would turn it into another statement)."""
    if not isinstance(tree, exp.Select):
        raise SqlParseError(f"not a single SQL fragment: {text[:80]}")
    return tree


# ---------------------------------------------------------------------------------------------- join specs
def _join_sides(path: str, join: JoinSpec, space_tables: set[str]) -> Iterator[Problem]:
    for side_name in ("left", "right"):
        side = getattr(join, side_name)
        if not (side.alias or "").strip():
            yield Problem(f"{path}.{side_name}.alias", "join_alias", "join side needs an alias (used by the condition)")
        if side.identifier.lower() not in space_tables:
            yield Problem(
                f"{path}.{side_name}.identifier", "join_table", f"{side.identifier} is not a table of this space"
            )
    if join.left.alias and join.right.alias and join.left.alias.lower() == join.right.alias.lower():
        yield Problem(f"{path}.right.alias", "join_alias", "left and right need different aliases")


def _join_sql_shape(path: str, join: JoinSpec) -> Iterator[Problem]:
    if len(join.sql) != 2:
        yield Problem(
            f"{path}.sql", "join_sql_shape",
            f"join sql needs exactly two elements, the condition and a --rt=FROM_RELATIONSHIP_TYPE_…-- marker "
            f"(found {len(join.sql)})",
        )
    if len(join.sql) >= 2 and join.sql[1] not in RELATIONSHIP_MARKERS:
        yield Problem(
            f"{path}.sql[1]", "join_marker",
            f"{join.sql[1]!r} is not a relationship marker; expected one of {', '.join(RELATIONSHIP_MARKERS)}",
        )


def _join_condition(path: str, text: str, join: JoinSpec) -> Iterator[Problem]:
    """Equalities between a column of the left alias and a column of the right alias, one or several joined by AND
    (compound conditions appear in server exports)."""
    try:
        cond = parse_condition(text).args["where"].this.unnest()
    except (SqlParseError, ReadOnlySqlError) as exc:
        yield Problem(path, "join_condition", f"invalid join condition: {exc}")
        return
    for part in cond.flatten() if isinstance(cond, exp.And) else (cond,):
        problem = _join_equality(path, part.unnest(), join)
        if problem is not None:
            yield problem
            return


def _join_equality(path: str, cond: exp.Expr, join: JoinSpec) -> Problem | None:
    sides = (cond.this, cond.expression) if isinstance(cond, exp.EQ) else ()
    if not sides or not all(isinstance(s, exp.Column) and s.table for s in sides):
        return Problem(
            path, "join_condition",
            "the condition must be equalities between alias-qualified columns, e.g. `a`.`id` = `b`.`a_id`",
        )
    aliases = {(join.left.alias or "").lower(), (join.right.alias or "").lower()}
    qualifiers = {s.table.lower() for s in sides}
    if "" not in aliases and qualifiers != aliases:
        return Problem(
            path, "join_condition",
            f"the condition must compare a column of {join.left.alias} with a column of {join.right.alias} "
            f"(it uses {', '.join(sorted(qualifiers))})",
        )
    return None


def check_join_specs(space: SerializedSpace) -> Iterator[Problem]:
    """`left`/`right` with identifier and alias; `sql` = [alias equality, `--rt=…--` marker]."""
    space_tables = {t.identifier.lower() for t in space.all_tables()}
    for i, join in enumerate(space.instructions.join_specs):
        path = f"instructions.join_specs[{i}]"
        yield from _join_sides(path, join, space_tables)
        yield from _join_sql_shape(path, join)
        if join.sql and join.sql[0] not in RELATIONSHIP_MARKERS:
            yield from _join_condition(f"{path}.sql[0]", join.sql[0], join)


# ---------------------------------------------------------------------------------------------- snippets
def has_aggregate(select: exp.Select) -> bool:
    """Whether the projection aggregates at its own level (window functions and subqueries do not count)."""
    for node in select.find_all(exp.AggFunc, exp.Anonymous):
        if isinstance(node, exp.Anonymous) and node.name.upper() != "MEASURE":
            continue
        parent = node.parent
        while parent is not None and parent is not select and not isinstance(parent, (exp.Window, exp.Query)):
            parent = parent.parent
        if parent is select:
            return True
    return False


def _check_filter(path: str, text: str) -> Iterator[Problem]:
    if _LEADING_WHERE.match(text):
        yield Problem(path, "filter_where", "a filter is a boolean condition written without the WHERE keyword")
        return
    try:
        parse_condition(text)
    except (SqlParseError, ReadOnlySqlError) as exc:
        yield Problem(path, "snippet_sql", f"invalid filter condition: {exc}")


def _check_value(path: str, kind: str, text: str) -> Iterator[Problem]:
    try:
        select = parse_expression(text)
    except (SqlParseError, ReadOnlySqlError) as exc:
        yield Problem(path, "snippet_sql", f"invalid SQL expression: {exc}")
        return
    if len(select.expressions) != 1 or any(v for k, v in select.args.items() if k != "expressions"):
        yield Problem(path, "snippet_sql", "must be a single SQL expression (no FROM, WHERE, or list of values)")
    elif kind == "measures" and not has_aggregate(select):
        yield Problem(path, "measure_without_aggregate", "a measure should aggregate, e.g. SUM(orders.amount)")
    elif kind == "expressions" and has_aggregate(select):
        yield Problem(path, "expression_with_aggregate", "an expression should not aggregate; make it a measure")


def check_snippets(space: SerializedSpace) -> Iterator[Problem]:
    """Filters are WHERE-less conditions; expressions (with an alias) and measures parse as one expression."""
    for path, kind, snippet in snippet_items(space):
        if kind == "expressions" and not (getattr(snippet, "alias", "") or "").strip():
            yield Problem(f"{path}.alias", "snippet_alias", f"{kind[:-1]} needs a non-empty alias")
        text = join_lines(snippet.sql)
        if not text.strip():
            yield Problem(f"{path}.sql", "snippet_sql", "sql is empty")
        elif kind == "filters":
            yield from _check_filter(f"{path}.sql", text)
        else:
            yield from _check_value(f"{path}.sql", kind, text)


# ---------------------------------------------------------------------------------------------- statements
def check_statements(space: SerializedSpace) -> Iterator[Problem]:
    """Every example SQL and benchmark answer is one read-only statement in the Databricks dialect."""
    for st in statements(space):
        if not st.sql.strip():
            yield Problem(st.path, "sql_empty", "SQL is empty")
            continue
        try:
            ensure_read_only(st.sql)
        except ReadOnlySqlError as exc:
            yield Problem(st.path, "sql_not_read_only", str(exc))
        except SqlParseError as exc:
            yield Problem(st.path, "sql_parse", str(exc))


def check_parameters(space: SerializedSpace) -> Iterator[Problem]:
    """`:name` markers of an example and its declared `parameters` match both ways."""
    for st in statements(space):
        if st.example is None:
            continue
        used = {m.name.lower(): m.name for m in parameter_markers(st.sql)}
        declared = {p.name.lower() for p in st.example.parameters}
        for key, name in used.items():
            if key not in declared:
                yield Problem(st.path, "undeclared_parameter", f":{name} is used but not declared in parameters")
        for k, param in enumerate(st.example.parameters):
            if param.name.lower() not in used:
                yield Problem(
                    f"{st.owner}.parameters[{k}].name", "unused_parameter",
                    f"parameter {param.name} is declared but the SQL never uses :{param.name}",
                )
