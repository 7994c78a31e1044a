"""Lessons learned: one aggregate over measured fixes of every campaign, its markdown table and its prior."""

from __future__ import annotations

import pytest

from genie_enhance.scoring.categories import FailureCategory
from genie_enhance.tracking import Lesson, format_lessons_table, lesson_prior
from genie_enhance_tests.tracking.tracking_helpers import (
    example_fix,
    proposal,
    spec,
    store_at,
    synonym,
    table_description,
)

WRONG_COLUMN, WRONG_AGG = FailureCategory.WRONG_COLUMN, FailureCategory.WRONG_AGGREGATION


def apply_batch(store, campaign_id, iteration, proposals, delta, delta_train, final_status="kept"):
    """Record a batch as applied, measure it, then keep or revert it, as the loop does."""
    ids = store.record_fixes(campaign_id, iteration, [(p, "applied") for p in proposals])
    store.set_batch_effect(campaign_id, iteration, delta, delta_train)
    store.set_fix_status(ids, final_status, "decided")
    return ids


@pytest.fixture
def store(tmp_path):
    store = store_at(tmp_path)
    store.start_campaign(spec("c1", "space-a"))
    store.start_campaign(spec("c2", "space-b"))
    # campaign 1: synonyms help twice; an example SQL hurts and is reverted
    apply_batch(store, "c1", 1, [proposal(synonym("revenue")), proposal(example_fix("total?"), WRONG_AGG)], 0.2, 0.1)
    apply_batch(store, "c1", 2, [proposal(synonym("turnover"))], 0.0, 0.05)  # flat holdout, better train: helped
    apply_batch(store, "c1", 3, [proposal(example_fix("sum of sales?"), WRONG_AGG)], -0.1, -0.2, "reverted")
    # campaign 2: a synonym hurts; a flat batch neither helps nor hurts
    apply_batch(store, "c2", 1, [proposal(synonym("income"))], -0.05, 0.0, "reverted")
    apply_batch(store, "c2", 2, [proposal(table_description("orders of the shop"), WRONG_COLUMN)], 0.0, 0.0)
    # not measured / never applied: no evidence
    store.record_fixes("c2", 3, [(proposal(synonym("gross")), "applied")])
    store.record_fixes("c2", 3, [(proposal(synonym("net")), "invalid", "no such column")])
    store.set_batch_effect("c2", 4, 0.5, 0.5)  # a batch without applied fixes changes nothing
    return store


def by_pair(lessons):
    return {(l.fix_type, l.category): l for l in lessons}


def test_lessons_aggregate_helped_hurt_and_mean_across_campaigns(store):
    lessons = by_pair(store.lessons())
    assert set(lessons) == {
        ("add_synonym", "wrong_column"), ("add_example_sql", "wrong_aggregation"),
        ("set_table_description", "wrong_column"),
    }
    syn = lessons[("add_synonym", "wrong_column")]
    assert (syn.applied, syn.helped, syn.hurt, syn.reverted) == (3, 2, 1, 1)
    assert syn.mean_delta == pytest.approx((0.2 + 0.0 - 0.05) / 3)
    example = lessons[("add_example_sql", "wrong_aggregation")]
    assert (example.applied, example.helped, example.hurt) == (2, 1, 1)
    assert example.mean_delta == pytest.approx(0.05)
    flat = lessons[("set_table_description", "wrong_column")]
    assert (flat.applied, flat.helped, flat.hurt, flat.mean_delta) == (1, 0, 0, 0.0)
    assert list(lessons)[0] == ("add_synonym", "wrong_column")  # most applied first


def test_lessons_examples_are_recent_first_and_limited(store):
    syn = by_pair(store.lessons(limit_examples=2))[("add_synonym", "wrong_column")]
    assert syn.examples == ['add synonym "income" to demo.commerce.orders.amount (Δ -0.050)',
                            'add synonym "turnover" to demo.commerce.orders.amount (Δ +0.000)']
    assert all(l.examples == [] for l in store.lessons(limit_examples=0))


def test_lessons_table_is_markdown_with_one_row_per_lesson(store):
    lessons = store.lessons()
    table = format_lessons_table(lessons)
    lines = table.splitlines()
    assert lines[0].startswith("| fix type | failure category | applied | helped | hurt | mean Δ |")
    assert len(lines) == 2 + len(lessons)
    assert "| add_synonym | wrong_column | 3 | 2 | 1 | +0.050 |" in table
    assert format_lessons_table([]).startswith("_No lessons yet")
    piped = Lesson(fix_type="t", category="c", applied=1, helped=1, hurt=0, mean_delta=0.1, examples=["a | b\nc"])
    assert "a \\| b c" in format_lessons_table([piped])


def test_lesson_prior_is_a_smoothed_success_rate(store):
    lessons = store.lessons()
    assert lesson_prior(lessons, "add_synonym", "wrong_column") == pytest.approx(3 / 5)
    assert lesson_prior(lessons, "add_example_sql", "wrong_aggregation") == pytest.approx(2 / 4)
    assert lesson_prior(lessons, "set_table_description", "wrong_column") == pytest.approx(1 / 3)
    assert lesson_prior(lessons, "add_synonym", "missing_table") == pytest.approx(3 / 5)  # type-wide fallback
    assert lesson_prior(lessons, "add_join") == 0.5  # no evidence
    assert lesson_prior(lessons, "add_synonym", FailureCategory.WRONG_COLUMN) == pytest.approx(3 / 5)
