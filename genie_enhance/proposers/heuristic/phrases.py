"""Pair the parts of an expected query with the question phrases that ask for them.

- a filter is *named* by the question when its literal appears there ("in 2024", "North America", "over 1000");
  an unnamed filter is a business definition ("high-value", "cancelled") the space has to learn;
- the measure phrase is the one after the aggregation or ranking cue, else the first business phrase (without a
  leading table name: "how much do customers spend" is measured by "spend"); a measure snippet's name keeps a
  qualifier that closely follows it ("revenue … after discounts");
- grouping phrases pair with the expected groupings in order (a ranked subject comes first);
- a compared column pairs with the phrase before the comparison ("order amount over 1000").
"""

from __future__ import annotations

from datetime import date

from genie_enhance.proposers.heuristic.case import FailureCase
from genie_enhance.proposers.heuristic.shape import Aggregate, ColumnRef, Grouping, Predicate
from genie_enhance.proposers.heuristic.terms import QUALIFIERS, Run, mentions_number, mentions_text

MAX_PHRASE_WORDS = 4
MAX_QUALIFIER_GAP = 3  # words between a measure phrase and its qualifier ("revenue did we make after discounts")
_COMPARE_OPS = {">", ">=", "<", "<=", "between"}


def literal_named(case: FailureCase, text: str, is_string: bool) -> bool:
    """Whether the question names a literal of the expected SQL (a value, a number, a year or a date)."""
    if is_string:
        try:
            day = date.fromisoformat(text)
        except ValueError:
            return mentions_text(case.question, text)
        return text in case.question or mentions_text(case.question, day.isoformat())
    try:
        return mentions_number(case.reading.tokens, float(text))
    except ValueError:
        return False


def predicate_named(case: FailureCase, pred: Predicate) -> bool:
    """A filter the question spells out: every literal it compares with appears in the question."""
    if pred.op in ("is_null", "is_not_null") or not pred.literals:
        return False
    return all(literal_named(case, lit.this, lit.is_string) for lit in pred.literals)


def business_predicates(case: FailureCase) -> list[Predicate]:
    """WHERE filters of the expected SQL that the question does not spell out (business definitions)."""
    return [p for p in case.expected.predicates if not p.having and not predicate_named(case, p)]


def literal_positions(case: FailureCase) -> set[int]:
    """Question word positions that spell a named string literal (never part of a business phrase)."""
    tokens = case.reading.tokens
    found: set[int] = set()
    for pred in case.expected.predicates:
        for lit in pred.literals:
            if not lit.is_string or not mentions_text(case.question, lit.this):
                continue
            words = [w for w in lit.this.lower().replace("-", " ").split() if w]
            lows = [t.low for t in tokens]
            for i in range(len(lows) - len(words) + 1):
                if lows[i : i + len(words)] == words:
                    found.update(range(i, i + len(words)))
    return found


def usable(case: FailureCase, run: Run | None) -> bool:
    if run is None or run.end - run.start > MAX_PHRASE_WORDS:
        return False
    return not set(run.positions()) & literal_positions(case)


def phrase(case: FailureCase, run: Run) -> str:
    return case.reading.text(run)


def measure_run(case: FailureCase) -> Run | None:
    """The phrase naming the measure: after the aggregation/ranking cue, else the first free business phrase."""
    reading = case.reading
    if usable(case, reading.measure):
        return reading.measure
    free = [r for r in reading.free_runs() if usable(case, r)]
    return _without_subject(case, free[0]) if free else None


def _without_subject(case: FailureCase, run: Run) -> Run:
    """"how much do <customers spend>": leading words naming a table are who acts; the rest names the measure."""
    reading = case.reading
    cut = run.start
    while cut < run.end and any(t.kind == "table" for t in reading.meanings.get(cut, [])):
        cut += 1
    rest = Run(cut, run.end)
    return rest if run.start < cut < run.end and len(reading.unexplained(rest)) == run.end - cut else run


def measure_phrase(case: FailureCase, run: Run) -> str:
    """The measure phrase with the qualifier that closely follows it ("revenue [did we make] after discounts" →
    "revenue after discounts"): the qualifier is what tells this measure from the plain word, and the same words in
    order name it whatever sits between them."""
    tokens, reading = case.reading.tokens, case.reading
    for k in range(run.end, min(run.end + MAX_QUALIFIER_GAP + 1, len(tokens))):
        if tokens[k].kind != "word":
            break
        if tokens[k].low in QUALIFIERS:
            holder = next((r for r in reading.runs if r.start <= k < r.end), None)
            qualifier = Run(k, holder.end) if holder is not None else None
            if qualifier is not None and qualifier.end - k > 1 and usable(case, qualifier):
                return f"{phrase(case, run)} {phrase(case, qualifier)}"
            break
    return phrase(case, run)


def filter_run(case: FailureCase, exclude: set[Run]) -> Run | None:
    """The business phrase a filter definition goes by: what a row count counts ("how many <high-value orders>")
    unless that is a plain table name, else the business phrase nearest the aggregation cue."""
    reading = case.reading
    agg = main_aggregate(case)
    counted = reading.measure
    if (agg is not None and agg.star and counted is not None and usable(case, counted) and reading.unexplained(counted)
            and counted not in exclude):
        return counted
    skip = set(reading.groups) | set(reading.compared) | exclude
    naming = {(c.table, c.column) for p in business_predicates(case) for c in p.columns}
    runs = [r for r in reading.business_runs(naming) if r not in skip and usable(case, r)]
    return runs[0] if runs else None


def group_runs(case: FailureCase) -> list[tuple[Grouping, Run]]:
    """Expected plain-column groupings paired with the question's grouping phrases (ranked subject first)."""
    reading = case.reading
    runs = ([reading.subject] if reading.subject is not None else []) + list(reading.groups)
    groups = [g for g in case.expected.groups if g.plain is not None and g.grain is None]
    return [(g, r) for g, r in zip(groups, runs) if usable(case, r)]


def compared_runs(case: FailureCase) -> list[tuple[Predicate, Run]]:
    """Expected numeric comparisons the question spells out, paired with the phrase of the compared column."""
    preds = [
        p for p in case.expected.predicates
        if p.op in _COMPARE_OPS and p.column is not None and p.part is None and predicate_named(case, p)
    ]
    return [(p, r) for p, r in zip(preds, case.reading.compared) if usable(case, r)]


def main_aggregate(case: FailureCase) -> Aggregate | None:
    aggs = case.expected.aggregates
    return aggs[0] if len(aggs) == 1 else None


def generated_has_aggregate(case: FailureCase, agg: Aggregate) -> bool:
    gen = case.generated
    if gen is None:
        return False
    return any(a.func == agg.func and a.distinct == agg.distinct and sorted(a.columns) == sorted(agg.columns)
               and a.star == agg.star for a in gen.aggregates)


def generated_groups_by(case: FailureCase, ref: ColumnRef) -> bool:
    gen = case.generated
    return gen is not None and any(g.plain == ref for g in gen.groups) or (
        gen is not None and not gen.aggregates and ref in gen.select_columns
    )


def generated_extra_groups(case: FailureCase) -> list[ColumnRef]:
    """Columns the generated SQL groups by that the expected SQL does not (a phrase read as the wrong column)."""
    gen = case.generated
    if gen is None:
        return []
    wanted = {g.plain for g in case.expected.groups}
    return [g.plain for g in gen.groups if g.plain is not None and g.plain not in wanted]


def generated_filters_on(case: FailureCase, ref: ColumnRef, op: str) -> bool:
    gen = case.generated
    return gen is not None and any(p.column == ref and p.op == op for p in gen.predicates)


def cue_mismatch(agg: Aggregate, case: FailureCase) -> str | None:
    """Why a synonym for the aggregated column cannot produce this aggregate (None when it can)."""
    asked = case.reading.aggregate
    if asked is not None and asked != agg.func and not (asked == "SUM" and agg.func == "COUNT"):
        return f"the question's cue asks for {asked}, but the answer is {agg.func}"
    if asked is None and agg.func not in ("SUM", "COUNT"):
        return f"the question has no aggregation word, but the answer is {agg.func}"
    if agg.func == "COUNT" and agg.plain is not None and not agg.distinct:
        return "the answer counts a column's non-null values, which no column name says"
    return None
