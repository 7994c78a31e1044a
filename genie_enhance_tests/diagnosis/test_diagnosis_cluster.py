"""Clustering of diagnoses, robustness on odd SQL, and diagnosis of a real offline scoring run."""

from __future__ import annotations

import pytest

from genie_enhance.backends.local.factory import open_local_backend
from genie_enhance.benchmarks import load_benchmarks
from genie_enhance.demo.build import DEMO_BENCHMARKS
from genie_enhance.diagnosis import Diagnosis, cluster_failures, diagnose, diagnose_all
from genie_enhance.scoring.categories import FailureCategory as C
from genie_enhance.scoring.runner import score_benchmarks
from genie_enhance.scoring.verdicts import Reason, Verdict
from genie_enhance_tests.diagnosis.diagnosis_helpers import (
    CUSTOMERS,
    ORDERS,
    RETURNS,
    failed,
    service_failure,
    shop_catalog,
    shop_space,
)
from genie_enhance_tests.support.paths import REPO

CAT, SPACE = shop_catalog(), shop_space()


def test_clusters_group_by_category_and_primary_evidence_sorted_by_size_then_key():
    results = [
        failed("r1", f"SELECT SUM(amt) FROM {RETURNS}", f"SELECT SUM(net_amt) FROM {ORDERS}"),
        failed("f1", f"SELECT COUNT(*) FROM {ORDERS} WHERE region = 'EMEA'",
               f"SELECT COUNT(*) FROM {ORDERS} WHERE region = 'emea'"),
        failed("r2", f"SELECT COUNT(*) FROM {RETURNS} r", f"SELECT COUNT(*) FROM {ORDERS}"),
        failed("c1", f"SELECT SUM(net_amt) FROM {ORDERS}", f"SELECT SUM(gross_amt) FROM {ORDERS}"),
        failed("f2", f"SELECT SUM(net_amt) FROM {ORDERS} WHERE region = 'APAC'", f"SELECT SUM(net_amt) FROM {ORDERS}"),
        failed("s1", f"SELECT COUNT(*) FROM {ORDERS} WHERE status = 'PAID'", f"SELECT COUNT(*) FROM {ORDERS}"),
        failed("r3", f"SELECT AVG(amt) FROM {RETURNS}", f"SELECT AVG(gross_amt) FROM {ORDERS}"),
        failed("c2", f"SELECT AVG(net_amt) FROM {ORDERS}", f"SELECT AVG(gross_amt) FROM {ORDERS}"),
        service_failure("t1", C.TIMEOUT, "TimeoutError: no answer"),
    ]
    clusters = cluster_failures(diagnose_all(results, CAT, SPACE).values())
    assert [(c.key, c.question_ids) for c in clusters] == [
        (f"missing_table:{RETURNS}", ["r1", "r2", "r3"]),
        (f"wrong_column:{ORDERS}.net_amt", ["c1", "c2"]),
        (f"wrong_filter:{ORDERS}.region", ["f1", "f2"]),
        ("timeout:timeout", ["t1"]),
        (f"wrong_filter:{ORDERS}.status", ["s1"]),
    ]
    top = clusters[0]
    assert (top.category, top.evidence_key, top.size) == (C.MISSING_TABLE, RETURNS, 3)
    assert top.summary.startswith("3 questions: table not available returns")


def test_clusters_count_each_question_once():
    d = Diagnosis(question_id="q1", category=C.WRONG_JOIN, summary="x", evidence_key=f"{CUSTOMERS} + {ORDERS}")
    (cluster,) = cluster_failures([d, d.model_copy()])
    assert cluster.question_ids == ["q1"] and cluster.size == 1
    assert cluster_failures([]) == []


ODD_SQL = [
    f"SELECT region, SUM(net_amt) OVER (PARTITION BY region ORDER BY ord_ts) FROM {ORDERS}",
    f"SELECT x FROM {ORDERS} LATERAL VIEW explode(array(1, 2)) t AS x",
    f"SELECT * FROM (SELECT region, status, net_amt FROM {ORDERS}) PIVOT (SUM(net_amt) FOR status IN ('PAID', 'OPEN'))",
    "SELECT * FROM VALUES (1, 'a'), (2, 'b') AS t(id, name)",
    f"SELECT name FROM {CUSTOMERS} c WHERE EXISTS (SELECT 1 FROM {ORDERS} o WHERE o.cust_id = c.cust_id "
    f"AND o.gross_amt > (SELECT AVG(gross_amt) FROM {ORDERS}))",
    "SELECT transform(array(1, 2, 3), x -> x + 1) AS xs",
    f"SELECT o.payload.field FROM {ORDERS} o",
    f"SELECT * FROM {ORDERS} QUALIFY ROW_NUMBER() OVER (PARTITION BY cust_id ORDER BY ord_ts DESC) = 1",
    f"SELECT cust_id FROM {ORDERS} JOIN {CUSTOMERS} ON orders.cust_id = customers.cust_id",
    f"SELECT a.order_id FROM {ORDERS} a JOIN {ORDERS} b ON a.cust_id = b.cust_id AND a.order_id <> b.order_id",
    "WITH RECURSIVE r AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM r WHERE n < 5) SELECT * FROM r",
    f"SELECT region, status, SUM(net_amt) FROM {ORDERS} GROUP BY ROLLUP (region, status)",
    f"SELECT * FROM {ORDERS} WHERE region = :region AND ord_ts >= current_date() - INTERVAL 30 DAYS",
    "SELECT `o`.`net_amt` FROM `shop`.`sales`.`orders` `o` WHERE `o`.`region` = '유럽'",
    f"SELECT * EXCEPT (internal_cost) FROM {ORDERS} TABLESAMPLE (10 PERCENT)",
    "SELECT 1",
    f"SELECT COUNT(*) FROM {ORDERS} GROUP BY 7",
    f"SELECT region FROM {ORDERS} ORDER BY missing_alias",
]


@pytest.mark.parametrize("sql", ODD_SQL)
def test_odd_sql_on_either_side_is_diagnosed_without_error(sql):
    simple = f"SELECT SUM(net_amt) FROM {ORDERS} WHERE region = 'EMEA'"
    for expected, generated in ((simple, sql), (sql, simple), (sql, sql)):
        d = diagnose(failed("q", expected, generated), CAT, SPACE)
        assert d is not None and not d.category.is_coarse
        assert "diagnosis_error" not in d.evidence, d.evidence


def test_every_failure_of_an_offline_scoring_run_gets_a_fine_category(demo_db, tmp_path):
    space_path = REPO / "genie_enhance" / "demo" / "spaces" / "space_bare.json"
    with open_local_backend(demo_db, space_path) as backend:
        report = score_benchmarks(load_benchmarks(DEMO_BENCHMARKS), backend.genie, backend.warehouse, concurrency=2)
        space, _ = backend.store.export()
        catalog = backend.warehouse.catalog()
    failures = [q for q in report.questions if q.verdict is Verdict.FAIL]
    assert len(failures) >= 10  # a bare space must fail a good part of the demo benchmarks
    diagnoses = diagnose_all(report.questions, catalog, space)
    assert set(diagnoses) == {q.id for q in failures}
    for question in failures:
        d = diagnoses[question.id]
        assert not d.category.is_coarse and d.evidence_key and d.summary
        assert "diagnosis_error" not in d.evidence
        if question.reason is Reason.NO_SQL:
            assert d.category is C.NO_SQL_GENERATED
    clusters = cluster_failures(diagnoses.values())
    assert sorted(i for c in clusters for i in c.question_ids) == sorted(diagnoses)
    assert [c.size for c in clusters] == sorted((c.size for c in clusters), reverse=True)
