"""Column synonyms: the question's phrase for a column the generated SQL missed or got wrong.

For each part of the expected answer that names one column — the aggregated column, a grouping column, a compared
column — whose role the generated SQL did not fill with that column, the phrase the question uses for that part
becomes a synonym of the column ("revenue" → `orders.amt_usd`, "customer segment" → `customers.seg_cd`). The phrase
is the one next to the aggregation, ranking, grouping or comparison cue; a phrase that names a table (e.g. "region"
for the `regions` table when the answer needs `regions.name`) is still taught, since the column is what it means.
Derived names go along as separate candidates: a measure phrase's natural forms ("spend" → "spent") and a grouping
phrase without its table's name ("customer segment" → "segment").
"""

from __future__ import annotations

from genie_enhance.core.required import required
from genie_enhance.proposers.heuristic.case import Candidate, FailureCase, Workbench
from genie_enhance.proposers.heuristic.morphology import variants
from genie_enhance.proposers.heuristic.phrases import (
    business_predicates,
    compared_runs,
    cue_mismatch,
    generated_extra_groups,
    generated_filters_on,
    generated_groups_by,
    generated_has_aggregate,
    group_runs,
    main_aggregate,
    measure_run,
    phrase,
)
from genie_enhance.proposers.heuristic.shape import ColumnRef, render
from genie_enhance.proposers.heuristic.terms import Run
from genie_enhance.proposers.heuristic.vocab import Target
from genie_enhance.space.fixes import AddSynonym
from genie_enhance.space.fixes.columns import ColumnFix
from genie_enhance.words import stems


def _synonym(bench: Workbench, ref: ColumnRef, term: str, aspect: str, role: str, case: FailureCase) -> Candidate | None:
    if bench.vocab.conflicts(term, Target("column", ref.table, ref.column)):
        return None  # the phrase already means something else in this space
    return Candidate(
        AddSynonym(table=bench.identifier(ref.table), column=ref.column, synonym=term),
        "synonyms", aspect, 0,
        f'the answer needs {ref.short} as the {role}, which the question calls "{term}"; '
        + ("the generated SQL had no SQL" if case.generated is None else "the generated SQL used something else"),
        f'Genie reads "{term}" as {ref.short}',
        {"column": ref.short, "phrase": term, "role": role},
    )


def measure_synonym(case: FailureCase, bench: Workbench) -> list[Candidate]:
    agg = main_aggregate(case)
    if agg is None or agg.plain is None or agg.star or generated_has_aggregate(case, agg) or cue_mismatch(agg, case):
        return []
    if agg.distinct and business_predicates(case):
        return []  # a conditional distinct count: named as a measure by `propose_filters`
    run = measure_run(case)
    if run is None or counts_related_table(case, bench, agg.plain, run):
        return []
    aspect = f"measure:{render(agg.node, case.expected, bench.names)}"
    term = phrase(case, run)
    found = _synonym(bench, agg.plain, term, aspect, f"{agg.func} measure", case)
    if found is None:
        return []
    return [found, *_variant_synonyms(bench, agg.plain, term, aspect, f"{agg.func} measure", case)]


def own_noun(bench: Workbench, ref: ColumnRef, term: str) -> str | None:
    """"customer segment" → "segment": leading words naming the column's own table only say whose it is."""
    words = term.split()
    cut = 0
    while cut < len(words) - 1 and any(t.kind == "table" and t.table == ref.table
                                       for t in bench.schema_vocab.lookup(stems(words[cut]))):
        cut += 1
    return " ".join(words[cut:]) if cut else None


def _variant_synonyms(bench: Workbench, ref: ColumnRef, term: str, aspect: str, role: str,
                      case: FailureCase, derived: list[str | None] | None = None) -> list[Candidate]:
    """Other names of a phrase — its natural forms ("sales amount" → "sell", "sold" …) or `derived` ones — each
    its own candidate so that one contradicted by another train question is dropped alone."""
    found = []
    for variant in variants(term) if derived is None else [d for d in derived if d]:
        candidate = _synonym(bench, ref, variant, f"{aspect}|{variant}", role, case)
        if candidate is not None:
            candidate.rationale += f'; "{variant}" is another name for "{term}"'
            candidate.evidence["variant_of"] = term
            found.append(candidate)
    return found


def counts_related_table(case: FailureCase, bench: Workbench, column: ColumnRef, run: Run) -> bool:
    """"how many distinct <customers> ..." over `orders.cust_id`: the phrase names the table the key points to, so
    Genie needs the join (see `joins`), not a new name for the foreign key."""
    words = tuple(t.stem for t in case.reading.tokens[run.start : run.end])
    for target in bench.schema_vocab.lookup(words[:1]) + bench.schema_vocab.lookup(words):
        if target.kind == "table" and target.table != column.table and bench.catalog.has_column(target.table, column.column):
            return True
    return False


def propose_synonyms(case: FailureCase, bench: Workbench) -> list[Candidate]:
    found: list[Candidate | None] = list(measure_synonym(case, bench))
    extra = generated_extra_groups(case)
    for group, run in group_runs(case):
        plain = required(group.plain, "a grouping's plain column")  # group_runs keeps plain groupings only
        if extra or not generated_groups_by(case, plain):
            term, aspect = phrase(case, run), f"group:{plain.short}"
            main = _synonym(bench, plain, term, aspect, "grouping", case)
            found.append(main)
            if main is not None:
                found += _variant_synonyms(bench, plain, term, aspect, "grouping", case,
                                           [own_noun(bench, plain, term)])
    for pred, run in compared_runs(case):
        column = required(pred.column, "a comparison's column")  # compared_runs keeps column comparisons only
        if not generated_filters_on(case, column, pred.op):
            found.append(_synonym(bench, column, phrase(case, run), f"compare:{column.short}",
                                  "compared quantity", case))
    return [c for c in found if c is not None and isinstance(c.fix, ColumnFix) and bench.in_space(c.fix.table)]
