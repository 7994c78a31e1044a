"""Parameterized example SQL: the last resort for a train failure no lighter fix addresses or that stayed failing.

The example is the train question with its expected SQL, where every literal the question spells out (a value, a
number, a year, a date) becomes a `:parameter` whose default is the train value, so the example answers the same
question for other values instead of memorising one answer. Literals the question does not spell out (thresholds,
codes of a business definition) stay in the SQL: they are part of the definition. `LIMIT` counts stay literal.
"""

from __future__ import annotations

import re
from datetime import date

from sqlglot import exp

from genie_enhance.proposers.heuristic.case import Candidate, FailureCase, Workbench
from genie_enhance.proposers.heuristic.phrases import literal_named
from genie_enhance.space.fixes import AddExampleSql, ExampleParameter
from genie_enhance.sql import DIALECT, ensure_read_only

_PARTS = {exp.Year: "year", exp.Month: "month", exp.Quarter: "quarter", exp.Day: "day"}


def _type_hint(lit: exp.Literal) -> str:
    if lit.is_string:
        try:
            date.fromisoformat(lit.this)
            return "DATE"
        except ValueError:
            return "STRING"
    return "INT" if re.fullmatch(r"-?\d+", lit.this) else "DECIMAL"


def _parameter_name(lit: exp.Literal) -> str:
    """Named after what the literal is compared with: `year` for YEAR(x) = 2024, the column name otherwise."""
    parent = lit.parent
    while parent is not None and not isinstance(parent, (exp.Predicate, exp.In, exp.Between)):
        parent = parent.parent
    if parent is None:
        return "value"
    left = parent.this
    part = next((name for cls, name in _PARTS.items() if left.find(cls) is not None), None)
    if part:
        return part
    column = left.find(exp.Column) if isinstance(left, exp.Expression) else None
    return re.sub(r"\W", "_", column.name.lower()) if column is not None else "value"


def parameterize(case: FailureCase) -> tuple[str, list[ExampleParameter]]:
    """The expected SQL with the literals the question names turned into `:parameters`."""
    tree = ensure_read_only(case.result.expected_sql)
    params: list[ExampleParameter] = []
    taken: dict[str, int] = {}
    for lit in list(tree.find_all(exp.Literal)):
        if lit.find_ancestor(exp.Limit) is not None or not literal_named(case, lit.this, lit.is_string):
            continue
        base = _parameter_name(lit)
        taken[base] = taken.get(base, 0) + 1
        name = base if taken[base] == 1 else f"{base}_{taken[base]}"
        hint = _type_hint(lit)
        target = lit.parent if isinstance(lit.parent, exp.Cast) else lit
        target.replace(exp.Placeholder(this=name))
        params.append(ExampleParameter(
            name=name, type_hint=hint, description=f"the {base.replace('_', ' ')} the question names",
            default_values=[lit.this],
        ))
    return tree.sql(dialect=DIALECT, pretty=True), params


def propose_example(case: FailureCase, bench: Workbench, reason: str) -> Candidate:
    sql, params = parameterize(case)
    bound = ", ".join(f":{p.name} = the {p.name.replace('_', ' ')} it names" for p in params)
    guidance = "Use for rephrasings of this example's question" + (f"; bind {bound}." if bound else ".")
    return Candidate(
        AddExampleSql(question=case.question, sql=sql, usage_guidance=guidance, parameters=params),
        "examples", "example", 9,
        f"{reason}; a trusted example with its expected SQL"
        + (f" (parameters {', '.join(':' + p.name for p in params)})" if params else ""),
        "Genie reuses the example for this question and close rephrasings",
        {"parameters": [p.name for p in params]},
    )
