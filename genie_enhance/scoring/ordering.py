"""What the expected SQL's outermost ORDER BY means for the comparison, and the query that reveals its ties.

Only the outermost query's ORDER BY makes order matter. To compare runs of tied rows as multisets we need each
row's ORDER BY key values: every key is resolved to an output column (ordinal, alias or name, identical
expression, `ORDER BY ALL`); a key that is not an output column is added as a hidden projection `__ge_ord_<i>`
(not possible under DISTINCT or for set operations). Under `ORDER BY … LIMIT n [OFFSET m]` the fetch is widened
to `m + n + tie_rows` rows without offset, so the rows tied with the boundary rows beyond the window are known.
When the rewrite is impossible the plan falls back to strict positional order and says why.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlglot import exp
from sqlglot.optimizer.normalize_identifiers import normalize_identifiers

from genie_enhance.core.required import required
from genie_enhance.sql import DIALECT

HIDDEN_PREFIX = "__ge_ord_"


@dataclass
class OrderPlan:
    """How to run the expected SQL and read its order. `keys`: output column indices (None = strict order)."""

    sql: str
    order: str = "none"  # none | ties | strict
    keys: list[int] | None = None
    all_keys: bool = False  # ORDER BY ALL: every visible output column is a key
    hidden: int = 0  # hidden key columns appended at the end of the output
    start: int = 0  # OFFSET of the window
    count: int | None = None  # LIMIT of the window
    widened: bool = False  # the fetch goes `tie_rows` beyond the window
    fetch: int | None = None  # rows the rewritten query returns at most
    rewritten: bool = False  # `sql` differs from the query as written
    notes: list[str] = field(default_factory=list)


def plan_order(sql: str, tree: exp.Expr, tie_rows: int = 1000) -> OrderPlan:
    """The plan for a parsed read-only query `tree` (its text `sql` is run as is when no rewrite is needed)."""
    while isinstance(tree, exp.Subquery) and not any(tree.args.get(k) for k in ("order", "limit", "offset")):
        tree = tree.this  # a parenthesised query: its own ORDER BY is the outermost one
    order = tree.args.get("order")
    limit_node = tree.args.get("limit")
    if order is None or not order.expressions:
        plan = OrderPlan(sql)
        if limit_node is not None:
            plan.notes.append("LIMIT without ORDER BY: the expected rows are an arbitrary subset")
        return plan
    if isinstance(tree, exp.Select):
        resolved = _resolve_select(tree, order.expressions)
    else:
        resolved = _resolve_output_only(tree, order.expressions)
    if resolved is None:
        return OrderPlan(sql, "strict", notes=["ORDER BY keys could not be resolved to output columns: "
                                                "order compared strictly by position"])
    keys, hidden_exprs, all_keys = resolved
    window = _window(tree)
    if window is None:
        return OrderPlan(sql, "strict", notes=["LIMIT/OFFSET is not a literal: order compared strictly by position"])
    start, count = window
    plan = OrderPlan(sql, "ties", keys=keys, all_keys=all_keys, hidden=len(hidden_exprs), start=start, count=count)
    if not plan.hidden and count is None and start == 0:
        return plan
    rewritten = tree.copy()
    for k, expr in enumerate(hidden_exprs):  # hidden keys come from a SELECT's own expressions
        required(rewritten if isinstance(rewritten, exp.Query) else None, "a query").select(
            exp.alias_(expr.copy(), f"{HIDDEN_PREFIX}{k}"), append=True, copy=False)
    if count is not None or start:
        plan.widened = count is not None
        plan.fetch = start + count + tie_rows if count is not None else None
        rewritten.set("offset", None)
        rewritten.set("limit", exp.Limit(expression=exp.Literal.number(plan.fetch)) if plan.fetch is not None else None)
    plan.sql = rewritten.sql(dialect=DIALECT)
    plan.rewritten = True
    return plan


def _window(tree: exp.Expr) -> tuple[int, int | None] | None:
    limit = tree.args.get("limit")
    offset = tree.args.get("offset")
    count: int | None = None
    if limit is not None:
        node = limit.args.get("count") if isinstance(limit, exp.Fetch) else limit.expression
        if not (isinstance(node, exp.Literal) and node.is_int):
            return None
        count = int(node.this)
    start = 0
    if offset is not None:
        node = offset.expression
        if not (isinstance(node, exp.Literal) and node.is_int):
            return None
        start = int(node.this)
    return start, count


def _norm(e: exp.Expr) -> exp.Expr:
    return normalize_identifiers(e.copy(), dialect=DIALECT)


def _resolve_select(
    tree: exp.Select, ordered: list[exp.Expr]
) -> tuple[list[int], list[exp.Expr], bool] | None:
    projections = list(tree.expressions)
    has_star = any(isinstance(p, exp.Star) or p.is_star for p in projections)
    names = [p.alias_or_name.lower() for p in projections]
    aliases = {p.alias.lower() for p in projections if p.alias}
    bodies = [_norm(p.unalias()) for p in projections]
    distinct = tree.args.get("distinct") is not None
    keys: list[int] = []
    hidden: list[exp.Expr] = []
    for item in ordered:
        key = item.this
        if isinstance(key, exp.Var) and key.name.upper() == "ALL" and len(ordered) == 1:
            return [], [], True
        if isinstance(key, exp.Literal) and key.is_int:
            if int(key.this) < 1:
                return None
            keys.append(int(key.this) - 1)
            continue
        if isinstance(key, exp.Column) and not key.table and key.name.lower() in names:
            if has_star:
                if key.name.lower() in aliases:
                    return None  # position of an alias after * is unknown before running
            else:
                keys.append(names.index(key.name.lower()))
                continue
        norm = _norm(key)
        if not has_star and norm in bodies:
            keys.append(bodies.index(norm))
            continue
        if distinct:
            return None  # a hidden key column would change what DISTINCT removes
        hidden.append(key)
        keys.append(-len(hidden))  # placeholder, resolved against the output width at run time
    return keys, hidden, False


def _resolve_output_only(
    tree: exp.Expr, ordered: list[exp.Expr]
) -> tuple[list[int], list[exp.Expr], bool] | None:
    """Set operations and parenthesised queries: keys may only name output columns."""
    try:
        names = [n.lower() for n in tree.named_selects] if isinstance(tree, exp.Query) else []
    except AttributeError:
        names = []
    keys: list[int] = []
    for item in ordered:
        key = item.this
        if isinstance(key, exp.Var) and key.name.upper() == "ALL" and len(ordered) == 1:
            return [], [], True
        if isinstance(key, exp.Literal) and key.is_int and int(key.this) >= 1:
            keys.append(int(key.this) - 1)
        elif isinstance(key, exp.Column) and not key.table and key.name.lower() in names and "*" not in names:
            keys.append(names.index(key.name.lower()))
        else:
            return None
    return keys, [], False
