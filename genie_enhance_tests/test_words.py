"""The one tokenizer (`genie_enhance.words`): identifier words, question tokens, and both consumers reading alike."""

from __future__ import annotations

import pytest

from genie_enhance.backends.local.offline_genie import OfflineGenie
from genie_enhance.backends.local.warehouse import DuckDBWarehouse
from genie_enhance.proposers.heuristic.vocab import Target, build_vocabulary
from genie_enhance.words import identifier_stems, split_identifier, stems, tokenize
from genie_enhance_tests.test_offline_genie import (  # noqa: F401  (fixtures)
    CUSTOMERS,
    ORDERS,
    REGIONS,
    make_space,
    shop,
    shop_file,
    snippet,
    table,
)


@pytest.mark.parametrize(("name", "words"), [
    ("SKUCode", ["sku", "code"]),  # an acronym before a word
    ("skuCode", ["sku", "code"]),
    ("unitPrice", ["unit", "price"]),
    ("order_date", ["order", "date"]),  # snake_case
    ("ORDER_DATE", ["order", "date"]),
    ("order-date", ["order", "date"]),
    ("HTTPServer", ["http", "server"]),
    ("totalUSD", ["total", "usd"]),  # an acronym at the end
    ("order2024", ["order", "2024"]),  # digits never join a word
    ("q4Sales", ["q", "4", "sales"]),
    ("v2_id", ["v", "2", "id"]),
    ("매출_금액", ["매출", "금액"]),  # Hangul is a word, not a separator
    ("주문ID", ["주문", "id"]),
    ("__x__", ["x"]),
    ("", []),
])
def test_split_identifier(name: str, words: list[str]) -> None:
    assert split_identifier(name) == words


def test_identifier_stems_singularize_each_word() -> None:
    assert identifier_stems("SKUCode") == ("sku", "code")
    assert identifier_stems("order_items") == ("order", "item")
    assert identifier_stems("CategoriesByRegion") == ("category", "by", "region")


@pytest.mark.parametrize(("text", "expected"), [
    ("How many orders?", [("how", "word", None), ("many", "word", None), ("order", "word", None)]),
    ("the customer's segment", [("the", "word", None), ("customer", "word", None), ("segment", "word", None)]),
    ("over $1,200 in 2024", [("over", "word", None), ("1,200", "number", 1200.0), ("in", "word", None),
                             ("2024", "number", 2024.0)]),
    ("above 1.5k", [("above", "word", None), ("1.5k", "number", 1500.0)]),
    ("top five", [("top", "word", None), ("five", "number", 5.0)]),
    ("since 2024-01-15", [("since", "word", None), ("2024-01-15", "date", None)]),
    ("Q4 sales", [("q", "word", None), ("4", "number", 4.0), ("sale", "word", None)]),
    ("don't", [("dont", "word", None)]),
    ("지역별 주문 수", [("지역별", "word", None), ("주문", "word", None), ("수", "word", None)]),  # Korean text
    ("5km", [("5", "number", 5.0), ("km", "word", None)]),  # a unit, not 5 thousand
])
def test_tokenize(text: str, expected: list[tuple[str, str, float | None]]) -> None:
    assert [(t.stem, t.kind, t.number) for t in tokenize(text)] == expected


def test_tokens_carry_their_span_and_spelling() -> None:
    question = "What is the Customer's total?"
    customer = tokenize(question)[3]
    assert (customer.raw, customer.text, customer.low) == ("Customer's", "Customer", "customer")
    assert question[customer.start : customer.end] == "Customer"
    assert tokenize("in 2024")[1].is_year and not tokenize("1,999")[0].is_year


def test_the_offline_genie_and_the_proposer_read_an_identifier_alike(shop: DuckDBWarehouse) -> None:
    """A camelCase snippet alias is one phrase to both: the proposer's vocabulary indexes it as the words the
    offline Genie matches a question against (`NetUSDRevenue` → net usd revenue: an acronym before a word is
    where the two tokenizers used to disagree)."""
    measure = snippet("SUM(orders.amount_net - orders.disc)", "Discounted sales", alias="NetUSDRevenue")
    space = make_space(table(CUSTOMERS), table(ORDERS), table(REGIONS), measures=[measure])
    phrase = stems("net USD revenue")
    assert phrase == identifier_stems("NetUSDRevenue") == ("net", "usd", "revenue")

    vocabulary = build_vocabulary(space, shop.catalog())
    assert vocabulary.lookup(phrase) == [Target("measure", name="NetUSDRevenue")]

    question = "What is the net USD revenue?"
    answer = OfflineGenie(space, shop).ask(question)
    assert answer.sql is not None and "amount_net - orders.disc" in answer.sql.lower()
    bare = OfflineGenie(make_space(), shop).ask(question)  # without the snippet the phrase means nothing
    assert bare.sql is None or "amount_net - orders.disc" not in bare.sql.lower()
