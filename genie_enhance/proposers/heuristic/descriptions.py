"""Column descriptions that break an ambiguity: the generated SQL used a sibling column for the asked phrase.

When Genie filled a role of the answer (the measure, a grouping, a compared quantity) with another column of the
same table, the expected column's description is extended to say that the question's phrase means it, and which
sibling not to use. This is the second rung of those aspects: it is proposed once the synonym is in place and the
question still fails (descriptions are prose, weaker than names, so they come after a synonym).
"""

from __future__ import annotations

from genie_enhance.core.required import required
from genie_enhance.proposers.heuristic.case import Candidate, FailureCase, Workbench
from genie_enhance.proposers.heuristic.phrases import compared_runs, group_runs, main_aggregate, measure_run, phrase
from genie_enhance.proposers.heuristic.shape import ColumnRef, render
from genie_enhance.space.fixes import SetColumnDescription
from genie_enhance.space.fixes.columns import ColumnFix
from genie_enhance.space.lines import join_lines


def _describe(bench: Workbench, ref: ColumnRef, sibling: ColumnRef, term: str) -> str | None:
    """The column's description with the disambiguating sentence (unchanged when it already says so)."""
    config = bench.column_config(ref)
    current = join_lines(config.description).strip() if config is not None else ""
    sentence = f'"{term}" means {ref.column} (not {sibling.column}).'
    if sentence.lower() in current.lower():
        return current
    return f"{current} {sentence}".strip()


def _candidate(bench: Workbench, ref: ColumnRef, sibling: ColumnRef, term: str, aspect: str, role: str) -> Candidate | None:
    text = _describe(bench, ref, sibling, term)
    if text is None:
        return None
    return Candidate(
        SetColumnDescription(table=bench.identifier(ref.table), column=ref.column, description=text),
        "descriptions", aspect, 1,
        f'for "{term}" the generated SQL used {sibling.short} as the {role} where the answer needs {ref.short}',
        f'Genie tells {ref.short} from {sibling.short} for "{term}"',
        {"column": ref.short, "sibling": sibling.short, "phrase": term, "role": role},
    )


def _sibling(refs: list[ColumnRef], expected: ColumnRef) -> ColumnRef | None:
    return next((r for r in refs if r.table == expected.table and r != expected), None)


def propose_descriptions(case: FailureCase, bench: Workbench) -> list[Candidate]:
    gen = case.generated
    if gen is None:
        return []
    found: list[Candidate | None] = []
    agg = main_aggregate(case)
    run = measure_run(case)
    if agg is not None and agg.plain is not None and run is not None:
        sibling = _sibling([c for a in gen.aggregates for c in a.columns], agg.plain)
        if sibling is not None:
            aspect = f"measure:{render(agg.node, case.expected, bench.names)}"
            found.append(_candidate(bench, agg.plain, sibling, phrase(case, run), aspect, "measure"))
    for group, grun in group_runs(case):
        plain = required(group.plain, "a grouping's plain column")  # group_runs keeps plain groupings only
        sibling = _sibling([g.plain for g in gen.groups if g.plain is not None] + gen.select_columns, plain)
        if sibling is not None:
            found.append(_candidate(bench, plain, sibling, phrase(case, grun), f"group:{plain.short}", "grouping"))
    for pred, crun in compared_runs(case):
        column = required(pred.column, "a comparison's column")  # compared_runs keeps column comparisons only
        sibling = _sibling([p.column for p in gen.predicates if p.column is not None], column)
        if sibling is not None:
            found.append(_candidate(bench, column, sibling, phrase(case, crun), f"compare:{column.short}",
                                    "compared quantity"))
    return [c for c in found if c is not None and isinstance(c.fix, ColumnFix) and bench.in_space(c.fix.table)]
