"""`propose_all`: heuristic first, others only for what is left, dedupe, blocked and no-op drops, guard, cap."""

from __future__ import annotations

from dataclasses import dataclass

from genie_enhance.proposers import HeuristicProposer, LeakageGuard, Proposal, ProposerContext, propose_all
from genie_enhance.scoring.categories import FailureCategory
from genie_enhance.space.fixes import (
    AddExampleSql,
    AddJoin,
    AddSynonym,
    EnableEntityMatching,
    EnableFormatAssistance,
    SetTableDescription,
)
from genie_enhance_tests.proposers.proposers_world import CUSTOMERS, ORDERS, bare_space, bench, score

SPEND = bench("What is the total spend?", "SELECT SUM(amt_usd) AS spend FROM shop.sales.orders")
RETURNED = bench("How many returned orders are there?",
                 "SELECT COUNT(*) AS n FROM shop.sales.orders WHERE stat_cd = 'RET'")
HOLDOUT = bench("How much was spent on returned orders in Iberia?",
                "SELECT SUM(o.amt_usd) FROM shop.sales.orders AS o JOIN shop.sales.customers AS c "
                "ON o.cust_id = c.cust_id WHERE o.stat_cd = 'RET' AND c.region = 'Iberia'")


class Scripted:
    """A stand-in for another proposer (e.g. the LLM one): returns fixed fixes and records what it was shown."""

    def __init__(self, name: str, fixes: list, question_id: str | None = None) -> None:
        self.name = name
        self.fixes = fixes
        self.question_id = question_id
        self.seen: list[str] | None = None

    def propose(self, ctx: ProposerContext) -> list[Proposal]:
        self.seen = [r.id for r, _ in ctx.train_failures]
        qid = self.question_id or (self.seen[0] if self.seen else "x")
        return [Proposal(fix=f, proposer=self.name, rationale="scripted", question_ids=[qid],
                         category=FailureCategory.WRONG_RESULT) for f in self.fixes]


LOYAL = bench("Which customers placed more than 5 orders?",
              "SELECT c.cust_nm FROM shop.sales.customers AS c JOIN shop.sales.orders AS o "
              "ON c.cust_id = o.cust_id GROUP BY c.cust_nm HAVING COUNT(*) > 5")


@dataclass
class Lesson:
    fix_type: str
    category: str
    applied: int
    helped: int
    hurt: int
    mean_delta: float


def mixed_round(proposers_shop):
    """Train failures SPEND (the heuristic names the measure) and LOYAL (nothing lighter than an example is left,
    and lessons say examples hurt this category): the second is left for the other proposers."""
    space = bare_space()
    space = AddJoin(left_table=ORDERS, right_table=CUSTOMERS, on=[("cust_id", "cust_id")],
                    relationship="MANY_TO_ONE").apply(space)
    space = EnableEntityMatching(table=CUSTOMERS, column="cust_nm").apply(space)
    round_ = score(proposers_shop, space, [SPEND, LOYAL])
    category = next(d.category.value for r, d in round_.ctx.train_failures if r.id == LOYAL.id)
    round_.ctx.lessons = [Lesson("add_example_sql", category, applied=10, helped=0, hurt=10, mean_delta=-0.1)]
    return round_


def test_heuristic_runs_first_and_the_other_proposer_only_sees_unaddressed_failures(proposers_shop):
    round_ = mixed_round(proposers_shop)
    llm = Scripted("llm:test", [SetTableDescription(table=ORDERS, description="One row per order.")])
    result = propose_all(round_.ctx, [llm, HeuristicProposer()], LeakageGuard([HOLDOUT]))
    assert llm.seen == [LOYAL.id]
    kept = [p for p in result.kept if "variant_of" not in p.evidence]  # "spent", "spending" go along with "spend"
    assert [p.proposer for p in kept] == ["heuristic", "llm:test"]
    assert kept[0].question_ids == [SPEND.id] and isinstance(kept[0].fix, AddSynonym)

    round_ = score(proposers_shop, bare_space(), [SPEND, RETURNED])
    llm = Scripted("llm:test", [SetTableDescription(table=ORDERS, description="One row per order.")])
    result = propose_all(round_.ctx, [llm, HeuristicProposer()], LeakageGuard([HOLDOUT]))
    assert llm.seen is None  # the heuristic addressed every failure: nothing was left for it
    assert result.kept and all(p.proposer == "heuristic" for p in result.kept)


def test_duplicates_blocked_and_no_op_fixes_are_dropped_with_reasons(proposers_shop):
    round_ = mixed_round(proposers_shop)
    synonym = AddSynonym(table=ORDERS, column="amt_usd", synonym="spend")
    blocked = SetTableDescription(table=CUSTOMERS, description="People who buy.")
    round_.ctx.blocked_keys = {blocked.key}
    other = Scripted("llm:test", [
        AddSynonym(table=ORDERS, column="amt_usd", synonym="SPEND"),  # same key as the heuristic's synonym
        EnableFormatAssistance(table=CUSTOMERS, column="cust_nm"),  # already on (entity matching turns it on)
        EnableEntityMatching(table=ORDERS, column="stat_cd"),
        EnableFormatAssistance(table=ORDERS, column="stat_cd"),  # made redundant by the fix before it
        blocked,
    ])
    result = propose_all(round_.ctx, [HeuristicProposer(), other], LeakageGuard([HOLDOUT]))
    kept = [p.fix.key for p in result.kept if "variant_of" not in p.evidence]  # "spent", "spending" go along
    assert kept == [synonym.key, EnableEntityMatching(table=ORDERS, column="stat_cd").key]
    reasons = {p.fix.describe(): why for p, why in result.rejected}
    assert reasons['add synonym "SPEND" to shop.sales.orders.amt_usd'].startswith("duplicate of a fix already proposed by heuristic")
    assert reasons["enable format assistance on shop.sales.customers.cust_nm"].startswith("no-op")
    assert reasons["enable format assistance on shop.sales.orders.stat_cd"].startswith("no-op")
    assert reasons[blocked.describe()].startswith("blocked")


def test_guard_runs_last_and_the_cap_limits_the_batch(proposers_shop):
    round_ = mixed_round(proposers_shop)
    leaking = AddExampleSql(question=HOLDOUT.question, sql="SELECT SUM(amt_usd) FROM shop.sales.orders")
    clean = SetTableDescription(table=ORDERS, description="One row per order.")
    other = Scripted("llm:test", [leaking, clean])
    result = propose_all(round_.ctx, [HeuristicProposer(), other], LeakageGuard([HOLDOUT]), max_fixes=1)
    assert len(result.kept) == 1 and result.kept[0].proposer == "heuristic"
    reasons = {p.fix.key: why for p, why in result.rejected}
    assert reasons[leaking.key].startswith("leakage:") and HOLDOUT.id in reasons[leaking.key]
    assert reasons[clean.key].startswith("over the cap of 1")
    assert result.fixes == [result.kept[0].fix]
