"""Fixes taught from one train question must also serve other phrasings of the same concept: natural word forms,
a filter named without its table or classifier noun, the measure a sentence's subject acts on, a measure's
qualifier, and grouping phrases without their table's name — each checked by asking a rephrased question that
was never proposed from."""

from __future__ import annotations

import pytest

from genie_enhance.proposers import HeuristicProposer
from genie_enhance.proposers.heuristic.morphology import variants
from genie_enhance.space.fixes import AddSqlSnippet, AddSynonym, apply_fixes
from genie_enhance_tests.proposers.proposers_world import bare_space, bench, score

SALES = "SELECT SUM(amt_usd) AS sales FROM shop.sales.orders"
NET = "SELECT SUM(amt_usd - disc_usd) AS net FROM shop.sales.orders"


@pytest.mark.parametrize(("phrase", "expected"), [
    ("sales amount", ["sell", "sold", "selling", "sales"]),
    ("spend", ["spent", "spending"]),
    ("cancelled", ["cancel", "canceled", "cancelling", "canceling", "cancellation"]),
    ("revenue", []),  # not a family word
    ("customer segment", []),  # a family word must be the phrase, or precede a measure noun
])
def test_variants_come_from_the_closed_lexicon(phrase: str, expected: list[str]) -> None:
    assert variants(phrase) == expected


def learn_then_ask(proposers_shop, train: list, asked: str, expected_sql: str) -> tuple[list, str]:
    """Propose from `train` on the bare space; the fixes and the verdict of the never-seen `asked` question."""
    space = bare_space()
    fixes = [p.fix for p in HeuristicProposer().propose(score(proposers_shop, space, train).ctx)]
    tuned = apply_fixes(space, fixes)
    return fixes, score(proposers_shop, tuned, [bench(asked, expected_sql)]).verdict(asked)


def test_a_measure_phrase_teaches_its_verb_forms(proposers_shop) -> None:
    fixes, verdict = learn_then_ask(proposers_shop, [bench("What is our overall sales amount?", SALES)],
                                    "How much did we sell in total?", SALES)
    assert {"sales amount", "sell"} <= {f.synonym for f in fixes if isinstance(f, AddSynonym)}
    assert verdict == "pass"


def test_a_variant_another_train_question_means_otherwise_is_not_taught(proposers_shop) -> None:
    other = bench("What is the total discount of sold orders?", "SELECT SUM(disc_usd) AS d FROM shop.sales.orders")
    proposer = HeuristicProposer()
    round_ = score(proposers_shop, bare_space(), [bench("What is our overall sales amount?", SALES), other])
    proposals = proposer.propose(round_.ctx)
    taught = {p.fix.synonym for p in proposals if isinstance(p.fix, AddSynonym) and p.fix.column == "amt_usd"}
    assert "sales amount" in taught and "sold" not in taught
    assert any(isinstance(c.fix, AddSynonym) and c.fix.synonym == "sold" and other.id in why
               for c, why in proposer.skipped)


def test_the_subject_of_a_sentence_is_not_part_of_the_measure(proposers_shop) -> None:
    fixes, verdict = learn_then_ask(proposers_shop, [bench("How much do customers spend on average?",
                                                 "SELECT AVG(amt_usd) AS a FROM shop.sales.orders")],
                                    "What is the average spend?", "SELECT AVG(amt_usd) AS a FROM shop.sales.orders")
    assert "spend" in {f.synonym for f in fixes if isinstance(f, AddSynonym)}
    assert verdict == "pass"


def test_a_filter_is_also_named_without_its_table_or_classifier_noun(proposers_shop) -> None:
    gold = "SELECT COUNT(*) AS customers FROM shop.sales.customers WHERE tier_cd = 'GLD'"
    fixes, verdict = learn_then_ask(proposers_shop, [bench("How many customers are in the gold tier?", gold)],
                                    "How many gold customers do we have?", gold)
    filters = [f for f in fixes if isinstance(f, AddSqlSnippet) and f.kind == "filter"]
    assert [f.synonyms for f in filters] == [["gold tier", "gold"]]
    assert verdict == "pass"


def test_a_measure_snippet_keeps_the_qualifier_that_follows_it(proposers_shop) -> None:
    fixes, verdict = learn_then_ask(proposers_shop, [bench("How much spend did we have after discounts?", NET)],
                                    "What was the spend after discounts?", NET)
    measures = [f for f in fixes if isinstance(f, AddSqlSnippet) and f.kind == "measure"]
    assert [m.display_name for m in measures] == ["spend after discounts"]
    assert verdict == "pass"


def test_a_grouping_phrase_is_also_taught_without_its_table_s_name(proposers_shop) -> None:
    by_tier = "SELECT tier_cd, COUNT(*) AS customers FROM shop.sales.customers GROUP BY tier_cd"
    fixes, verdict = learn_then_ask(proposers_shop,
                                    [bench("How many customers are there for each customer loyalty level?", by_tier)],
                                    "How many customers does each loyalty level have?", by_tier)
    assert {"customer loyalty level", "loyalty level"} <= {f.synonym for f in fixes if isinstance(f, AddSynonym)}
    assert verdict == "pass"
