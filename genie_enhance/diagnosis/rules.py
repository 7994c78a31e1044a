"""Rules mapping the fact diff of expected vs generated SQL to one failure category, in precedence order.

Why an ordered list: one wrong choice usually shows up in several facts (a wrong table also changes the columns,
joins and filters), so the earliest, most fundamental difference is the cause and the later ones are symptoms.
Each rule returns a `Finding` (category, evidence, summary, primary evidence key) or None when it does not apply.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, NamedTuple

from genie_enhance.diagnosis.sql_facts import JoinEdge, SqlFacts
from genie_enhance.diagnosis.visibility import SpaceView
from genie_enhance.scoring.categories import FailureCategory as C

_FULL_NAME = re.compile(r"\b[A-Za-z_][\w$]*\.[A-Za-z_][\w$]*\.([A-Za-z_][\w$]*)(\.[A-Za-z_][\w$]*)?\b")
_Q = r"[`\"']?"
_COLUMN_ERRORS = tuple(re.compile(p, re.IGNORECASE) for p in (
    rf"Referenced column {_Q}([\w.$]+)",  # DuckDB
    rf"does not have a column named {_Q}([\w.$]+)",  # DuckDB, qualified
    rf"with name {_Q}([\w.$]+){_Q} cannot be resolved",  # Databricks UNRESOLVED_COLUMN
    rf"column {_Q}([\w.$]+){_Q} (?:not found|does not exist|cannot be resolved)",
))


class Finding(NamedTuple):
    category: C
    evidence: dict[str, Any]
    summary: str
    key: str


def short(text: str) -> str:
    """Names without catalog and schema, for summaries: `shop.sales.orders.amt` → `orders.amt`."""
    return _FULL_NAME.sub(lambda m: m.group(1) + (m.group(2) or ""), text)


def _names(items: list[str] | set[str]) -> str:
    return ", ".join(short(i) for i in sorted(items)) or "nothing"


# ---------------------------------------------------------------------------------------------- tables
def missing_table(e: SqlFacts, g: SqlFacts, view: SpaceView, error: str) -> Finding | None:
    missing, extra = sorted(e.tables - g.tables), sorted(g.tables - e.tables)
    absent = [t for t in missing if not view.has_table(t)]
    reads_none = bool(e.tables) and not e.tables & g.tables
    if not absent and not reads_none:
        return None
    evidence = {"missing_tables": missing, "extra_tables": extra, "not_in_space": absent,
                "unknown_tables": view.unknown_tables(g.tables)}
    if absent:
        summary = f"needs {_names(absent)}, which {'is' if len(absent) == 1 else 'are'} not in the space"
    else:
        summary = f"reads {_names(extra)} where {_names(missing)} was expected"
    return Finding(C.MISSING_TABLE, evidence, summary, (absent or missing)[0])


# ---------------------------------------------------------------------------------------------- joins
def _edge_key(edge: JoinEdge) -> tuple[str, str, str]:
    left, right = sorted((edge.left, edge.right))
    return left, right, edge.condition


def _pair(edge: JoinEdge | tuple[str, str, str]) -> str:
    left, right, _ = _edge_key(edge) if isinstance(edge, JoinEdge) else edge
    return f"{left} + {right}"


def wrong_join(e: SqlFacts, g: SqlFacts, view: SpaceView, error: str) -> Finding | None:
    missing_t, extra_t = sorted(e.tables - g.tables), sorted(g.tables - e.tables)
    e_edges = {_edge_key(j): j for j in e.joins}
    g_edges = {_edge_key(j): j for j in g.joins}
    missing_j = sorted(set(e_edges) - set(g_edges))
    extra_j = sorted(set(g_edges) - set(e_edges))
    kinds = sorted(k for k in set(e_edges) & set(g_edges) if e_edges[k] != g_edges[k])
    if not (missing_t or extra_t or missing_j or extra_j or kinds):
        return None
    evidence: dict[str, Any] = {
        "expected_joins": [e_edges[k].as_list() for k in sorted(e_edges)],
        "generated_joins": [g_edges[k].as_list() for k in sorted(g_edges)],
        "missing_joins": [list(k) for k in missing_j], "extra_joins": [list(k) for k in extra_j],
        "missing_tables": missing_t, "extra_tables": extra_t, "unknown_tables": view.unknown_tables(g.tables),
    }
    if kinds:
        evidence["join_kinds"] = [{"join": list(k), "expected": _kind(e_edges[k]), "generated": _kind(g_edges[k])}
                                  for k in kinds]
    differing = missing_j or extra_j or kinds
    key = _pair(differing[0]) if differing else " + ".join(sorted(e.tables))
    summary = _join_summary(missing_t, extra_t, evidence["unknown_tables"], missing_j, extra_j, kinds)
    return Finding(C.WRONG_JOIN, evidence, summary, key)


def _kind(edge: JoinEdge) -> str:
    return f"LEFT JOIN keeping {edge.left}" if edge.kind == "LEFT" else edge.kind


def _join_summary(missing_t: list[str], extra_t: list[str], unknown_t: list[str], missing_j: list, extra_j: list,
                  kinds: list) -> str:
    if missing_t:
        return f"does not join {_names(missing_t)}, which the question needs"
    if unknown_t:
        return f"joins {_names(unknown_t)}, which does not exist"
    if extra_t:
        return f"joins {_names(extra_t)}, which the question does not need"
    if missing_j and extra_j:
        return f"joins on {short(extra_j[0][2])} where {short(missing_j[0][2])} was expected"
    if missing_j:
        return f"misses the join {short(missing_j[0][2])}"
    if extra_j:
        return f"adds the join condition {short(extra_j[0][2])}"
    return f"uses a different join type between {_names(list(kinds[0][:2]))}"


# ---------------------------------------------------------------------------------------------- columns
def missing_column(e: SqlFacts, g: SqlFacts, view: SpaceView, error: str) -> Finding | None:
    status = {c: view.column_status(c) for c in sorted(e.columns - g.columns)}
    hidden = [c for c, s in status.items() if s is not None]
    unknown = view.unknown_columns(g.columns) + _unresolved(g, view)
    error_column = _error_column(error)
    if not (hidden or unknown or error_column):
        return None
    excluded = [c for c in hidden if status[c] == "excluded"]
    evidence: dict[str, Any] = {"missing_columns": hidden, "excluded_columns": excluded, "unknown_columns": unknown}
    if error_column:
        evidence["sql_error"] = error
    if hidden:
        why = "excluded from the space" if status[hidden[0]] == "excluded" else "not in the warehouse"
        return Finding(C.MISSING_COLUMN, evidence, f"never uses {short(hidden[0])}, which is {why}", hidden[0])
    if unknown:
        return Finding(C.MISSING_COLUMN, evidence, f"uses {_names(unknown)}, which does not exist", unknown[0])
    summary = f"references a column that does not exist ({error_column})"
    return Finding(C.MISSING_COLUMN, evidence, summary, error_column.lower())


def _error_column(error: str) -> str:
    """The column a "column not found" SQL error names ('' for other errors)."""
    matches = (p.search(error) for p in _COLUMN_ERRORS) if error else ()
    return next((m.group(1) for m in matches if m), "")


def _unresolved(g: SqlFacts, view: SpaceView) -> list[str]:
    """Unqualified, unattributed columns of the generated SQL that none of its (known) tables has.

    Qualified ones (`p.open` of a PIVOT, a struct field) may name columns a construct created, so they are left out.
    """
    known = [t for t in g.tables if view.catalog.has_table(t)]
    if not known or len(known) != len(g.tables):
        return []
    names = {c[2:] for c in g.unresolved_columns if c.startswith("?.")}
    return sorted(n for n in names if not any(view.catalog.has_column(t, n) for t in known))


def _output_columns(f: SqlFacts) -> set[str]:
    return f.select_columns | f.group_columns | {c for a in f.aggregates for c in a.columns}


def wrong_column(e: SqlFacts, g: SqlFacts, view: SpaceView, error: str) -> Finding | None:
    eo, go = _output_columns(e), _output_columns(g)
    missing, extra = sorted(eo - go), sorted(go - eo)
    if not (missing or extra):
        return None
    pairs, missing, extra = _pair_columns(missing, extra)
    evidence: dict[str, Any] = {"wrong_columns": pairs, "missing_columns": missing, "extra_columns": extra}
    ea, ga = sorted(a.text for a in e.aggregates), sorted(a.text for a in g.aggregates)
    computes = f" (computes {_names(ga)} where {_names(ea)} was expected)" if ea != ga else ""
    if ea != ga:
        evidence.update(expected_aggregates=ea, generated_aggregates=ga)
    if pairs:
        first = pairs[0]
        summary = f"uses {short(first['generated'])} where {short(first['expected'])} was expected"
        return Finding(C.WRONG_COLUMN, evidence, summary, first["expected"])
    if missing:
        return Finding(C.WRONG_COLUMN, evidence, f"does not use {_names(missing)}{computes}", missing[0])
    return Finding(C.WRONG_COLUMN, evidence, f"also uses {_names(extra)}{computes}", extra[0])


def _pair_columns(missing: list[str], extra: list[str]) -> tuple[list[dict[str, str]], list[str], list[str]]:
    """Pair each expected-only column with a generated-only one, preferring a column of the same table."""
    pairs, left, rest = [], [], list(extra)
    for column in missing:
        table = column.rpartition(".")[0]
        match = next((c for c in rest if c.rpartition(".")[0] == table), rest[0] if rest else None)
        if match is None:
            left.append(column)
            continue
        rest.remove(match)
        pairs.append({"expected": column, "generated": match})
    return pairs, left, rest


# ---------------------------------------------------------------------------------------------- aggregation
def wrong_aggregation(e: SqlFacts, g: SqlFacts, view: SpaceView, error: str) -> Finding | None:
    if e.aggregate_funcs() != g.aggregate_funcs():
        ea, ga = sorted(a.text for a in e.aggregates), sorted(a.text for a in g.aggregates)
        evidence = {"expected_aggregates": ea, "generated_aggregates": ga}
        key = next((a for a in ea if a not in ga), None) or next((a for a in ga if a not in ea), "")
        summary = f"computes {_names(ga) if ga else 'no aggregate'} where {_names(ea) if ea else 'none'} was expected"
        return Finding(C.WRONG_AGGREGATION, evidence, summary, key)
    same_columns = e.group_columns == g.group_columns and e.group_by != g.group_by
    if len(e.group_by) == len(g.group_by) and not same_columns:
        return None
    eg, gg = sorted(e.group_by), sorted(g.group_by)
    evidence = {"expected_group_by": eg, "generated_group_by": gg,
                "expected_aggregates": sorted(a.text for a in e.aggregates),
                "generated_aggregates": sorted(a.text for a in g.aggregates)}
    summary = f"groups by {_names(gg) if gg else 'nothing'} where {_names(eg) if eg else 'no grouping'} was expected"
    return Finding(C.WRONG_AGGREGATION, evidence, summary, "GROUP BY " + (", ".join(eg) or "(none)"))


# ---------------------------------------------------------------------------------------------- filters
def wrong_filter(e: SqlFacts, g: SqlFacts, view: SpaceView, error: str) -> Finding | None:
    e_preds, g_preds = {p.text: p for p in e.predicates}, {p.text: p for p in g.predicates}
    missing, extra = sorted(set(e_preds) - set(g_preds)), sorted(set(g_preds) - set(e_preds))
    if not (missing or extra):
        return None
    evidence: dict[str, Any] = {
        "missing_predicates": missing, "extra_predicates": extra,
        "missing_literals": sorted(e.literals - g.literals), "extra_literals": sorted(g.literals - e.literals),
    }
    if e.years != g.years:
        evidence.update(missing_years=sorted(e.years - g.years), extra_years=sorted(g.years - e.years))
    key = e_preds[missing[0]].target if missing else g_preds[extra[0]].target
    if missing and extra:
        summary = f"filters {short(extra[0])} where {short(missing[0])} was expected"
    elif missing:
        summary = f"misses the filter {short(missing[0])}"
    else:
        summary = f"adds the filter {short(extra[0])}"
    return Finding(C.WRONG_FILTER, evidence, summary, key)


# ---------------------------------------------------------------------------------------------- the rest
def semantic_difference(e: SqlFacts, g: SqlFacts, view: SpaceView, error: str) -> Finding:
    """Always applies: what is left when tables, joins, columns, aggregates and filters all agree."""
    evidence: dict[str, Any]
    if (e.order_by, e.limit) != (g.order_by, g.limit):
        evidence = {"order_limit": {"expected": {"order_by": e.order_by, "limit": e.limit},
                                    "generated": {"order_by": g.order_by, "limit": g.limit}}}
        summary = f"orders/limits by {_order_text(g)} where {_order_text(e)} was expected"
        return Finding(C.SEMANTIC_DIFFERENCE, evidence, summary, "order_limit")
    if e.distinct != g.distinct:
        evidence = {"expected_distinct": e.distinct, "generated_distinct": g.distinct}
        summary = "uses SELECT DISTINCT" if g.distinct else "misses SELECT DISTINCT"
        return Finding(C.SEMANTIC_DIFFERENCE, evidence, summary, "distinct")
    if sorted(e.select) != sorted(g.select):
        evidence = {"expected_select": e.select, "generated_select": g.select}
        summary = f"computes {_names(g.select)} where {_names(e.select)} was expected"
        return Finding(C.SEMANTIC_DIFFERENCE, evidence, summary, "expression")
    summary = "no difference visible in the SQL facts" + (f"; {error}" if error else "")
    return Finding(C.SEMANTIC_DIFFERENCE, {"no_visible_difference": True}, summary, "no_visible_difference")


def _order_text(f: SqlFacts) -> str:
    order = ", ".join(short(o) for o in f.order_by) or "no order"
    return order + (f" LIMIT {f.limit}" if f.limit is not None else "")


Rule = Callable[[SqlFacts, SqlFacts, SpaceView, str], "Finding | None"]

RULES: tuple[Rule, ...] = (
    missing_table, wrong_join, missing_column, wrong_aggregation, wrong_filter, wrong_column, semantic_difference,
)
