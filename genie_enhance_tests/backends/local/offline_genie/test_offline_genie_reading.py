"""Offline Genie reading details that decide whether a phrase taught from one question generalises to another:
"<table> <column>" compounds, which date a year filters, plural stems both sides share, and which values a capped
value dictionary indexes (the most frequent first)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from genie_enhance.backends.local.offline_genie import OfflineGenie
from genie_enhance.backends.local.warehouse import DuckDBWarehouse
from genie_enhance.proposers.heuristic.data import DataProbe
from genie_enhance.words import stem
from genie_enhance_tests.backends.local.offline_genie.space_builders import (
    ORDERS_CUSTOMERS,
    col,
    make_space,
    passes,
    table,
)
from genie_enhance_tests.support.shops import CUSTOMERS, ORDERS, REGIONS

J = f"{ORDERS} o JOIN {CUSTOMERS} c ON o.cust_id = c.cust_id"


def test_a_table_word_before_its_column_is_that_column_not_a_second_grouping(genie_shop: DuckDBWarehouse) -> None:
    # "customers" is also a synonym of the name column (a label synonym): "customer segment" must still group by
    # the segment alone
    space = make_space(table(CUSTOMERS, col("cust_nm", synonyms=["customers"]), col("seg", synonyms=["segment"])),
                       table(ORDERS), table(REGIONS))
    expected = f"SELECT seg, COUNT(*) FROM {CUSTOMERS} GROUP BY seg"
    assert passes(genie_shop, space, "How many customers are there in each customer segment?", expected)
    assert passes(genie_shop, space, "How many customers does each segment have?", expected)


def test_a_date_column_after_a_table_word_stays_a_clause(genie_shop: DuckDBWarehouse) -> None:
    space = make_space(table(CUSTOMERS, col("signup_dt", synonyms=["signed up"])), table(ORDERS), table(REGIONS))
    assert passes(genie_shop, space, "How many customers signed up in 2024?",
                  f"SELECT COUNT(*) FROM {CUSTOMERS} WHERE YEAR(signup_dt) = 2024")


def test_a_year_filters_the_measure_s_date_when_the_actor_table_is_only_the_subject(
    genie_shop: DuckDBWarehouse,
) -> None:
    # "customers spend in 2024": what happened in 2024 is the spending (orders), not the customers' sign-up
    space = make_space(table(CUSTOMERS, col("signup_dt", synonyms=["signed up"])),
                       table(ORDERS, col("amount_net", synonyms=["spend"])), table(REGIONS), joins=[ORDERS_CUSTOMERS])
    assert passes(genie_shop, space, "How much did customers spend in 2024?",
                  f"SELECT SUM(amount_net) FROM {ORDERS} WHERE YEAR(ord_dt) = 2024")
    # a table named right before the time phrase still dates it
    assert passes(genie_shop, space, "How many customers signed up in 2023?",
                  f"SELECT COUNT(*) FROM {CUSTOMERS} WHERE YEAR(signup_dt) = 2023")


@pytest.mark.parametrize(("word", "expected"), [
    ("emojis", "emoji"), ("categories", "category"), ("statuses", "status"), ("orders", "order"),
    ("analysis", "analysis"), ("axis", "axis"), ("this", "this"), ("basis", "basis"),
])
def test_plural_stems(word: str, expected: str) -> None:
    assert stem(word) == expected  # the one stemmer (genie_enhance.words) both sides read with


@pytest.fixture(scope="module")
def skewed(tmp_path_factory: pytest.TempPathFactory) -> DuckDBWarehouse:
    """`tags.events.items(tag)`: 1,100 tags seen once (`aaa0000` …), and `zulu` (last alphabetically) 50 times."""
    path: Path = tmp_path_factory.mktemp("values") / "tags.duckdb"
    con = duckdb.connect(str(path))
    try:
        con.execute("CREATE SCHEMA events")
        con.execute("CREATE TABLE events.items AS SELECT printf('aaa%04d', i) AS tag FROM range(1100) t(i) "
                    "UNION ALL SELECT 'zulu' FROM range(50) UNION ALL SELECT NULL")
    finally:
        con.close()
    warehouse = DuckDBWarehouse(path)
    yield warehouse
    warehouse.close()


def test_distinct_values_come_most_frequent_first_then_alphabetically(skewed: DuckDBWarehouse) -> None:
    values = skewed.distinct_values("tags.events.items", "tag", 1024)
    assert len(values) == 1024 and values[:3] == ["zulu", "aaa0000", "aaa0001"]
    assert None not in values


def test_a_capped_value_dictionary_still_places_the_frequent_value(skewed: DuckDBWarehouse) -> None:
    assert DataProbe(skewed).indexed_value("tags.events.items", "tag", "ZULU") == "zulu"
    space = make_space(table("tags.events.items", col("tag", entity=True)))
    answer = OfflineGenie(space, skewed).ask("How many items have the zulu tag?")
    assert answer.sql is not None and "'zulu'" in answer.sql
    assert skewed.execute(answer.sql).rows == [(50,)]
