"""The leakage guard compares meaning, not spelling.

- The five rewrite families that fooled the text comparison (backtick-quoted identifiers, unqualified table names,
  an extra constant column, COUNT(1) for COUNT(*), COALESCE(SUM(…), 0)) are generated with sqlglot over every
  holdout SQL of the demo (holdout 0.35, seed 0: 32 questions) and all are blocked, by the canonical-SQL rule alone
  and by the full guard over the demo warehouse.
- Canonical SQL: commutative forms, join order, ordinals, wrappers and qualification do not change it; a different
  query does.
- Question forms: a holdout question with its year, number or value changed, or respaced in Korean, is still it.
- The result rule: a differently written query returning a holdout answer is a leak; a fair example sharing no
  result, a lone value that matches by chance over other tables, and an empty result are not; it runs only for
  proposals the cheaper rules let through.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlglot
from sqlglot import exp

from genie_enhance.backends.local.warehouse import DuckDBWarehouse
from genie_enhance.benchmarks import Benchmark, load_benchmarks, split_benchmarks
from genie_enhance.demo.build import DEMO_BENCHMARKS
from genie_enhance.demo.space_configs import BARE_SPACE, demo_space_text
from genie_enhance.proposers import Proposal, ProposerContext, propose_all
from genie_enhance.proposers.guard import LeakageGuard, Rule, assert_no_leakage
from genie_enhance.proposers.leak_questions import QuestionNormalizer
from genie_enhance.proposers.leak_results import ResultMatcher
from genie_enhance.proposers.leak_sql import SqlCanonicalizer
from genie_enhance.scoring.categories import FailureCategory
from genie_enhance.scoring.expected import run_expected
from genie_enhance.space.fixes import AddExampleSql, AddSqlSnippet, ExampleParameter
from genie_enhance.space.io import parse_space

D = "databricks"
SPLIT = split_benchmarks(load_benchmarks(DEMO_BENCHMARKS), 0.35, 0)
HOLDOUT = SPLIT.holdout
BARE = parse_space(demo_space_text(BARE_SPACE))
TABLES = [t.identifier for t in BARE.all_tables()]


# ------------------------------------------------------------------------------------------ rewrite families
def backticks(tree: exp.Expression) -> str | None:
    return tree.sql(dialect=D, identify=True)


def unqualified(tree: exp.Expression) -> str | None:
    for table in tree.find_all(exp.Table):
        table.set("catalog", None)
        table.set("db", None)
    return tree.sql(dialect=D)


def constant_column(tree: exp.Expression) -> str | None:
    return tree.select(exp.alias_(exp.Literal.number(1), "one"), copy=False).sql(dialect=D)


def count_one(tree: exp.Expression) -> str | None:
    counts = [c for c in tree.find_all(exp.Count) if isinstance(c.this, exp.Star)]
    for count in counts:
        count.set("this", exp.Literal.number(1))
    return tree.sql(dialect=D) if counts else None


def coalesce_sum(tree: exp.Expression) -> str | None:
    sums = list(tree.find_all(exp.Sum))
    for total in sums:
        total.replace(exp.func("COALESCE", total.copy(), exp.Literal.number(0), dialect=D))
    return tree.sql(dialect=D) if sums else None


FAMILIES: dict[str, Callable[[exp.Expression], str | None]] = {
    "backticks": backticks, "unqualified": unqualified, "constant_column": constant_column,
    "count_one": count_one, "coalesce_sum": coalesce_sum,
}
APPLIES = {"backticks": 32, "unqualified": 32, "constant_column": 32, "count_one": 19, "coalesce_sum": 10}


def rewrites(family: str) -> list[tuple[Benchmark, str]]:
    made = [(b, FAMILIES[family](sqlglot.parse_one(b.expected_sql, read=D))) for b in HOLDOUT]
    return [(b, sql) for b, sql in made if sql is not None]


def example(sql: str, question: str = "Show me the figure", parameters: list[ExampleParameter] | None = None) -> Proposal:
    return Proposal(fix=AddExampleSql(question=question, sql=sql, parameters=parameters or []), proposer="llm:test",
                    rationale="planted", question_ids=["t"], category=FailureCategory.WRONG_RESULT)


def full_guard(warehouse: DuckDBWarehouse, holdout: list[Benchmark] = HOLDOUT) -> LeakageGuard:
    matcher = ResultMatcher(warehouse, holdout, lambda b: run_expected(warehouse, b.expected_sql))
    return LeakageGuard(holdout, tables=TABLES, results=matcher)


def test_the_demo_holdout_has_32_questions_and_the_families_apply_as_found() -> None:
    assert len(HOLDOUT) == 32
    assert {family: len(rewrites(family)) for family in FAMILIES} == APPLIES


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_every_rewrite_of_every_holdout_sql_is_blocked_by_the_canonical_sql(family: str) -> None:
    guard = LeakageGuard(HOLDOUT, tables=TABLES)
    missed = []
    for bench, sql in rewrites(family):
        assert sql != bench.expected_sql
        leak = guard.inspect(example(sql), results=False)
        if leak is None or leak.rule is not Rule.SQL:
            missed.append((bench.id, sql, leak))
    assert missed == [], f"{family}: {len(missed)}/{len(rewrites(family))} not blocked by the canonical SQL"


@pytest.mark.parametrize("family", sorted(set(FAMILIES) - {"unqualified"}))  # `FROM orders` does not run here
def test_every_rewrite_also_returns_a_holdout_answer(family: str, demo_warehouse: DuckDBWarehouse) -> None:
    guard = full_guard(demo_warehouse)
    blocked = [guard.result_leak(example(sql)) for _, sql in rewrites(family)]
    assert all(leak is not None and leak.rule is Rule.RESULT for leak in blocked)


# ------------------------------------------------------------------------------------------ canonical SQL
HOLDOUT_SQL = ("SELECT p.prod_cat AS category, SUM(i.qty * i.unit_prc_usd) AS product_revenue "
               "FROM demo.commerce.order_items AS i JOIN demo.commerce.products AS p ON i.prod_id = p.prod_id "
               "WHERE p.list_price_usd > 10 AND i.qty >= 1 GROUP BY p.prod_cat ORDER BY product_revenue DESC LIMIT 1")


@pytest.mark.parametrize("same", [
    # operand order of AND, `=` sides, commutative arithmetic, flipped comparison, join order, ordinals
    "SELECT p.prod_cat, SUM(i.unit_prc_usd * i.qty) FROM demo.commerce.products p JOIN demo.commerce.order_items i "
    "ON p.prod_id = i.prod_id WHERE 1 <= i.qty AND 10 < p.list_price_usd GROUP BY 1 ORDER BY 2 DESC LIMIT 1",
    # a wrapping derived table, partially qualified names, mixed-case quoted identifiers
    "SELECT * FROM (SELECT `P`.`Prod_Cat` AS c, SUM(i.qty * i.unit_prc_usd) AS r FROM commerce.order_items i, "
    "products `P` WHERE i.prod_id = `P`.prod_id AND `P`.list_price_usd > 10.0 AND i.qty >= 1 GROUP BY `P`.prod_cat "
    "ORDER BY r DESC LIMIT 1) AS x",
])
def test_equivalent_spellings_have_one_canonical_form(same: str) -> None:
    canon = SqlCanonicalizer(TABLES)
    reference = canon.canonical(HOLDOUT_SQL)
    other = canon.canonical(same)
    assert reference.exact in {other.exact, *other.inner_exact}


def test_a_different_query_has_another_form_and_literals_only_change_the_exact_one() -> None:
    canon = SqlCanonicalizer(TABLES)
    reference = canon.canonical(HOLDOUT_SQL)
    other_value = canon.canonical(HOLDOUT_SQL.replace("> 10", "> 25"))
    other_column = canon.canonical(HOLDOUT_SQL.replace("p.prod_cat", "p.prod_nm"))
    assert other_value.exact != reference.exact and other_value.shape == reference.shape
    assert other_column.exact != reference.exact and other_column.shape != reference.shape
    assert canon.canonical("DELETE FROM demo.commerce.orders") is None


# ------------------------------------------------------------------------------------------ question forms
@pytest.mark.parametrize(("holdout", "candidate"), [
    ("How many orders were placed in 2024?", "how many orders were placed in 2023"),
    ("What are the top 5 products by product revenue?", "What are the top three products by product revenue?"),
    ("How many heart reactions have been given?", "How many thumbsup reactions have been given?"),
    ("2025년의 총 판매액은 얼마였습니까?", "2024년의 총판매액은 얼마였습니까"),
])
def test_questions_compare_with_numbers_dates_values_and_spacing_normalized(holdout: str, candidate: str) -> None:
    forms = QuestionNormalizer(["heart", "thumbsup"])
    assert forms.form(holdout).key == forms.form(candidate).key
    bench = Benchmark(id="a" * 32, question=holdout, expected_sql="SELECT 1", source="t:1")
    leak = LeakageGuard([bench], entity_values=["heart", "thumbsup"]).inspect(example("SELECT 2", candidate))
    assert leak is not None and leak.rule in (Rule.QUESTION, Rule.QUESTION_FORM)


def test_a_holdout_question_in_another_language_is_recognized() -> None:
    bench = Benchmark(id="b" * 32, question="What is the total revenue?", question_ko="총매출은 얼마입니까?",
                      expected_sql="SELECT 1", source="t:1")
    leak = LeakageGuard([bench]).inspect(example("SELECT 2", "총 매출은 얼마입니까"))
    assert leak is not None and leak.rule is Rule.QUESTION_FORM and bench.id in leak.reason


# ------------------------------------------------------------------------------------------ the result rule
BRAVECRANE = next(b for b in load_benchmarks(DEMO_BENCHMARKS) if "bravecrane" in b.question.lower())


def test_a_differently_written_query_with_a_holdout_answer_is_a_leak(demo_warehouse: DuckDBWarehouse) -> None:
    guard = full_guard(demo_warehouse, [BRAVECRANE])
    rewritten = ("SELECT COUNT(msg_id) FROM demo.community.messages WHERE mbr_id IN "
                 "(SELECT mbr_id FROM demo.community.members WHERE LOWER(usr_handle) = 'bravecrane')")
    assert guard.inspect(example(rewritten), results=False) is None  # no text rule sees it
    leak = guard.result_leak(example(rewritten))
    assert leak is not None and leak.rule is Rule.RESULT and leak.holdout_id == BRAVECRANE.id
    answer = demo_warehouse.execute(BRAVECRANE.expected_sql).rows[0][0]
    constant = guard.result_leak(example(f"SELECT {answer} AS n"))  # the answer hard-coded, no table at all
    assert constant is not None and constant.holdout_id == BRAVECRANE.id
    handle = ExampleParameter(name="handle", type_hint="STRING", default_values=["BraveCrane"])
    bound = guard.result_leak(example(
        "SELECT COUNT(*) FROM demo.community.messages m JOIN demo.community.members u ON m.mbr_id = u.mbr_id "
        "WHERE u.usr_handle = :handle", parameters=[handle]))
    assert bound is not None and bound.holdout_id == BRAVECRANE.id


def test_fair_examples_chance_values_and_empty_results_are_not_leaks(demo_warehouse: DuckDBWarehouse) -> None:
    guard = full_guard(demo_warehouse, [BRAVECRANE])
    answer = demo_warehouse.execute(BRAVECRANE.expected_sql).rows[0][0]
    fair = example("SELECT COUNT(*) FROM demo.community.channels", "How many channels are there?")
    chance = example(f"SELECT COUNT(*) FROM (SELECT ord_id FROM demo.commerce.orders LIMIT {answer}) t",
                     "How many of the first orders?")  # the same number, from data the holdout does not read
    empty = example("SELECT msg_id FROM demo.community.messages WHERE 1 = 0", "Which messages are empty?")
    assert demo_warehouse.execute(chance.fix.sql).rows[0][0] == answer
    for proposal in (fair, chance, empty):
        assert guard.inspect(proposal) is None, proposal.fix.question


def test_the_result_rule_runs_only_for_proposals_the_cheaper_rules_let_through(
    demo_warehouse: DuckDBWarehouse,
) -> None:
    guard = full_guard(demo_warehouse)
    copied = example(backticks(sqlglot.parse_one(HOLDOUT[0].expected_sql, read=D)))
    fair = example("SELECT COUNT(*) FROM demo.community.channels", "How many channels are there?")
    snippet = Proposal(fix=AddSqlSnippet(kind="measure", alias="channels", sql="COUNT(*)", display_name="channels"),
                       proposer="heuristic", rationale="r", question_ids=["t"], category=FailureCategory.WRONG_RESULT)

    class Fixed:
        name = "llm:fixed"

        def propose(self, ctx: ProposerContext) -> list[Proposal]:
            return [copied, fair, snippet]

    ctx = ProposerContext(space=BARE, catalog=demo_warehouse.catalog(), warehouse=demo_warehouse, train_failures=[])
    result = propose_all(ctx, [Fixed()], guard)
    assert [p.fix for p in result.kept] == [fair.fix, snippet.fix]
    assert [r for _, r in result.rejected if "rule `sql`" in r]
    assert guard.results.executed == 1  # only the fair example ran: the copy was stopped by text, a snippet has no query
    assert guard.tally == {Rule.SQL: 1} and guard.checked == 3


def test_a_whole_config_is_checked_with_every_rule(demo_warehouse: DuckDBWarehouse) -> None:
    rewritten = ("SELECT COUNT(msg_id) FROM demo.community.messages WHERE mbr_id IN "
                 "(SELECT mbr_id FROM demo.community.members WHERE LOWER(usr_handle) = 'bravecrane')")
    space = AddExampleSql(question="Posts of one handle?", sql=rewritten).apply(BARE)
    guard = full_guard(demo_warehouse, [BRAVECRANE])
    problems = assert_no_leakage(space, [BRAVECRANE], guard=guard)
    assert problems == [f"instructions.example_question_sqls[0].sql: returns the expected result of holdout "
                        f"question {BRAVECRANE.id}"]
    assert assert_no_leakage(space, [BRAVECRANE]) == []  # without a warehouse only the text rules apply
