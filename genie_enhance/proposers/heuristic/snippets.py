"""Measure, filter and expression snippets for business terms plain column vocabulary cannot express.

- a *filter* for a WHERE condition the question does not spell out ("high-value orders" → `orders.amt > 500`;
  literal thresholds and codes come from the train SQL), named by the question's business phrase;
- a *conditional measure* when that condition qualifies a distinct count ("active members" →
  `COUNT(DISTINCT CASE WHEN <condition> THEN <key> END)`): the term names a number, not a subset of rows;
- a *measure* for an aggregate over an expression (`SUM(gross - discount)` for "net revenue"), for an aggregate
  the question's cue word would not produce ("how many units" means `SUM(qty)`, not a count), and for a row
  count of a table the question never names ("the most active channels" counts messages);
- an *expression* for a grouping that is a computed dimension (not a column and not a time grain).
All SQL is table-qualified. When the space already holds a snippet with the same SQL, the fix reuses its name, so
applying it only adds the new phrase as a synonym. A snippet's synonyms include the phrase's natural variants
(`morphology.py`) and, for a filter, the phrase without its table's name; the proposer drops any such derived
name another train question contradicts.
"""

from __future__ import annotations

from sqlglot import exp

from genie_enhance.core.required import required
from genie_enhance.proposers.heuristic.case import Candidate, FailureCase, Workbench
from genie_enhance.proposers.heuristic.morphology import variants
from genie_enhance.proposers.heuristic.phrases import (
    business_predicates,
    cue_mismatch,
    filter_run,
    generated_has_aggregate,
    main_aggregate,
    measure_phrase,
    measure_run,
    phrase,
    usable,
)
from genie_enhance.proposers.heuristic.shape import Aggregate, render
from genie_enhance.proposers.heuristic.synonyms import measure_synonym
from genie_enhance.proposers.heuristic.terms import CLASSIFIER_NOUNS, alias_of
from genie_enhance.proposers.heuristic.vocab import Target
from genie_enhance.space.fixes import AddSqlSnippet
from genie_enhance.space.lines import join_lines
from genie_enhance.sql import normalize_sql
from genie_enhance.words import stem, stems

_SQL_KINDS = {"measure": "measures", "filter": "filters", "expression": "expressions"}


def existing_snippet(bench: Workbench, kind: str, sql: str):
    """The space's snippet of this kind with the same SQL (normalized), if any."""
    target = normalize_expr(sql)
    items = getattr(bench.space.instructions.sql_snippets, _SQL_KINDS[kind])
    return next((s for s in items if normalize_expr(join_lines(s.sql)) == target), None)


def normalize_expr(sql: str) -> str:
    return normalize_sql(f"SELECT {sql}")


def snippet_fix(bench: Workbench, kind: str, sql: str, term: str, instruction: str) -> AddSqlSnippet | None:
    """A snippet named `term`, or the synonym `term` merged into the same-SQL snippet the space already has."""
    same = existing_snippet(bench, kind, sql)
    name = (getattr(same, "alias", None) or same.display_name or "") if same is not None else (
        term if kind == "filter" else alias_of(term))
    target = Target(kind, name=name)
    if bench.vocab.conflicts(term, target):
        return None  # the phrase already means something else in this space
    synonyms = [term, *(v for v in derived_names(bench, kind, term) if not bench.vocab.conflicts(v, target))]
    if same is not None:
        alias = getattr(same, "alias", None)
        return AddSqlSnippet(kind=kind, alias=alias if kind != "filter" else None, sql=join_lines(same.sql),
                             display_name=same.display_name, synonyms=synonyms)
    alias = None if kind == "filter" else alias_of(term)
    if alias is not None:
        items = getattr(bench.space.instructions.sql_snippets, _SQL_KINDS[kind])
        if any((getattr(s, "alias", "") or "").lower() == alias for s in items):
            return None  # the name already means another SQL: a second meaning would only confuse
    return AddSqlSnippet(kind=kind, alias=alias, sql=sql, display_name=term, synonyms=synonyms, instruction=instruction)


def derived_names(bench: Workbench, kind: str, term: str) -> list[str]:
    """Other names of a snippet's phrase: its natural variants, the phrase without a leading adverb, and, for a
    filter, the phrase without a trailing table name or classifier noun ("enterprise customers" / "enterprise
    segment" → "enterprise", "cancelled orders" → "cancelled" and its variants), since a filter qualifies its
    table's rows however the question names them ("customers in the enterprise segment")."""
    names = variants(term)
    words = term.split()
    if len(words) > 1 and words[0].endswith("ly") and len(words[0]) > 4:
        names.append(" ".join(words[1:]))  # "currently active members" → "active members"
    if kind == "filter":
        cut = len(words)
        while cut > 1 and (stem(words[cut - 1]) in CLASSIFIER_NOUNS or any(
                t.kind == "table" for t in bench.schema_vocab.lookup(stems(words[cut - 1])))):
            cut -= 1
        if cut < len(words):
            core = " ".join(words[:cut])
            names += [core, *variants(core)]
    return list(dict.fromkeys(n for n in names if stems(n) != stems(term)))


def _condition(case: FailureCase, bench: Workbench) -> tuple[str, list[str]] | None:
    preds = business_predicates(case)
    if not preds or any(p.columns == [] for p in preds):
        return None
    parts = [render(p.node, case.expected, bench.names) for p in preds]
    return " AND ".join(parts), parts


def _conditional_count(agg: Aggregate, condition: str, case: FailureCase, bench: Workbench) -> str | None:
    if agg.func != "COUNT" or not agg.distinct or agg.plain is None:
        return None
    column = render(exp.column(agg.plain.column, table=_alias_of(case, agg.plain.table)), case.expected, bench.names)
    return f"COUNT(DISTINCT CASE WHEN {condition} THEN {column} END)"


def _alias_of(case: FailureCase, table: str) -> str:
    return next((a for a, t in case.expected.aliases.items() if t == table), table.rsplit(".", 1)[-1])


def propose_filters(case: FailureCase, bench: Workbench) -> list[Candidate]:
    found = _condition(case, bench)
    if found is None:
        return []
    condition, parts = found
    agg = main_aggregate(case)
    measured = measure_run(case) if agg is not None and not agg.star else None
    conditional = _conditional_count(agg, condition, case, bench) if agg is not None and not case.expected.groups else None
    if conditional is not None:
        run = case.reading.measure if usable(case, case.reading.measure) else filter_run(case, set())
        if run is None:
            return []
        term = phrase(case, run)
        counting = required(agg, "the conditional count's aggregate")
        counted = required(counting.plain, "the counted column")
        fix = snippet_fix(bench, "measure", conditional, term, f"{counting.func} DISTINCT {counted.short} where {condition}")
        kind_text = "a conditional distinct-count measure"
    else:
        run = filter_run(case, {measured} if measured is not None else set())
        if run is None:
            return []
        term = phrase(case, run)
        fix = snippet_fix(bench, "filter", condition, term, f"Rows that are {term}: {condition}")
        kind_text = "a filter"
    if fix is None:
        return []
    return [Candidate(
        fix, "snippets", f"filter:{condition}", 0,
        f'the expected SQL filters {condition}, which the question never spells out: "{term}" is a business '
        f"term for it, so the space gets {kind_text} named \"{term}\"",
        f'Genie applies {condition} when a question says "{term}"',
        {"condition": parts, "phrase": term},
    )]


def _count_of_unnamed_table(agg: Aggregate, case: FailureCase, bench: Workbench) -> str | None:
    """`COUNT(<table>.<key>)` when the answer counts rows of a table the question never names."""
    table = case.expected.base_table
    if not agg.star or agg.func != "COUNT" or table is None or business_predicates(case):
        return None  # with a business filter the filter's phrase names the rows (see `propose_filters`)
    named = {t.table for m in bench.schema_vocab.matches(case.reading.tokens) for t in m.targets if t.kind == "table"}
    if table in named:
        return None
    for column in bench.catalog.columns(table):
        stats = bench.probe.stats(table, column)
        if stats is not None and stats.unique and stats.non_null == stats.rows:
            key = render(exp.column(column, table=_alias_of(case, table)), case.expected, bench.names)
            return f"COUNT({key})"
    return None


def _measure_sql(agg: Aggregate, case: FailureCase, bench: Workbench) -> tuple[str, int, str] | None:
    """(snippet SQL, rung, why) for an aggregate that needs a measure snippet."""
    if agg.star:
        sql = _count_of_unnamed_table(agg, case, bench)
        return (sql, 0, "the answer counts rows of a table the question never names") if sql else None
    sql = render(agg.node, case.expected, bench.names)
    if agg.plain is None:
        return sql, 0, "the aggregate is over an expression, which column names cannot express"
    mismatch = cue_mismatch(agg, case)
    if mismatch:
        return sql, 0, mismatch
    return sql, 2, "a named measure is the strongest vocabulary when a synonym was not enough"


def propose_measures(case: FailureCase, bench: Workbench) -> list[Candidate]:
    agg = main_aggregate(case)
    if agg is None or generated_has_aggregate(case, agg) or (agg.distinct and business_predicates(case)):
        return []  # nothing missing, or a conditional distinct count (`propose_filters` names it)
    found = _measure_sql(agg, case, bench)
    run = measure_run(case)
    if found is None or run is None:
        return []
    sql, rung, why = found
    if rung > 0 and not measure_synonym(case, bench):
        return []  # no synonym rung to climb from: the aggregate is named some other way (a join, a filter)
    term = measure_phrase(case, run)
    fix = snippet_fix(bench, "measure", sql, term, f"{term}: {sql}")
    if fix is None:
        return []
    return [Candidate(
        fix, "snippets", f"measure:{render(agg.node, case.expected, bench.names)}", rung,
        f'the expected answer is {sql} for "{term}"; {why}',
        f'Genie computes {sql} when a question says "{term}"',
        {"measure": sql, "phrase": term},
    )]


def propose_expressions(case: FailureCase, bench: Workbench) -> list[Candidate]:
    found = []
    runs = list(case.reading.groups)
    for group in case.expected.groups:
        if group.plain is not None or group.grain is not None or not group.columns or not runs:
            continue
        run = runs.pop(0)
        if not usable(case, run):
            continue
        sql = render(group.node, case.expected, bench.names)
        term = phrase(case, run)
        fix = snippet_fix(bench, "expression", sql, term, f"{term}: {sql}")
        if fix is not None:
            found.append(Candidate(
                fix, "snippets", f"group:{sql}", 0,
                f'the expected answer groups by the computed dimension {sql} for "{term}"',
                f'Genie groups by {sql} when a question says "{term}"',
                {"expression": sql, "phrase": term},
            ))
    return found
