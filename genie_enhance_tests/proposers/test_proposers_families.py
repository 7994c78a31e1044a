"""The heuristic proposer's fix families, each on a failure only it can fix, checked by re-scoring with the offline
Genie; plus relationship typing from data, determinism, blocked keys, lessons and cross-question consistency."""

from __future__ import annotations

import random
from dataclasses import dataclass

from genie_enhance.proposers import HeuristicProposer, Proposal
from genie_enhance.space.fixes import (
    AddExampleSql,
    AddJoin,
    AddSqlSnippet,
    AddSynonym,
    EnableEntityMatching,
    SetColumnDescription,
    apply_fixes,
)
from genie_enhance_tests.proposers.proposers_world import CUSTOMERS, ORDERS, bare_space, bench, score

SPEND = bench("What is the total spend?", "SELECT SUM(amt_usd) AS spend FROM shop.sales.orders")
BY_REGION = bench(
    "How many orders are there for each region?",
    "SELECT c.region, COUNT(*) AS orders FROM shop.sales.orders AS o "
    "JOIN shop.sales.customers AS c ON o.cust_id = c.cust_id GROUP BY c.region",
)
NORDICS = bench("How many customers are in the nordics region?",
                "SELECT COUNT(*) AS customers FROM shop.sales.customers WHERE region = 'Nordics'")
RETURNED = bench("How many returned orders are there?",
                 "SELECT COUNT(*) AS orders FROM shop.sales.orders WHERE stat_cd = 'RET'")
NET_SPEND = bench("What is the total net spend?", "SELECT SUM(amt_usd - disc_usd) AS net FROM shop.sales.orders")
DISCOUNT_OVER = bench("How many orders had a discount over 20?",
                      "SELECT COUNT(*) AS orders FROM shop.sales.orders WHERE disc_usd > 20")
ACTIVE = bench(
    "How many active customers are there?",
    "SELECT COUNT(DISTINCT cust_id) AS active FROM shop.sales.orders WHERE ord_dt >= DATE '2025-06-01'",
)
LOYAL = bench(
    "Which customers placed more than 5 orders?",
    "SELECT c.cust_nm FROM shop.sales.customers AS c JOIN shop.sales.orders AS o ON c.cust_id = o.cust_id "
    "GROUP BY c.cust_nm HAVING COUNT(*) > 5",
)


def propose(round_, **kwargs) -> list[Proposal]:
    return HeuristicProposer(**kwargs).propose(round_.ctx)


def of_type(proposals: list[Proposal], cls: type) -> list:
    return [p.fix for p in proposals if isinstance(p.fix, cls)]


def fixes_question(proposers_shop, space, benchmark, fixes) -> bool:
    return score(proposers_shop, apply_fixes(space, fixes), [benchmark]).verdict(benchmark.question) == "pass"


def test_synonym_names_the_measure_column_with_the_unexplained_phrase(proposers_shop):
    space = bare_space()
    round_ = score(proposers_shop, space, [SPEND])
    assert round_.verdict(SPEND.question) == "fail"
    proposals = propose(round_)
    synonyms = of_type(proposals, AddSynonym)
    # the question's phrase, then its natural variants (how people ask about the same measure)
    assert [(s.table, s.column, s.synonym) for s in synonyms] == [
        (ORDERS, "amt_usd", "spend"), (ORDERS, "amt_usd", "spending"), (ORDERS, "amt_usd", "spent")]
    variants = {p.fix.synonym: p.evidence.get("variant_of") for p in proposals if isinstance(p.fix, AddSynonym)}
    assert variants == {"spend": None, "spending": "spend", "spent": "spend"}
    proposal = next(p for p in proposals if isinstance(p.fix, AddSynonym))
    assert proposal.question_ids == [SPEND.id] and proposal.proposer == "heuristic"
    assert "orders.amt_usd" in proposal.rationale and proposal.evidence["role"] == "SUM measure"
    assert fixes_question(proposers_shop, space, SPEND, synonyms)


def test_join_spec_for_a_missing_join_is_typed_many_to_one_from_the_data(proposers_shop):
    space = bare_space()
    round_ = score(proposers_shop, space, [BY_REGION])
    joins = of_type(propose(round_), AddJoin)
    assert len(joins) == 1
    join = joins[0]
    assert (join.left_table, join.right_table, join.relationship) == (ORDERS, CUSTOMERS, "MANY_TO_ONE")
    assert [(p.left, p.right) for p in join.on] == [("cust_id", "cust_id")]
    assert fixes_question(proposers_shop, space, BY_REGION, joins)


def test_join_read_from_the_one_side_is_typed_one_to_many(proposers_shop):
    question = bench(
        "What is the total amt usd for each customer name?",
        "SELECT c.cust_nm, SUM(o.amt_usd) FROM shop.sales.customers AS c "
        "JOIN shop.sales.orders AS o ON c.cust_id = o.cust_id GROUP BY c.cust_nm",
    )
    proposals = propose(score(proposers_shop, bare_space(), [question]))
    join = next(p for p in proposals if isinstance(p.fix, AddJoin))
    assert (join.fix.left_table, join.fix.right_table, join.fix.relationship) == (CUSTOMERS, ORDERS, "ONE_TO_MANY")
    assert join.evidence["left_key"] == {"rows": 30, "distinct": 30}
    assert join.evidence["right_key"] == {"rows": 200, "distinct": 30}


def test_entity_matching_for_a_value_the_question_names_and_the_data_holds(proposers_shop):
    space = bare_space()
    proposals = propose(score(proposers_shop, space, [NORDICS]))
    matching = of_type(proposals, EnableEntityMatching)
    assert [(f.table, f.column) for f in matching] == [(CUSTOMERS, "region")]
    proposal = next(p for p in proposals if isinstance(p.fix, EnableEntityMatching))
    assert proposal.evidence["stored_value"] == "Nordics" and proposal.evidence["question_value"] == "Nordics"
    assert fixes_question(proposers_shop, space, NORDICS, matching)


def test_no_entity_matching_for_a_value_the_data_does_not_hold(proposers_shop):
    absent = bench("How many customers are in the atlantis region?",
                   "SELECT COUNT(*) AS customers FROM shop.sales.customers WHERE region = 'Atlantis'")
    round_ = score(proposers_shop, bare_space(), [absent])
    assert round_.verdict(absent.question) == "fail"
    assert of_type(propose(round_), EnableEntityMatching) == []


def test_filter_snippet_for_a_condition_the_question_only_names(proposers_shop):
    space = bare_space()
    proposals = propose(score(proposers_shop, space, [RETURNED]))
    filters = [f for f in of_type(proposals, AddSqlSnippet) if f.kind == "filter"]
    # the phrase, the phrase without its table's name, and that word's natural variants
    assert [(f.sql, f.display_name, f.synonyms) for f in filters] == [
        ("orders.stat_cd = 'RET'", "returned orders", ["returned orders", "returned", "return", "returning"])
    ]
    assert fixes_question(proposers_shop, space, RETURNED, filters)
    rephrased = bench("How many orders were returned?", RETURNED.expected_sql)
    assert fixes_question(proposers_shop, space, rephrased, filters)


def test_a_derived_name_another_train_question_means_otherwise_is_dropped(proposers_shop):
    returns = bench("How many returns were there?",
                    "SELECT COUNT(*) AS orders FROM shop.sales.orders WHERE stat_cd = 'RTN'")
    proposer = HeuristicProposer()
    round_ = score(proposers_shop, bare_space(), [RETURNED, returns])
    filters = [f for f in of_type(proposer.propose(round_.ctx), AddSqlSnippet)
               if f.sql == "orders.stat_cd = 'RET'"]
    assert [f.synonyms for f in filters] == [["returned orders", "returned", "returning"]]
    assert any('variant "return"' in why for _, why in proposer.skipped)


def test_measure_snippet_for_an_aggregate_over_an_expression(proposers_shop):
    space = bare_space()
    proposals = propose(score(proposers_shop, space, [NET_SPEND]))
    measures = [f for f in of_type(proposals, AddSqlSnippet) if f.kind == "measure"]
    assert [(f.alias, f.sql, f.display_name) for f in measures] == [
        ("net_spend", "SUM(orders.amt_usd - orders.disc_usd)", "net spend")
    ]
    assert fixes_question(proposers_shop, space, NET_SPEND, measures)


def test_conditional_distinct_count_becomes_a_measure_named_by_the_business_term(proposers_shop):
    space = bare_space()
    proposals = propose(score(proposers_shop, space, [ACTIVE]))
    measures = [f for f in of_type(proposals, AddSqlSnippet) if f.kind == "measure"]
    assert len(measures) == 1 and measures[0].display_name == "active customers"
    assert "COUNT(DISTINCT CASE WHEN orders.ord_dt >=" in measures[0].sql and "THEN orders.cust_id END)" in measures[0].sql
    assert of_type(proposals, AddSynonym) == []
    assert fixes_question(proposers_shop, space, ACTIVE, measures)


def test_description_names_the_sibling_column_when_the_synonym_is_blocked(proposers_shop):
    space = bare_space()
    round_ = score(proposers_shop, space, [DISCOUNT_OVER])
    assert of_type(propose(round_), AddSynonym)[0].synonym == "discount"  # the lighter rung comes first
    synonym_key = of_type(propose(round_), AddSynonym)[0].key
    round_.ctx.blocked_keys = {synonym_key}
    proposer = HeuristicProposer()
    proposals = proposer.propose(round_.ctx)
    assert of_type(proposals, AddSynonym) == []
    descriptions = of_type(proposals, SetColumnDescription)
    assert [(d.table, d.column) for d in descriptions] == [(ORDERS, "disc_usd")]
    assert "discount" in descriptions[0].description and "amt_usd" in descriptions[0].description
    assert any(c.fix.key == synonym_key and why.startswith("blocked") for c, why in proposer.skipped)
    assert fixes_question(proposers_shop, space, DISCOUNT_OVER, descriptions)


def test_example_sql_is_the_last_resort_after_lighter_fixes_stayed_failing(proposers_shop):
    space = bare_space()
    first = propose(score(proposers_shop, space, [LOYAL]))
    assert first and of_type(first, AddExampleSql) == []  # lighter fixes first (the join)
    space = apply_fixes(space, [p.fix for p in first])
    second_round = score(proposers_shop, space, [LOYAL], iteration=1)
    assert second_round.verdict(LOYAL.question) == "fail"
    examples = of_type(propose(second_round), AddExampleSql)
    assert len(examples) == 1
    example = examples[0]
    assert example.question == LOYAL.question and ":value" in example.sql and "> 5" not in example.sql
    assert [(p.name, p.default_values) for p in example.parameters] == [("value", ["5"])]
    assert example.usage_guidance
    assert fixes_question(proposers_shop, space, LOYAL, examples)


def test_same_input_gives_the_same_proposals_in_the_same_order(proposers_shop):
    round_ = score(proposers_shop, bare_space(), [SPEND, BY_REGION, NORDICS, RETURNED, NET_SPEND, ACTIVE])
    first = [p.model_dump(mode="json") for p in propose(round_)]
    shuffled = list(round_.ctx.train_failures)
    random.Random(7).shuffle(shuffled)
    round_.ctx.train_failures = shuffled
    second = [p.model_dump(mode="json") for p in propose(round_)]
    assert first == second and len(first) >= 6


def test_blocked_keys_are_never_proposed(proposers_shop):
    round_ = score(proposers_shop, bare_space(), [SPEND])
    blocked = of_type(propose(round_), AddSynonym)[0].key
    round_.ctx.blocked_keys = {blocked}
    proposals = propose(round_)
    assert blocked not in {p.fix.key for p in proposals}
    # the ladder climbs to its next rung: a measure named by the phrase
    assert [(f.kind, f.sql, f.display_name) for f in of_type(proposals, AddSqlSnippet)] == [
        ("measure", "SUM(orders.amt_usd)", "spend")
    ]
    round_.ctx.blocked_keys = {blocked, of_type(proposals, AddSqlSnippet)[0].key}
    assert [type(p.fix) for p in propose(round_)] == [AddExampleSql]  # nothing lighter is left


@dataclass
class FakeLesson:
    """Any object with these fields is accepted as a lesson."""

    fix_type: str
    category: str
    applied: int
    helped: int
    hurt: int
    mean_delta: float


def test_lessons_skip_a_fix_type_that_kept_hurting_and_rank_helpful_types_first(proposers_shop):
    round_ = score(proposers_shop, bare_space(), [SPEND, RETURNED])
    category = next(d.category.value for r, d in round_.ctx.train_failures if r.id == SPEND.id)
    round_.ctx.lessons = [FakeLesson("add_synonym", category, applied=8, helped=0, hurt=8, mean_delta=-0.05)]
    proposer = HeuristicProposer()
    proposals = proposer.propose(round_.ctx)
    assert of_type(proposals, AddSynonym) == []
    assert any(why.startswith("lessons:") for _, why in proposer.skipped)
    filter_category = next(d.category.value for r, d in round_.ctx.train_failures if r.id == RETURNED.id)
    round_.ctx.lessons = [FakeLesson("add_example_sql", category, 9, 9, 0, 0.1),
                          FakeLesson("add_sql_snippet", filter_category, 9, 9, 0, 0.1)]
    ranked = HeuristicProposer().propose(round_.ctx)
    assert isinstance(ranked[0].fix, (AddSqlSnippet, AddExampleSql))


def test_a_phrase_another_train_question_means_differently_is_not_taught(proposers_shop):
    other = bench("What is the total spend on discounts?", "SELECT SUM(disc_usd) AS d FROM shop.sales.orders")
    round_ = score(proposers_shop, bare_space(), [SPEND, other])
    proposer = HeuristicProposer()
    proposals = proposer.propose(round_.ctx)
    assert ("amt_usd", "spend") not in {(f.column, f.synonym) for f in of_type(proposals, AddSynonym)}
    assert any(other.id in why for c, why in proposer.skipped if isinstance(c.fix, AddSynonym))
