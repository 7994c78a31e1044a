"""The leakage guard: nothing derived from the holdout reaches a proposal or the config."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from genie_enhance.proposers import HeuristicProposer, LeakageGuard, Proposal, ProposerContext, assert_no_leakage
from genie_enhance.scoring.categories import FailureCategory
from genie_enhance.space.fixes import AddExampleSql, AddSqlSnippet, AppendTextInstruction, SetColumnDescription
from genie_enhance.space.io import parse_space
from genie_enhance_tests.proposers.proposers_world import BARE_SPACE, bare_space, bench, score

HOLDOUT = bench(
    "Which tier had the most returned orders from Iberia in 2024?",
    "SELECT c.tier_cd, COUNT(*) AS returned FROM shop.sales.orders AS o JOIN shop.sales.customers AS c "
    "ON o.cust_id = c.cust_id WHERE o.stat_cd = 'RET' AND c.region = 'Iberia' AND YEAR(o.ord_dt) = 2024 "
    "GROUP BY c.tier_cd ORDER BY returned DESC LIMIT 1",
)
TRAIN = [
    bench("What is the total spend?", "SELECT SUM(amt_usd) AS spend FROM shop.sales.orders"),
    bench("How many returned orders are there?", "SELECT COUNT(*) AS n FROM shop.sales.orders WHERE stat_cd = 'RET'"),
    bench("How many orders are there for each region?",
          "SELECT c.region, COUNT(*) AS n FROM shop.sales.orders AS o JOIN shop.sales.customers AS c "
          "ON o.cust_id = c.cust_id GROUP BY c.region"),
]


def planted(fix) -> Proposal:
    return Proposal(fix=fix, proposer="llm:test", rationale="planted", question_ids=[TRAIN[0].id],
                    category=FailureCategory.WRONG_RESULT)


def test_heuristic_proposals_never_contain_the_holdout(proposers_shop):
    proposals = HeuristicProposer().propose(score(proposers_shop, bare_space(), TRAIN).ctx)
    assert proposals
    guard = LeakageGuard([HOLDOUT])
    for proposal in proposals:
        payload = json.dumps(proposal.fix.model_dump(mode="json")).lower()
        assert "iberia" not in payload and "which tier had" not in payload
        assert guard.check(proposal) is None


@pytest.mark.parametrize(
    ("fix", "reason"),
    [
        (AddExampleSql(question=HOLDOUT.question, sql="SELECT 1"), "contains holdout question"),
        (AddExampleSql(question="which tier had the MOST returned orders from iberia in 2024", sql="SELECT 1"),
         "contains holdout question"),
        (AddExampleSql(question="Which tier had most returned orders from Iberia during 2024?", sql="SELECT 1"),
         "rephrases holdout question"),
        (AddExampleSql(question="Top tier?", sql=HOLDOUT.expected_sql), "holds the expected SQL"),
        (AddExampleSql(
            question="Top tier by returns?",
            sql="SELECT cu.tier_cd AS t, COUNT(*) AS x FROM shop.sales.orders AS od JOIN shop.sales.customers AS cu "
                "ON od.cust_id = cu.cust_id WHERE od.stat_cd = 'OK' AND cu.region = :region AND YEAR(od.ord_dt) = 2023 "
                "GROUP BY cu.tier_cd ORDER BY x DESC LIMIT 3",
        ), "same query up to literals"),
        (AddExampleSql(question="Top tier by returns?",
                       sql=f"WITH t AS ({HOLDOUT.expected_sql}) SELECT * FROM t"), "holds the expected SQL"),
        (AppendTextInstruction(text=f"Remember: {HOLDOUT.question} is asked often."), "contains holdout question"),
        (SetColumnDescription(table="shop.sales.customers", column="tier_cd",
                              description=f"Typical query: {HOLDOUT.expected_sql}"), "holds the expected SQL"),
        (SetColumnDescription(table="shop.sales.customers", column="tier_cd",
                              description=f"Typical query: {HOLDOUT.expected_sql}; use it for tiers."),
         "quotes the expected SQL"),
    ],
)
def test_guard_rejects_planted_leaks_naming_the_holdout_id(fix, reason):
    kept, rejected = LeakageGuard([HOLDOUT]).filter([planted(fix)])
    assert kept == []
    assert len(rejected) == 1
    why = rejected[0][1]
    assert why.startswith("leakage:") and reason in why and HOLDOUT.id in why


def test_guard_keeps_clean_train_fixes_and_short_contained_questions():
    holdout = bench("What is the total spend?", "SELECT SUM(amt_usd) FROM shop.sales.orders")
    clean = [
        planted(AddExampleSql(question="What is the total spend by region?",
                              sql="SELECT c.region, SUM(o.amt_usd) FROM shop.sales.orders AS o JOIN shop.sales.customers "
                                  "AS c ON o.cust_id = c.cust_id GROUP BY c.region")),
        planted(AddSqlSnippet(kind="measure", alias="spend", sql="SUM(orders.amt_usd)", display_name="spend")),
    ]
    kept, rejected = LeakageGuard([holdout]).filter(clean)
    assert kept == clean and rejected == []


def test_assert_no_leakage_scans_a_whole_config_but_not_its_benchmarks():
    space = AddExampleSql(question="Top tier by returns?", sql=HOLDOUT.expected_sql).apply(bare_space())
    problems = assert_no_leakage(space, [HOLDOUT])
    assert len(problems) == 1
    assert problems[0].startswith("instructions.example_question_sqls[0].sql:") and HOLDOUT.id in problems[0]
    with_benchmark = parse_space({**BARE_SPACE, "benchmarks": {"questions": [{
        "id": HOLDOUT.id, "question": [HOLDOUT.question],
        "answer": [{"format": "SQL", "content": [HOLDOUT.expected_sql]}],
    }]}})
    assert assert_no_leakage(with_benchmark, [HOLDOUT]) == []
    assert assert_no_leakage(bare_space(), [HOLDOUT]) == []


def test_a_proposer_context_refuses_holdout_results(proposers_shop):
    ctx = score(proposers_shop, bare_space(), TRAIN).ctx
    result, diagnosis = ctx.train_failures[0]
    leaked = result.model_copy(update={"role": "holdout"})
    with pytest.raises(ValidationError, match="train questions only"):
        ProposerContext(space=ctx.space, catalog=ctx.catalog, warehouse=ctx.warehouse,
                        train_failures=[(leaked, diagnosis)])
