"""Offline Genie: the question shapes of DESIGN §3 on a well-configured shop space.

Every answer must be read-only SQL that parses and gives the same result as the hand-written query (ordered
results compared in order where the expected query orders).
"""

from __future__ import annotations

import pytest

from genie_enhance.backends.local.offline_genie import OfflineGenie
from genie_enhance.backends.local.warehouse import DuckDBWarehouse
from genie_enhance.core.protocols import AnswerStatus
from genie_enhance.scoring.compare_sql import compare_sql
from genie_enhance.sql import ensure_read_only
from genie_enhance_tests.test_offline_genie import (  # noqa: F401  (fixtures)
    CUSTOMERS,
    ORDERS,
    ORDERS_CUSTOMERS,
    col,
    make_space,
    shop,
    shop_file,
    table,
)

O, C = ORDERS, CUSTOMERS
J = f"{O} o JOIN {C} c ON o.cust_id = c.cust_id"


@pytest.fixture(scope="module")
def genie(shop: DuckDBWarehouse) -> OfflineGenie:
    space = make_space(
        table(C, col("cust_nm", synonyms=["customer name"]), col("city", entity=True),
              col("seg", synonyms=["segment"], entity=True), col("signup_dt", synonyms=["signed up", "signup date"])),
        table(O, col("amount_legacy", exclude=True), col("amount_net", synonyms=["revenue", "order amount"]),
              col("ord_dt", synonyms=["order date", "placed"]), col("stat", synonyms=["status"], entity=True)),
        joins=[ORDERS_CUSTOMERS],
    )
    return OfflineGenie(space, shop)


SHAPES = [
    # count / count distinct
    ("How many orders are there?", f"SELECT COUNT(*) FROM {O}"),
    ("How many distinct cities do customers live in?", f"SELECT COUNT(DISTINCT city) FROM {C}"),
    ("What is the number of unique segments?", f"SELECT COUNT(DISTINCT seg) FROM {C}"),
    # sum, average, min, max
    ("What is the total revenue?", f"SELECT SUM(amount_net) FROM {O}"),
    ("How much revenue did we make?", f"SELECT SUM(amount_net) FROM {O}"),
    ("What is the average order amount?", f"SELECT AVG(amount_net) FROM {O}"),
    ("What is the minimum revenue?", f"SELECT MIN(amount_net) FROM {O}"),
    ("What is the highest order amount?", f"SELECT MAX(amount_net) FROM {O}"),
    ("When was the latest order placed?", f"SELECT MAX(ord_dt) FROM {O}"),
    # grouping: by / per / for each
    ("What is the total revenue by city?", f"SELECT c.city, SUM(o.amount_net) FROM {J} GROUP BY c.city"),
    ("How many customers per segment?", f"SELECT seg, COUNT(*) FROM {C} GROUP BY seg"),
    ("What is the average revenue for each status?", f"SELECT stat, AVG(amount_net) FROM {O} GROUP BY stat"),
    ("How many orders by status and segment?", f"SELECT o.stat, c.seg, COUNT(*) FROM {J} GROUP BY o.stat, c.seg"),
    # time grain (ordered by time) and year filters
    ("What is the monthly revenue in 2024?",
     f"SELECT DATE_TRUNC('MONTH', ord_dt) m, SUM(amount_net) FROM {O} WHERE YEAR(ord_dt) = 2024 GROUP BY 1 ORDER BY m"),
    ("How many orders were placed per day in 2023?",
     f"SELECT DATE_TRUNC('DAY', ord_dt) d, COUNT(*) FROM {O} WHERE YEAR(ord_dt) = 2023 GROUP BY 1 ORDER BY d"),
    ("What is the yearly revenue?",
     f"SELECT DATE_TRUNC('YEAR', ord_dt) y, SUM(amount_net) FROM {O} GROUP BY 1 ORDER BY y"),
    ("How many customers signed up by month?",
     f"SELECT DATE_TRUNC('MONTH', signup_dt) m, COUNT(*) FROM {C} GROUP BY 1 ORDER BY m"),
    ("How many orders were placed in 2023?", f"SELECT COUNT(*) FROM {O} WHERE YEAR(ord_dt) = 2023"),
    ("What was the revenue since 2024?", f"SELECT SUM(amount_net) FROM {O} WHERE YEAR(ord_dt) >= 2024"),
    ("How many orders were placed in March 2024?",
     f"SELECT COUNT(*) FROM {O} WHERE YEAR(ord_dt) = 2024 AND MONTH(ord_dt) = 3"),
    ("How many orders were placed after 2024-06-01?", f"SELECT COUNT(*) FROM {O} WHERE ord_dt > DATE '2024-06-01'"),
    # numeric comparisons
    ("How many orders had revenue over 300?", f"SELECT COUNT(*) FROM {O} WHERE amount_net > 300"),
    ("How many orders had an order amount of at least 250?", f"SELECT COUNT(*) FROM {O} WHERE amount_net >= 250"),
    ("How many orders had revenue below 50?", f"SELECT COUNT(*) FROM {O} WHERE amount_net < 50"),
    ("How many orders are under $100?", f"SELECT COUNT(*) FROM {O} WHERE amount_net < 100"),
    ("What is the total revenue of orders with revenue more than 1k?",
     f"SELECT SUM(amount_net) FROM {O} WHERE amount_net > 1000"),
    ("How many orders had revenue between 100 and 200?",
     f"SELECT COUNT(*) FROM {O} WHERE amount_net BETWEEN 100 AND 200"),
    # top / bottom N, superlatives
    ("What are the top 3 customers by revenue?",
     f"SELECT c.cust_nm, SUM(o.amount_net) r FROM {J} GROUP BY c.cust_nm ORDER BY r DESC LIMIT 3"),
    ("Which are the bottom 2 cities by revenue?",
     f"SELECT c.city, SUM(o.amount_net) r FROM {J} GROUP BY c.city ORDER BY r ASC LIMIT 2"),
    ("Which 2 cities have the lowest revenue?",
     f"SELECT c.city, SUM(o.amount_net) r FROM {J} GROUP BY c.city ORDER BY r ASC LIMIT 2"),
    ("Which city has the most customers?", f"SELECT city, COUNT(*) n FROM {C} GROUP BY city ORDER BY n DESC LIMIT 1"),
    ("Which segment has the highest revenue?",
     f"SELECT c.seg, SUM(o.amount_net) r FROM {J} GROUP BY c.seg ORDER BY r DESC LIMIT 1"),
    ("Who are the top 2 customers?",
     f"SELECT c.cust_nm, COUNT(*) n FROM {J} GROUP BY c.cust_nm ORDER BY n DESC LIMIT 2"),
    ("What are the top 5 orders by revenue?", f"SELECT ord_id, amount_net FROM {O} ORDER BY amount_net DESC LIMIT 5"),
    # entity values
    ("How many customers live in Seoul?", f"SELECT COUNT(*) FROM {C} WHERE city = 'SEOUL'"),
    ("What is the total revenue from customers in Busan or Jeju?",
     f"SELECT SUM(o.amount_net) FROM {J} WHERE c.city IN ('BUSAN', 'JEJU')"),
    ("How many orders are not shp?", f"SELECT COUNT(*) FROM {O} WHERE stat <> 'SHP'"),
    # listings
    ("List the customers in Incheon", f"SELECT * FROM {C} WHERE city = 'INCHEON'"),
    ("What are the different segments?", f"SELECT DISTINCT seg FROM {C}"),
]


@pytest.mark.parametrize(("question", "expected"), SHAPES, ids=[q for q, _ in SHAPES])
def test_question_shape(genie: OfflineGenie, shop: DuckDBWarehouse, question: str, expected: str) -> None:
    answer = genie.ask(question)
    assert answer.status is AnswerStatus.COMPLETED and answer.sql, answer.text
    ensure_read_only(answer.sql)
    comparison = compare_sql(shop, expected, answer.sql)
    assert comparison.verdict.value == "pass", f"{answer.sql}\n{comparison.details}"


def test_grouped_answers_list_group_columns_then_the_measure(genie: OfflineGenie, shop: DuckDBWarehouse) -> None:
    rows = shop.execute(genie.ask("What is the total revenue by city?").sql).rows
    assert rows and all(isinstance(r[0], str) and isinstance(r[1], float) for r in rows)
    ranked = shop.execute(genie.ask("What are the top 3 customers by revenue?").sql).rows
    assert [r[0] for r in ranked] == ["Cy Park", "Di Choi", "Fay Han"]
    assert ranked == sorted(ranked, key=lambda r: -r[1])


def test_time_grain_answers_are_ordered_by_time(genie: OfflineGenie, shop: DuckDBWarehouse) -> None:
    rows = shop.execute(genie.ask("What is the monthly revenue?").sql).rows
    months = [r[0] for r in rows]
    assert len(months) == 24 and months == sorted(months)


def test_no_sql_for_unresolvable_questions(genie: OfflineGenie) -> None:
    for question in ("What is the weather like tomorrow?", "Tell me a joke", ""):
        answer = genie.ask(question)
        assert answer.status is AnswerStatus.COMPLETED and answer.sql is None
        assert answer.text and "could not" in answer.text
