"""The leakage guard: no holdout question or its SQL ever reaches the config.

Why a guard after the proposers: the holdout score is the objective precisely because the loop never saw those
questions; a fix that carries one (copied by an LLM, or a train example that is a near-duplicate of a holdout
question) would make the objective lie. A fix payload is rejected when any of its texts
- contains a holdout question (case, spacing and punctuation ignored) — for an example question: *is* one;
- is an example question sharing most of a holdout question's distinctive words (Jaccard ≥ `overlap`): a longer
  train question that merely contains a short holdout question ("… total revenue by region?") is not a copy;
- holds a holdout's expected SQL: equal after `normalize_sql`, or the same parse tree once literals, parameters,
  projection aliases and table aliases are abstracted away (in the whole query or any sub-query).
`assert_no_leakage` applies the same checks to a whole config (the benchmarks section excepted: Genie does not
answer from it), and, given the train questions, also flags literals only holdout answers hold.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlglot import exp

from genie_enhance.benchmarks import Benchmark
from genie_enhance.proposers.base import Proposal
from genie_enhance.proposers.heuristic.terms import STOPWORDS, folded, mentions_text, tokenize
from genie_enhance.space.model import SerializedSpace
from genie_enhance.sql import DIALECT, ensure_read_only, normalize_sql

LINE_FIELDS = {"question", "sql", "description", "content", "usage_guidance", "instruction", "comment"}
QUESTION_FIELDS = {"question"}
MIN_DISTINCT_WORDS = 3


def distinctive_words(text: str) -> set[str]:
    """Stems of the words and numbers that carry a question's meaning (stopwords dropped)."""
    return {t.stem for t in tokenize(text) if t.kind != "word" or t.low not in STOPWORDS}


def skeleton(tree: exp.Expression) -> str:
    """A query's structure: literals and parameters as `?`, no projection aliases, tables by name not alias."""
    tree = tree.copy()
    names = {t.alias_or_name.lower(): t.name.lower() for t in tree.find_all(exp.Table) if t.name}
    for select in list(tree.find_all(exp.Select)):  # `ORDER BY total` → the expression `total` names
        aliases = {item.alias.lower(): item.this for item in select.expressions if isinstance(item, exp.Alias)}
        for clause in ("order", "group", "having"):
            node = select.args.get(clause)
            for col in list(node.find_all(exp.Column)) if node is not None else []:
                if not col.table and col.name.lower() in aliases:
                    col.replace(aliases[col.name.lower()].copy())
        select.set("expressions", [item.this if isinstance(item, exp.Alias) else item for item in select.expressions])

    def strip(node: exp.Expression) -> exp.Expression:
        if isinstance(node, (exp.Literal, exp.Placeholder, exp.Boolean)):
            return exp.Placeholder(this="p")
        if isinstance(node, exp.TableAlias):
            return None
        if isinstance(node, exp.Column) and node.table:
            return exp.column(node.name.lower(), table=names.get(node.table.lower(), node.table.lower()))
        return node

    return tree.transform(strip).sql(dialect=DIALECT, normalize=True)


def _queries(text: str) -> list[exp.Expression]:
    """The query and every sub-query of `text` if it is one read-only query, else nothing."""
    try:
        tree = ensure_read_only(text)
    except Exception:  # not SQL (prose, an expression): only the text checks apply
        return []
    return [tree, *(node for node in tree.find_all(exp.Select) if node is not tree)]


@dataclass(frozen=True)
class _Holdout:
    id: str
    question: str
    words: frozenset[str]
    sql: str
    flat_sql: str
    shape: str | None

    @classmethod
    def of(cls, bench: Benchmark) -> "_Holdout":
        queries = _queries(bench.expected_sql)
        return cls(
            bench.id, folded(bench.question), frozenset(distinctive_words(bench.question)),
            normalize_sql(bench.expected_sql), " ".join(bench.expected_sql.casefold().split()),
            skeleton(queries[0]) if queries else None,
        )


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
    """Rejects proposals whose fix payload carries a holdout question or its SQL."""

    def __init__(self, holdout: Sequence[Benchmark], *, overlap: float = 0.75) -> None:
        self.holdout = [_Holdout.of(b) for b in holdout]
        self.overlap = overlap

    def check_text(self, text: str, field: str) -> str | None:
        """Why `text` (of field `field`) leaks a holdout question, or None."""
        flat = folded(text)
        words = distinctive_words(text) if field in QUESTION_FIELDS else set()
        queries = _queries(text) if self.holdout else []
        shapes = {skeleton(q) for q in queries}
        normalized = normalize_sql(text) if queries else None
        lowered = " ".join(text.casefold().split())
        for item in self.holdout:
            if item.question and (flat == item.question if field in QUESTION_FIELDS else f" {item.question} " in f" {flat} "):
                return f"contains holdout question {item.id}"
            if words and len(item.words) >= MIN_DISTINCT_WORDS:
                jaccard = len(words & item.words) / len(words | item.words)
                if jaccard >= self.overlap:
                    return f"rephrases holdout question {item.id} ({jaccard:.0%} of its distinctive words)"
            if normalized is not None and normalized == item.sql:
                return f"holds the expected SQL of holdout question {item.id}"
            if item.shape is not None and item.shape in shapes:
                return f"holds the expected SQL of holdout question {item.id} (same query up to literals)"
            if len(item.flat_sql) > 20 and item.flat_sql in lowered:
                return f"quotes the expected SQL of holdout question {item.id}"
        return None

    def check(self, proposal: Proposal | Any) -> str | None:
        """The reason a proposal (or a bare fix) leaks, naming the holdout id; None when it is clean."""
        fix = proposal.fix if isinstance(proposal, Proposal) else proposal
        for path, field, text in _texts(fix.model_dump(mode="json"), ""):
            reason = self.check_text(text, field)
            if reason is not None:
                return f"{reason} (fix field `{path}`)"
        return None

    def filter(self, proposals: Iterable[Proposal]) -> tuple[list[Proposal], list[tuple[Proposal, str]]]:
        kept, rejected = [], []
        for proposal in proposals:
            reason = self.check(proposal)
            if reason is None:
                kept.append(proposal)
            else:
                rejected.append((proposal, f"leakage: {reason}"))
        return kept, rejected


def string_literals(sql: str) -> set[str]:
    """The string literals of a query (empty when it does not parse)."""
    queries = _queries(sql)
    return {lit.this for lit in queries[0].find_all(exp.Literal) if lit.is_string} if queries else set()


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


def assert_no_leakage(space: SerializedSpace, holdout: Sequence[Benchmark],
                      train: Sequence[Benchmark] | None = None) -> list[str]:
    """Every place of a config that leaks a holdout question (`<json path>: <reason>`); empty when clean.

    With the `train` questions, a text naming a literal only holdout answers hold (`distinctive_literals`) is a
    leak too."""
    guard = LeakageGuard(holdout)
    literals = distinctive_literals(holdout, train) if train is not None else {}
    problems = []
    for path, field, text in _texts(space.model_dump(mode="json"), "", frozenset({"benchmarks"})):
        reason = guard.check_text(text, field)
        if reason is not None:
            problems.append(f"{path}: {reason}")
        problems += [f"{path}: names {lit!r}, a literal only holdout question {qid} uses"
                     for lit, qid in literals.items() if mentions_text(text, lit)]
    return problems
