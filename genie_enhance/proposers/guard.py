"""The leakage guard: no holdout question, its SQL or its answer ever reaches the config.

Why a guard after the proposers: the holdout score is the objective precisely because the loop never saw those
questions; a fix that carries one (copied by an LLM, or a train example that is a near-duplicate of a holdout
question) would make the objective lie. It compares meaning, not spelling. A fix payload leaks by these rules
(`Rule`, cheapest first; the first that fires names the holdout id):
- `question`: an example question *is* a holdout question (any of its languages; case, punctuation and spacing
  ignored), or another text contains one;
- `question_form`: the same once numbers, dates and entity values are normalized (`leak_questions`) — a holdout
  question with its year changed is still it;
- `question_words`: an example question sharing most of a holdout question's distinctive words (Jaccard ≥
  `overlap`); a longer train question that merely contains a short holdout question is not a copy;
- `sql`: a query (or any sub-query) equal to a holdout's expected SQL in canonical form (`leak_sql`: quoting,
  qualification, aliases, constant columns, COUNT(1), COALESCE(agg, 0), operand order normalized);
- `sql_shape`: the same canonical query up to literals and parameters;
- `sql_quote`: a text quoting a holdout's expected SQL verbatim;
- `result` (only with a `ResultMatcher`, and only for payloads no cheaper rule stopped): an example's SQL, or a
  sub-query in any SQL text, returns a holdout question's expected result (`leak_results`).
`assert_no_leakage` applies the same rules to a whole config (the benchmarks section excepted: Genie does not
answer from it), and, given the train questions, also flags literals only holdout answers hold (`literal`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from genie_enhance.benchmarks import Benchmark
from genie_enhance.errors import GenieEnhanceError
from genie_enhance.proposers.base import Proposal
from genie_enhance.proposers.heuristic.terms import mentions_text
from genie_enhance.proposers.leak_questions import QuestionForm, QuestionNormalizer, fold_text
from genie_enhance.proposers.leak_results import ResultMatcher
from genie_enhance.proposers.leak_sql import CanonicalSql, canonicalizer_for
from genie_enhance.space.fixes import AddExampleSql, Fix
from genie_enhance.space.model import SerializedSpace, SqlParameter
from genie_enhance.space.validation.params import bind_parameters
from genie_enhance.sql import DIALECT, read_only_view, referenced_tables

LINE_FIELDS = {"question", "sql", "description", "content", "usage_guidance", "instruction", "comment"}
QUESTION_FIELDS = {"question"}
MIN_DISTINCT_WORDS = 3
MIN_QUOTED_SQL_CHARS = 20
_HAS_QUERY = re.compile(r"\bselect\b", re.IGNORECASE)  # every query has one: texts without it are not parsed
_QUERY_START = re.compile(r"\b(select|with)\b", re.IGNORECASE)
_MAX_EMBEDDED_QUERIES = 4


class Rule(str, Enum):
    """Why the guard stopped a text (see the module docstring); the report counts stops by rule."""

    QUESTION = "question"
    QUESTION_FORM = "question_form"
    QUESTION_WORDS = "question_words"
    SQL = "sql"
    SQL_SHAPE = "sql_shape"
    SQL_QUOTE = "sql_quote"
    RESULT = "result"
    LITERAL = "literal"


@dataclass(frozen=True)
class Leak:
    rule: Rule
    holdout_id: str
    reason: str
    path: str = ""

    def __str__(self) -> str:
        return f"{self.reason} (fix field `{self.path}`)" if self.path else self.reason


def string_literals(sql: str) -> set[str]:
    """The string literals of a query (empty when it does not parse)."""
    try:
        tree = read_only_view(sql)
    except GenieEnhanceError:
        return set()
    return {lit.this for lit in tree.find_all(exp.Literal) if lit.is_string}


def distinctive_literals(holdout: Sequence[Benchmark], train: Sequence[Benchmark]) -> dict[str, str]:
    """String literals only holdout answers hold (literal → holdout id): values ('BraveCrane') and codes ('ENT')
    that no train answer uses, so no grounded fix could have put them in a config. Short or numeric ones (years,
    dates, single letters) are too common to tell anything."""
    seen = {lit.casefold() for bench in train for lit in string_literals(bench.expected_sql)}
    found: dict[str, str] = {}
    for bench in holdout:
        for lit in sorted(string_literals(bench.expected_sql)):
            if len(lit) >= 3 and not lit.replace("-", "").isdigit() and lit.casefold() not in seen:
                found.setdefault(lit, bench.id)
    return found


def benchmark_tables(benchmarks: Iterable[Benchmark]) -> set[str]:
    """Fully written table names the benchmarks' expected SQL reads (to qualify short names against)."""
    names: set[str] = set()
    for bench in benchmarks:
        try:
            names.update(t for t in referenced_tables(read_only_view(bench.expected_sql)) if t.count(".") == 2)
        except GenieEnhanceError:
            continue
    return names


@dataclass(frozen=True)
class _Holdout:
    id: str
    questions: tuple[str, ...]  # folded, every language
    forms: tuple[QuestionForm, ...]
    sql: CanonicalSql | None
    flat_sql: str


def _embedded_queries(text: str) -> list[str]:
    """The queries a text holds: itself when it is one; else its sub-queries (a snippet expression such as
    `SUM((SELECT …))`), or queries starting inside prose ("Typical query: SELECT …")."""
    if not _HAS_QUERY.search(text):
        return []
    try:
        read_only_view(text)
        return [text]
    except GenieEnhanceError:
        pass
    try:
        tree = sqlglot.parse_one(text, read=DIALECT)
        selects = [node.sql(dialect=DIALECT) for node in tree.find_all(exp.Select)]
        if selects:
            return selects[:_MAX_EMBEDDED_QUERIES]
    except (SqlglotError, ValueError, RecursionError):
        pass
    found = []
    for match in list(_QUERY_START.finditer(text))[:_MAX_EMBEDDED_QUERIES]:
        try:
            read_only_view(text[match.start():])
            found.append(text[match.start():])
        except GenieEnhanceError:
            continue
    return found


def _texts(value: Any, path: str, skip: frozenset[str] = frozenset()) -> Iterator[tuple[str, str, str]]:
    """(json path, field name, text) of every string; line arrays are joined into one text."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key in skip:
                continue
            child = f"{path}.{key}" if path else key
            if key in LINE_FIELDS and isinstance(item, list) and all(isinstance(x, str) for x in item):
                yield child, key, "".join(item)
            else:
                yield from ((p, k or key, t) for p, k, t in _texts(item, child))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _texts(item, f"{path}[{i}]")
    elif isinstance(value, str):
        yield path, "", value


class LeakageGuard:
    """Rejects proposals whose fix payload carries a holdout question, its SQL or its answer.

    `tables` (the space's table identifiers) and `columns` ({table: {column: type}}) let the canonical SQL qualify
    short names; the holdout SQL's own tables are always known. `entity_values` are replaced by `<v>` when
    questions are compared. `results` enables the `result` rule. `tally` counts every stop by rule and `checked`
    every payload inspected (the engine records both per iteration)."""

    def __init__(
        self, holdout: Sequence[Benchmark], *, overlap: float = 0.75, tables: Iterable[str] = (),
        columns: Mapping[str, Mapping[str, str]] | None = None, entity_values: Iterable[str] = (),
        results: ResultMatcher | None = None,
    ) -> None:
        self.overlap = overlap
        self.results = results
        self.sql = canonicalizer_for({*(t.lower() for t in tables), *benchmark_tables(holdout)}, columns)
        self.questions = QuestionNormalizer(entity_values)
        self.holdout = [self._holdout(b) for b in holdout]
        self.tally: Counter[Rule] = Counter()
        self.checked = 0

    def _holdout(self, bench: Benchmark) -> _Holdout:
        texts = [bench.question, *bench.translations.values(), *([bench.question_ko] if bench.question_ko else [])]
        texts = list(dict.fromkeys(t for t in texts if t and t.strip()))
        return _Holdout(bench.id, tuple(fold_text(t) for t in texts), tuple(self.questions.form(t) for t in texts),
                        self.sql.canonical(bench.expected_sql), " ".join(bench.expected_sql.casefold().split()))

    # ------------------------------------------------------------------------------------------ text rules
    def leak_of_text(self, text: str, field: str) -> Leak | None:
        """The first rule `text` (of field `field`) breaks, or None."""
        if not self.holdout:
            return None
        return self._question_leak(text, field) or self._sql_leak(text)

    def _question_leak(self, text: str, field: str) -> Leak | None:
        flat = fold_text(text)
        form = self.questions.form(text)
        is_question = field in QUESTION_FIELDS
        for item in self.holdout:
            if any(q and (flat == q if is_question else f" {q} " in f" {flat} ") for q in item.questions):
                return Leak(Rule.QUESTION, item.id, f"contains holdout question {item.id}")
            for known in item.forms:
                if known.spaced and (form.key == known.key if is_question else f" {known.spaced} " in f" {form.spaced} "):
                    return Leak(Rule.QUESTION_FORM, item.id, f"contains holdout question {item.id} with other "
                                "numbers, dates or values")
                if is_question and len(known.words) >= MIN_DISTINCT_WORDS and form.words:
                    jaccard = len(form.words & known.words) / len(form.words | known.words)
                    if jaccard >= self.overlap:
                        return Leak(Rule.QUESTION_WORDS, item.id, f"rephrases holdout question {item.id} "
                                    f"({jaccard:.0%} of its distinctive words)")
        return None

    def _sql_leak(self, text: str) -> Leak | None:
        canon = [c for c in (self.sql.canonical(q) for q in _embedded_queries(text)) if c is not None]
        exact = {f for c in canon for f in (c.exact, *c.inner_exact)}
        shapes = {f for c in canon for f in (c.shape, *c.inner_shape)}
        lowered = " ".join(text.casefold().split())
        for item in self.holdout:
            if item.sql is not None and item.sql.exact in exact:
                return Leak(Rule.SQL, item.id, f"holds the expected SQL of holdout question {item.id}")
            if item.sql is not None and item.sql.shape in shapes:
                return Leak(Rule.SQL_SHAPE, item.id, f"holds the expected SQL of holdout question {item.id} "
                            "(same query up to literals)")
            if len(item.flat_sql) > MIN_QUOTED_SQL_CHARS and item.flat_sql in lowered:
                return Leak(Rule.SQL_QUOTE, item.id, f"quotes the expected SQL of holdout question {item.id}")
        return None

    # ------------------------------------------------------------------------------------------ result rule
    def leak_of_result(self, sql: str, parameters: Sequence[SqlParameter] = ()) -> Leak | None:
        """The holdout question whose expected result `sql` (parameters bound to their defaults) or one of its
        sub-queries returns; None without a `ResultMatcher`."""
        if self.results is None or not self.holdout:
            return None
        for query in _embedded_queries(bind_parameters(sql, list(parameters)) if parameters else sql):
            qid = self.results.match(query)
            if qid is not None:
                return Leak(Rule.RESULT, qid, f"returns the expected result of holdout question {qid}")
        return None

    # ------------------------------------------------------------------------------------------ proposals
    def inspect(self, proposal: Proposal | Fix, *, results: bool = True) -> Leak | None:
        """The first leak of a proposal's (or a bare fix's) payload; the `result` rule only when `results` and
        no text rule fired. Counts what it finds in `tally`."""
        fix = proposal.fix if isinstance(proposal, Proposal) else proposal
        self.checked += 1
        leak = self._text_leak(fix)
        if leak is None and results:
            leak = self.result_leak(fix, count=False)
        if leak is not None:
            self.tally[leak.rule] += 1
        return leak

    def _text_leak(self, fix: Fix) -> Leak | None:
        for path, field, text in _texts(fix.model_dump(mode="json"), ""):
            leak = self.leak_of_text(text, field)
            if leak is not None:
                return Leak(leak.rule, leak.holdout_id, leak.reason, path)
        return None

    def result_leak(self, proposal: Proposal | Fix, *, count: bool = True) -> Leak | None:
        """The `result` rule alone, for a payload that passed the text rules (the pipeline runs it last, on the
        fixes it would keep, so only those cost a query)."""
        if self.results is None:
            return None
        fix = proposal.fix if isinstance(proposal, Proposal) else proposal
        found: Iterable[tuple[str, Leak | None]]
        if isinstance(fix, AddExampleSql):
            found = [("sql", self.leak_of_result(fix.sql, [p.to_model() for p in fix.parameters]))]
        else:
            found = ((path, self.leak_of_result(text)) for path, field, text in _texts(fix.model_dump(mode="json"), "")
                     if field not in QUESTION_FIELDS)
        leak = next((Leak(f.rule, f.holdout_id, f.reason, path) for path, f in found if f is not None), None)
        if leak is not None and count:
            self.tally[leak.rule] += 1
        return leak

    def check(self, proposal: Proposal | Fix) -> str | None:
        """The reason a proposal (or a bare fix) leaks, naming the holdout id; None when it is clean."""
        leak = self.inspect(proposal)
        return None if leak is None else str(leak)

    def check_text(self, text: str, field: str) -> str | None:
        """Why `text` (of field `field`) leaks a holdout question, or None (text rules only)."""
        leak = self.leak_of_text(text, field)
        return None if leak is None else leak.reason

    def filter(self, proposals: Iterable[Proposal]) -> tuple[list[Proposal], list[tuple[Proposal, str]]]:
        kept, rejected = [], []
        for proposal in proposals:
            leak = self.inspect(proposal)
            if leak is None:
                kept.append(proposal)
            else:
                rejected.append((proposal, leakage_reason(leak)))
        return kept, rejected


def leakage_reason(leak: Leak) -> str:
    """The rejection reason recorded for a leaking fix: `leakage: <why> (rule `<rule>`, fix field `<path>`)`."""
    where = f", fix field `{leak.path}`" if leak.path else ""
    return f"leakage: {leak.reason} (rule `{leak.rule.value}`{where})"


def space_leaks(space: SerializedSpace, guard: LeakageGuard, literals: Mapping[str, str] | None = None) -> list[Leak]:
    """Every leak of a whole config (benchmarks section excepted), each with its JSON path: the text rules over
    every text, the `result` rule over every example's SQL (parameters bound) and sub-queries elsewhere, and
    `literals` (literal → holdout id) named in any text."""
    leaks: list[Leak] = []
    flagged: set[str] = set()
    for path, field, text in _texts(space.model_dump(mode="json"), "", frozenset({"benchmarks"})):
        leak = guard.leak_of_text(text, field)
        if leak is not None:
            leaks.append(Leak(leak.rule, leak.holdout_id, leak.reason, path))
            flagged.add(path)
        leaks += [Leak(Rule.LITERAL, qid, f"names {lit!r}, a literal only holdout question {qid} uses", path)
                  for lit, qid in (literals or {}).items() if mentions_text(text, lit)]
    if guard.results is not None:
        leaks += _result_leaks(space, guard, flagged)
    return leaks


def _result_leaks(space: SerializedSpace, guard: LeakageGuard, flagged: set[str]) -> list[Leak]:
    """The `result` rule over a whole config: each example's SQL with its parameters bound, and the queries
    inside any other SQL text (snippets, instructions); texts a text rule already flagged are not run."""
    examples = {f"instructions.example_question_sqls[{i}].sql": e
                for i, e in enumerate(space.instructions.example_question_sqls)}
    leaks = []
    for path, field, text in _texts(space.model_dump(mode="json"), "", frozenset({"benchmarks"})):
        if path in flagged or field in QUESTION_FIELDS:
            continue
        example = examples.get(path)
        leak = guard.leak_of_result(text, example.parameters if example is not None else ())
        if leak is not None:
            leaks.append(Leak(leak.rule, leak.holdout_id, leak.reason, path))
    return leaks


def assert_no_leakage(space: SerializedSpace, holdout: Sequence[Benchmark],
                      train: Sequence[Benchmark] | None = None, *, guard: LeakageGuard | None = None) -> list[str]:
    """Every place of a config that leaks a holdout question (`<json path>: <reason>`); empty when clean.

    With the `train` questions, a text naming a literal only holdout answers hold (`distinctive_literals`) is a
    leak too. A `guard` built with the space's tables, entity values and a `ResultMatcher` applies every rule;
    without one, the text rules against the holdout alone."""
    guard = guard or LeakageGuard(holdout, tables=[t.identifier for t in space.all_tables()])
    literals = distinctive_literals(holdout, train) if train is not None else {}
    return [f"{leak.path}: {leak.reason}" for leak in space_leaks(space, guard, literals)]
