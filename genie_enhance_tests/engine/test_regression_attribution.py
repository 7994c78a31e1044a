"""A fix is implicated in a regression only with evidence: a phrase it teaches that the broken question uses and
its objects where that question's SQL changed, or (a fix without phrases) its objects alone."""

from __future__ import annotations

import pytest

from genie_enhance.engine.regression_gate import footprint, touches
from genie_enhance.space.fixes import (
    AddJoin,
    AddSqlSnippet,
    AddSynonym,
    AppendTextInstruction,
    ColumnPair,
    EnableEntityMatching,
)

Q = "What is the largest order amount?"
BEFORE = "SELECT MAX(gross_amt_usd) FROM demo.commerce.orders"
AFTER = "SELECT MAX(disc_amt_usd) FROM demo.commerce.orders"
STEAL = AddSynonym(table="demo.commerce.orders", column="disc_amt_usd", synonym="order amount")


@pytest.mark.parametrize("fix,question,after,implicated", [
    (STEAL, Q, AFTER, True),  # teaches the phrase, and the SQL moved to its column
    (STEAL, "What is the largest discount?", AFTER, False),  # the question does not use the phrase
    (STEAL, Q, "SELECT MAX(ord_id) FROM demo.commerce.orders", False),  # the SQL moved, but not to its column
    (STEAL, Q, "SELECT MAX(gross_amt_usd) FROM demo.commerce.orders WHERE 1 = 0", True),  # no object moved: phrase
    (STEAL, Q, None, True),  # no SQL any more: the phrase is the evidence
    (AddSynonym(table="demo.commerce.customers", column="seg_cd", synonym="segment"), Q, AFTER, False),
    (EnableEntityMatching(table="demo.commerce.orders", column="disc_amt_usd"), Q, AFTER, True),  # objects alone
    (EnableEntityMatching(table="demo.commerce.customers", column="seg_cd"), Q, AFTER, False),
    (AddJoin(left_table="demo.commerce.orders", right_table="demo.commerce.customers",
             on=[ColumnPair(left="cust_id", right="cust_id")], relationship="MANY_TO_ONE"), Q, AFTER, False),
    (AddSqlSnippet(kind="measure", alias="order_amount", sql="SUM(orders.disc_amt_usd)",
                   display_name="order amount"), Q, AFTER, True),
    (AppendTextInstruction(text="order amount means orders.disc_amt_usd"), Q, AFTER, True),
    (AppendTextInstruction(text="discount means orders.disc_amt_usd"), Q, AFTER, False),
])
def test_touches(fix, question: str, after: str | None, implicated: bool) -> None:
    assert touches(footprint(fix.model_dump()), question, BEFORE, after) is implicated
