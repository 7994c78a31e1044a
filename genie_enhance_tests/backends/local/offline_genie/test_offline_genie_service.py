"""Offline Genie as a service: determinism, seeded noise, rate limit under concurrency, latency, space caching."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from genie_enhance.backends.local.offline_genie import OfflineGenie
from genie_enhance.backends.local.warehouse import DuckDBWarehouse
from genie_enhance.core.protocols import AnswerStatus, Genie
from genie_enhance.sql import ensure_read_only
from genie_enhance_tests.backends.local.offline_genie.space_builders import (
    ORDERS_CUSTOMERS,
    col,
    join,
    make_space,
    passes,
    table,
    with_orders,
)
from genie_enhance_tests.support.shops import CUSTOMERS, ORDERS, REGIONS

QUESTIONS = [
    "What is the total revenue?",
    "What is the total revenue by city?",
    "How many orders had revenue over 300?",
    "What is the average revenue for each status?",
    "How many customers live in Seoul?",
    "What are the top 3 customers by revenue?",
    "What is the monthly revenue in 2024?",
    "How many orders were placed in 2023?",
    "What is the total revenue from customers in Busan?",
    "Which segment has the highest revenue?",
    "How many orders by status and segment?",
    "What is the maximum revenue in 2024?",
]


@pytest.fixture(scope="module")
def tuned():
    return make_space(
        table(CUSTOMERS, col("city", entity=True), col("seg", synonyms=["segment"])),
        table(ORDERS, col("amount_legacy", description="Legacy amount."), col("amount_net", synonyms=["revenue"]),
              col("disc", synonyms=["discount"]), col("stat", synonyms=["status"])),
        joins=[ORDERS_CUSTOMERS],
    )


def test_implements_the_genie_protocol(genie_shop: DuckDBWarehouse, tuned) -> None:
    assert isinstance(OfflineGenie(tuned, genie_shop), Genie)
    with pytest.raises(ValueError, match="noise"):
        OfflineGenie(tuned, genie_shop, noise=1.5)


def test_answers_are_deterministic_without_noise(genie_shop: DuckDBWarehouse, tuned) -> None:
    first, second = OfflineGenie(tuned, genie_shop), OfflineGenie(tuned, genie_shop)
    for q in QUESTIONS:
        a, b, c = first.ask(q), first.ask(q), second.ask(q)
        assert a.sql is not None and a.sql == b.sql == c.sql, q
        ensure_read_only(a.sql)


def test_concurrent_asks_give_the_same_answers(genie_shop: DuckDBWarehouse, tuned) -> None:
    genie = OfflineGenie(tuned, genie_shop)
    expected = {q: OfflineGenie(tuned, genie_shop).ask(q).sql for q in QUESTIONS}
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(genie.ask, QUESTIONS * 4))
    assert all(a.status is AnswerStatus.COMPLETED and a.sql == expected[a.question] for a in answers)


def _asked_twice(genie: OfflineGenie) -> list[str | None]:
    return [genie.ask(q).sql for q in QUESTIONS] + [genie.ask(q).sql for q in QUESTIONS]


def test_noise_changes_some_answers_reproducibly(genie_shop: DuckDBWarehouse, tuned) -> None:
    clean = _asked_twice(OfflineGenie(tuned, genie_shop))
    noisy = _asked_twice(OfflineGenie(tuned, genie_shop, noise=0.5, seed=7))
    changed = [i for i, (a, b) in enumerate(zip(clean, noisy)) if a != b]
    assert 0 < len(changed) < len(clean)
    assert _asked_twice(OfflineGenie(tuned, genie_shop, noise=0.5, seed=7)) == noisy  # same seed, same answers
    assert _asked_twice(OfflineGenie(tuned, genie_shop, noise=0.5, seed=8)) != noisy  # another seed, other mistakes
    for sql in noisy:
        ensure_read_only(sql)
        genie_shop.execute(sql, limit=1)  # a wrong answer is still runnable SQL


def test_noise_one_is_wrong_whenever_a_choice_exists(genie_shop: DuckDBWarehouse, tuned) -> None:
    clean = OfflineGenie(tuned, genie_shop)
    noisy = OfflineGenie(tuned, genie_shop, noise=1.0, seed=1)
    answer = noisy.ask("What is the total revenue by city?")
    assert answer.meta["noise"] and answer.sql != clean.ask("What is the total revenue by city?").sql


def test_rate_limit_is_never_exceeded_under_concurrency(genie_shop: DuckDBWarehouse, tuned) -> None:
    genie = OfflineGenie(tuned, genie_shop, max_per_minute=5, latency_ms=20)
    barrier = threading.Barrier(8)

    def worker(i: int) -> list:
        barrier.wait()
        return [genie.ask(QUESTIONS[(i + k) % len(QUESTIONS)]) for k in range(4)]

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = [a for batch in pool.map(worker, range(8)) for a in batch]
    answered = [a for a in answers if a.status is AnswerStatus.COMPLETED]
    limited = [a for a in answers if a.status is AnswerStatus.FAILED]
    assert len(answered) == 5 and len(limited) == 27
    assert all(a.error_type == "RATE_LIMIT_EXCEEDED" and a.retryable and a.sql is None for a in limited)


def test_latency_is_applied_per_question_without_serializing_threads(genie_shop: DuckDBWarehouse, tuned) -> None:
    genie = OfflineGenie(tuned, genie_shop, latency_ms=150)
    genie.compiled()
    answer = genie.ask("What is the total revenue?")
    assert answer.latency_s >= 0.15
    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(genie.ask, QUESTIONS[:4]))
    assert all(a.latency_s >= 0.15 for a in answers)
    assert time.monotonic() - start < 4 * 0.15  # the sleeps overlap


def test_space_provider_is_recompiled_only_when_its_json_changes(genie_shop: DuckDBWarehouse) -> None:
    current = {"space": make_space()}
    genie = OfflineGenie(lambda: current["space"], genie_shop)
    assert genie.ask("What is the total revenue?").sql is None
    bare = genie.compiled()
    current["space"] = make_space()  # a new object with the same content
    assert genie.compiled() is bare
    current["space"] = with_orders(col("amount_net", synonyms=["revenue"]))
    answer = genie.ask("What is the total revenue?")
    assert answer.sql is not None and "amount_net" in answer.sql
    assert genie.compiled() is not bare


def test_unrelatable_tables_get_a_text_answer(genie_shop: DuckDBWarehouse) -> None:
    revenue = col("amount_net", synonyms=["revenue"])
    space = make_space(table(CUSTOMERS, col("city", entity=True)), table(ORDERS, revenue))
    answer = OfflineGenie(space, genie_shop).ask("What is the total revenue from customers in Seoul?")
    assert answer.status is AnswerStatus.COMPLETED and answer.sql is None
    assert "could not relate" in answer.text and "orders" in answer.text and "customers" in answer.text


def test_join_path_goes_through_an_intermediate_table(genie_shop: DuckDBWarehouse) -> None:
    space = make_space(
        table(CUSTOMERS),
        table(ORDERS, col("amount_net", synonyms=["revenue"])),
        table(REGIONS, col("region_nm", synonyms=["region"])),
        joins=[ORDERS_CUSTOMERS, join(CUSTOMERS, REGIONS, "`customers`.`region_id` = `regions`.`region_id`")],
    )
    expected = (
        f"SELECT r.region_nm, SUM(o.amount_net) FROM {ORDERS} o JOIN {CUSTOMERS} c ON o.cust_id = c.cust_id "
        f"JOIN {REGIONS} r ON c.region_id = r.region_id GROUP BY r.region_nm"
    )
    assert passes(genie_shop, space, "What is the total revenue by region?", expected)
