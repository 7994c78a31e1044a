"""SQL facts: names resolved to physical tables/columns so that differently written queries compare equal."""

from __future__ import annotations

import pytest

from genie_enhance.core.catalog import Catalog
from genie_enhance.diagnosis import extract_facts
from genie_enhance_tests.diagnosis.diagnosis_helpers import CUSTOMERS, ORDERS, shop_catalog

CAT = shop_catalog()


def comparable(sql: str, catalog: Catalog = CAT) -> dict:
    f = extract_facts(sql, catalog)
    assert f.ok, f.error
    return {"tables": f.tables, "columns": f.columns, "joins": f.joins, "aggregates": f.aggregates,
            "group_by": f.group_by, "predicates": f.predicates, "select": f.select, "order_by": f.order_by,
            "limit": f.limit, "distinct": f.distinct}


def test_alias_and_bare_table_names_resolve_to_the_same_facts():
    aliased = comparable(f"SELECT o.region, SUM(o.net_amt) AS rev FROM {ORDERS} o WHERE o.status = 'PAID' "
                         "GROUP BY o.region ORDER BY rev DESC LIMIT 3")
    plain = comparable(f"select region, sum(net_amt) from {ORDERS} where 'PAID' = status "
                       "group by 1 order by 2 desc limit 3")
    short_name = comparable("SELECT region, SUM(net_amt) AS total FROM orders WHERE status = 'PAID' "
                            "GROUP BY region ORDER BY total DESC LIMIT 3")
    assert aliased == plain == short_name
    assert aliased["tables"] == {ORDERS}
    assert {a.text for a in aliased["aggregates"]} == {f"SUM({ORDERS}.net_amt)"}
    assert aliased["order_by"] == [f"SUM({ORDERS}.net_amt) DESC"]
    assert [p.text for p in aliased["predicates"]] == [f"{ORDERS}.status = 'PAID'"]


def test_cte_is_not_a_table_and_its_columns_resolve_to_the_physical_ones():
    f = extract_facts(
        f"WITH paid AS (SELECT cust_id, net_amt AS amount FROM {ORDERS} WHERE status = 'PAID') "
        "SELECT c.name, SUM(p.amount) FROM paid p JOIN customers c ON p.cust_id = c.cust_id GROUP BY c.name",
        CAT,
    )
    assert f.tables == {ORDERS, CUSTOMERS}
    assert {a.text for a in f.aggregates} == {f"SUM({ORDERS}.net_amt)"}
    assert [(j.left, j.right, j.condition) for j in f.joins] == [
        (CUSTOMERS, ORDERS, f"{CUSTOMERS}.cust_id = {ORDERS}.cust_id")]
    assert f.select == [f"{CUSTOMERS}.name", f"SUM({ORDERS}.net_amt)"]
    assert f.select_columns == {f"{CUSTOMERS}.name", f"{ORDERS}.net_amt"}


@pytest.mark.parametrize("join", [
    f"FROM {ORDERS} o JOIN {CUSTOMERS} c ON c.cust_id = o.cust_id",
    f"FROM {ORDERS} o, {CUSTOMERS} c WHERE o.cust_id = c.cust_id",
    f"FROM {ORDERS} o INNER JOIN {CUSTOMERS} c USING (cust_id)",
])
def test_explicit_implicit_and_using_joins_give_one_edge(join):
    f = extract_facts(f"SELECT COUNT(*) {join}", CAT)
    assert [(j.left, j.right, j.condition, j.kind) for j in f.joins] == [
        (CUSTOMERS, ORDERS, f"{CUSTOMERS}.cust_id = {ORDERS}.cust_id", "INNER")]
    assert f.predicates == set()  # the join equality is not a filter


def test_left_and_right_joins_keep_the_preserved_table_on_the_left():
    left = extract_facts(f"SELECT 1 FROM {CUSTOMERS} c LEFT JOIN {ORDERS} o ON o.cust_id = c.cust_id", CAT)
    right = extract_facts(f"SELECT 1 FROM {ORDERS} o RIGHT JOIN {CUSTOMERS} c ON o.cust_id = c.cust_id", CAT)
    assert left.joins == right.joins
    (edge,) = left.joins
    assert (edge.left, edge.right, edge.kind) == (CUSTOMERS, ORDERS, "LEFT")


def test_predicates_literals_years_and_distinct_aggregates():
    f = extract_facts(
        f"SELECT COUNT(DISTINCT cust_id) FROM {ORDERS} WHERE YEAR(ord_ts) = 2024 AND region IN ('EMEA', 'APAC') "
        "AND gross_amt > 500.0 AND status IS NOT NULL AND ord_ts < DATE '2025-01-01'",
        CAT,
    )
    texts = {p.text for p in f.predicates}
    assert texts == {
        f"YEAR({ORDERS}.ord_ts) = 2024", f"{ORDERS}.region IN 'EMEA', 'APAC'", f"{ORDERS}.gross_amt > 500.0",
        f"{ORDERS}.status IS NOT NULL", f"{ORDERS}.ord_ts < CAST('2025-01-01' AS DATE)",
    }
    assert {p.target for p in f.predicates} == {f"{ORDERS}.{c}" for c in ("ord_ts", "region", "gross_amt", "status")}
    assert f.literals == {"2024", "EMEA", "APAC", "500", "2025-01-01"}
    assert f.years == {2024, 2025}
    assert [a.func for a in f.aggregates] == ["COUNT DISTINCT"]


def test_unknown_columns_stay_visible_as_physical_names():
    f = extract_facts(f"SELECT SUM(net_amount) FROM {ORDERS}", CAT)
    assert f.columns == {f"{ORDERS}.net_amount"}


def test_set_operation_uses_its_first_branch_for_projections():
    f = extract_facts(f"SELECT region FROM {ORDERS} UNION SELECT region_code FROM {CUSTOMERS} ORDER BY 1", CAT)
    assert f.tables == {ORDERS, CUSTOMERS}
    assert f.select == [f"{ORDERS}.region"]
    assert f.unresolved_columns == set()


def test_without_a_catalog_facts_still_resolve_qualified_names():
    f = extract_facts(f"SELECT o.region, COUNT(*) FROM {ORDERS} o GROUP BY o.region", Catalog())
    assert f.ok and f.group_by == {f"{ORDERS}.region"}


@pytest.mark.parametrize("sql, needle", [
    ("SELECT FROM WHERE", "cannot parse"),
    (f"DELETE FROM {ORDERS}", "not a read-only"),
    (f"SELECT 1 FROM {ORDERS}; SELECT 2", "exactly one"),
    ("", "empty"),
    (None, "empty"),
])
def test_unusable_sql_yields_an_error_not_an_exception(sql, needle):
    f = extract_facts(sql, CAT)
    assert not f.ok and needle in f.error
    assert f.tables == set() and f.aggregates == set()
