"""Entity matching (which turns format assistance on too) for columns whose stored values questions name.

Two grounded cases:
- the expected SQL filters a text column on a value the question names (ignoring case and punctuation:
  "North America" → 'NORTH AMERICA', "Help-Desk" → 'help-desk'), and that value is among the ≤1024 distinct
  values Genie's value dictionary would index — so Genie can place it once the column is indexed;
- the expected SQL groups by a text column that the data shows to be categorical (≤1024 short distinct values):
  users who group by it also filter on its values, which Genie can only place with the value dictionary.
"""

from __future__ import annotations

from genie_enhance.proposers.heuristic.case import Candidate, FailureCase, Workbench
from genie_enhance.proposers.heuristic.shape import ColumnRef
from genie_enhance.proposers.heuristic.terms import mentions_text
from genie_enhance.space.fixes import EnableEntityMatching
from genie_enhance.space.fixes.base import get_flag


def matching_on(bench: Workbench, ref: ColumnRef) -> bool:
    config = bench.column_config(ref)
    return config is not None and get_flag(config, "enable_entity_matching")


def named_values(case: FailureCase, bench: Workbench) -> list[tuple[ColumnRef, str, str]]:
    """(column, literal, stored value) for every equality filter whose value the question names."""
    found = []
    for pred in case.expected.predicates:
        if pred.op not in ("=", "in") or pred.column is None or pred.part or not bench.is_text(pred.column):
            continue
        for lit in pred.literals:
            if lit.is_string and mentions_text(case.question, lit.this):
                stored = bench.probe.indexed_value(pred.column.table, pred.column.column, lit.this)
                if stored is not None:
                    found.append((pred.column, lit.this, stored))
    return found


def propose_entities(case: FailureCase, bench: Workbench) -> list[Candidate]:
    found: list[Candidate] = []
    seen: set[ColumnRef] = set()
    ref: ColumnRef | None
    for ref, literal, stored in named_values(case, bench):
        if ref in seen or matching_on(bench, ref) or not bench.in_space(ref.table):
            continue
        seen.add(ref)
        found.append(Candidate(
            EnableEntityMatching(table=bench.identifier(ref.table), column=ref.column),
            "entities", f"value:{ref.short}", 0,
            f'the question names "{literal}", stored in {ref.short} as {stored!r}, but the column has no value '
            "dictionary, so Genie cannot place the value",
            f"Genie filters {ref.short} = {stored!r} for this question",
            {"column": ref.short, "question_value": literal, "stored_value": stored},
        ))
    for group in case.expected.groups:
        ref = group.plain
        if ref is None or ref in seen or not bench.is_text(ref) or matching_on(bench, ref) or not bench.in_space(ref.table):
            continue
        stats = bench.probe.stats(ref.table, ref.column, lengths=True)
        if stats is None or not stats.categorical:
            continue
        seen.add(ref)
        found.append(Candidate(
            EnableEntityMatching(table=bench.identifier(ref.table), column=ref.column),
            "entities", f"dictionary:{ref.short}", 0,
            f"the expected answer groups by {ref.short}, a categorical column ({stats.distinct} distinct values, "
            f"at most {stats.max_length} characters): with a value dictionary Genie can place its values",
            f"questions naming a value of {ref.short} get the right filter",
            {"column": ref.short, "distinct": stats.distinct, "max_length": stats.max_length},
        ))
    return found
