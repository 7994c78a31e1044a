"""Diagnosis: one fine failure category per failed question, with the SQL-diff evidence behind it."""

from __future__ import annotations

import pytest

from genie_enhance.diagnosis import Diagnosis, diagnose, diagnose_all
from genie_enhance.scoring.categories import FailureCategory as C
from genie_enhance.scoring.runner import QuestionResult
from genie_enhance.scoring.verdicts import Reason, Verdict
from genie_enhance_tests.diagnosis.diagnosis_helpers import (
    CUSTOMERS,
    ITEMS,
    ORDERS,
    RETURNS,
    failed,
    service_failure,
    shop_catalog,
    shop_space,
)

CAT = shop_catalog()
SPACE = shop_space()


def run(expected: str, generated: str | None, space=SPACE, **kwargs) -> Diagnosis:
    diagnosis = diagnose(failed("q1", expected, generated, **kwargs), CAT, space)
    assert diagnosis is not None and diagnosis.question_id == "q1"
    return diagnosis


# ---------------------------------------------------------------------------------------------- tables
def test_missing_table_not_in_the_space():
    d = run(f"SELECT SUM(r.amt) AS refunds FROM {RETURNS} r", f"SELECT SUM(net_amt) FROM {ORDERS}")
    assert d.category is C.MISSING_TABLE
    assert d.evidence["missing_tables"] == [RETURNS] and d.evidence["not_in_space"] == [RETURNS]
    assert d.evidence_key == RETURNS
    assert d.summary == "needs returns, which is not in the space"


def test_missing_table_when_none_of_the_expected_tables_is_read():
    d = run(f"SELECT COUNT(*) FROM {CUSTOMERS}", f"SELECT COUNT(DISTINCT cust_id) FROM {ORDERS}", space=None)
    assert d.category is C.MISSING_TABLE
    assert d.evidence["missing_tables"] == [CUSTOMERS] and d.evidence["extra_tables"] == [ORDERS]
    assert d.evidence["not_in_space"] == []
    assert d.summary == "reads orders where customers was expected"


# ---------------------------------------------------------------------------------------------- joins
def test_wrong_join_on_different_columns():
    expected = (f"SELECT c.segment, SUM(o.net_amt) FROM {ORDERS} o JOIN {CUSTOMERS} c ON o.cust_id = c.cust_id "
                "GROUP BY c.segment")
    generated = (f"SELECT c.segment, SUM(o.net_amt) FROM {ORDERS} o JOIN {CUSTOMERS} c ON o.region = c.region_code "
                 "GROUP BY c.segment")
    d = run(expected, generated)
    assert d.category is C.WRONG_JOIN
    assert d.evidence["expected_joins"] == [[CUSTOMERS, ORDERS, f"{CUSTOMERS}.cust_id = {ORDERS}.cust_id"]]
    assert d.evidence["generated_joins"] == [[CUSTOMERS, ORDERS, f"{CUSTOMERS}.region_code = {ORDERS}.region"]]
    assert d.evidence_key == f"{CUSTOMERS} + {ORDERS}"
    assert d.summary == ("joins on customers.region_code = orders.region "
                         "where customers.cust_id = orders.cust_id was expected")


def test_wrong_join_when_a_needed_table_is_absent():
    expected = (f"SELECT c.segment, COUNT(*) FROM {ORDERS} o JOIN {CUSTOMERS} c ON o.cust_id = c.cust_id "
                "GROUP BY c.segment")
    d = run(expected, f"SELECT region, COUNT(*) FROM {ORDERS} GROUP BY region")
    assert d.category is C.WRONG_JOIN
    assert d.evidence["missing_tables"] == [CUSTOMERS]
    assert d.evidence["generated_joins"] == [] and len(d.evidence["missing_joins"]) == 1
    assert "customers" in d.summary


def test_wrong_join_type():
    query = (f"SELECT c.name, COUNT(o.order_id) FROM {CUSTOMERS} c {{}} {ORDERS} o ON o.cust_id = c.cust_id "
             "GROUP BY c.name")
    expected, generated = query.format("LEFT JOIN"), query.format("JOIN")
    d = run(expected, generated)
    assert d.category is C.WRONG_JOIN
    assert d.evidence["join_kinds"] == [{"join": [CUSTOMERS, ORDERS, f"{CUSTOMERS}.cust_id = {ORDERS}.cust_id"],
                                         "expected": f"LEFT JOIN keeping {CUSTOMERS}", "generated": "INNER"}]


# ---------------------------------------------------------------------------------------------- columns
MARGIN = f"SELECT SUM(gross_amt - internal_cost) AS margin FROM {ORDERS}"


def test_missing_column_excluded_from_the_space():
    d = run(MARGIN, f"SELECT SUM(gross_amt) FROM {ORDERS}")
    assert d.category is C.MISSING_COLUMN
    assert d.evidence["missing_columns"] == [f"{ORDERS}.internal_cost"]
    assert d.evidence["excluded_columns"] == [f"{ORDERS}.internal_cost"]
    assert d.evidence_key == f"{ORDERS}.internal_cost"
    assert d.summary == "never uses orders.internal_cost, which is excluded from the space"


def test_the_same_failure_without_a_space_is_a_wrong_column():
    d = run(MARGIN, f"SELECT SUM(gross_amt) FROM {ORDERS}", space=None)
    assert d.category is C.WRONG_COLUMN
    assert d.evidence["missing_columns"] == [f"{ORDERS}.internal_cost"]
    assert d.evidence["expected_aggregates"] == [f"SUM({ORDERS}.gross_amt - {ORDERS}.internal_cost)"]


def test_missing_column_when_the_generated_sql_uses_a_column_that_does_not_exist():
    error = 'answer SQL failed: Binder Error: Referenced column "net_amount" not found in FROM clause!'
    d = run(f"SELECT SUM(net_amt) FROM {ORDERS}", f"SELECT SUM(net_amount) FROM {ORDERS}",
            reason=Reason.SQL_ERROR, details=error)
    assert d.category is C.MISSING_COLUMN
    assert d.evidence["unknown_columns"] == [f"{ORDERS}.net_amount"]
    assert d.evidence["sql_error"] == error and d.evidence["reason"] == "sql_error"
    assert d.summary == "uses orders.net_amount, which does not exist"


def test_an_unqualified_unknown_column_of_a_join_is_a_missing_column_but_pivot_outputs_are_not():
    query = f"SELECT {{0}}, COUNT(*) FROM {ORDERS} o JOIN {CUSTOMERS} c ON o.cust_id = c.cust_id GROUP BY {{0}}"
    expected, bogus = query.format("o.region"), query.format("bogus")
    d = run(expected, bogus)
    assert d.category is C.MISSING_COLUMN and d.evidence["unknown_columns"] == ["bogus"]
    pivot = (f"SELECT * FROM (SELECT region, status, net_amt FROM {ORDERS}) "
             "PIVOT (SUM(net_amt) FOR status IN ('PAID', 'OPEN'))")
    assert run(f"SELECT region, SUM(net_amt) FROM {ORDERS} GROUP BY region", pivot).category is not C.MISSING_COLUMN


def test_missing_column_from_the_sql_error_alone_when_the_catalog_does_not_know_the_table():
    error = ("[UNRESOLVED_COLUMN.WITH_SUGGESTION] A column, variable, or function parameter with name `net_amount` "
             "cannot be resolved.")
    d = diagnose(failed("q1", "SELECT SUM(net_amt) FROM x.y.z", "SELECT SUM(net_amount) FROM x.y.z",
                        reason=Reason.SQL_ERROR, details=error), shop_catalog())
    assert d.category is C.MISSING_COLUMN
    assert d.evidence_key == "net_amount" and d.evidence["sql_error"] == error


# ---------------------------------------------------------------------------------------------- aggregation
@pytest.mark.parametrize("expected, generated, exp_aggs, gen_aggs", [
    (f"SELECT SUM(net_amt) FROM {ORDERS}", f"SELECT AVG(net_amt) FROM {ORDERS}",
     [f"SUM({ORDERS}.net_amt)"], [f"AVG({ORDERS}.net_amt)"]),
    (f"SELECT COUNT(DISTINCT cust_id) FROM {ORDERS}", f"SELECT COUNT(cust_id) FROM {ORDERS}",
     [f"COUNT(DISTINCT {ORDERS}.cust_id)"], [f"COUNT({ORDERS}.cust_id)"]),
    (f"SELECT MAX(gross_amt) FROM {ORDERS}", f"SELECT gross_amt FROM {ORDERS}", [f"MAX({ORDERS}.gross_amt)"], []),
])
def test_wrong_aggregation_function(expected, generated, exp_aggs, gen_aggs):
    d = run(expected, generated)
    assert d.category is C.WRONG_AGGREGATION
    assert d.evidence["expected_aggregates"] == exp_aggs and d.evidence["generated_aggregates"] == gen_aggs
    assert d.evidence_key == exp_aggs[0]


def test_wrong_aggregation_grouping_time_grain():
    expected = f"SELECT DATE_TRUNC('MONTH', ord_ts) AS m, SUM(net_amt) FROM {ORDERS} GROUP BY 1"
    generated = f"SELECT DATE_TRUNC('YEAR', ord_ts) AS y, SUM(net_amt) FROM {ORDERS} GROUP BY 1"
    d = run(expected, generated)
    assert d.category is C.WRONG_AGGREGATION
    assert d.evidence["expected_group_by"] == [f"DATE_TRUNC('MONTH', {ORDERS}.ord_ts)"]
    assert d.evidence["generated_group_by"] == [f"DATE_TRUNC('YEAR', {ORDERS}.ord_ts)"]


def test_wrong_aggregation_missing_grouping():
    d = run(f"SELECT region, COUNT(*) FROM {ORDERS} GROUP BY region", f"SELECT COUNT(*) FROM {ORDERS}")
    assert d.category is C.WRONG_AGGREGATION
    assert d.evidence["generated_group_by"] == [] and d.evidence["expected_group_by"] == [f"{ORDERS}.region"]
    assert d.summary == "groups by nothing where orders.region was expected"


# ---------------------------------------------------------------------------------------------- filters
def test_wrong_filter_literal_case():
    d = run(f"SELECT SUM(net_amt) FROM {ORDERS} WHERE region = 'EMEA'",
            f"SELECT SUM(o.net_amt) FROM {ORDERS} AS o WHERE o.region = 'emea'")
    assert d.category is C.WRONG_FILTER
    assert d.evidence["missing_literals"] == ["EMEA"] and d.evidence["extra_literals"] == ["emea"]
    assert d.evidence["missing_predicates"] == [f"{ORDERS}.region = 'EMEA'"]
    assert d.evidence_key == f"{ORDERS}.region"
    assert d.summary == "filters orders.region = 'emea' where orders.region = 'EMEA' was expected"


def test_wrong_filter_missing_year():
    d = run(f"SELECT COUNT(*) FROM {ORDERS} WHERE YEAR(ord_ts) = 2024 AND status = 'PAID'",
            f"SELECT COUNT(*) FROM {ORDERS} WHERE status = 'PAID'")
    assert d.category is C.WRONG_FILTER
    assert d.evidence["missing_years"] == [2024] and d.evidence["extra_predicates"] == []
    assert d.evidence_key == f"{ORDERS}.ord_ts"
    assert d.summary == "misses the filter YEAR(orders.ord_ts) = 2024"


def test_wrong_filter_comparison_constant():
    d = run(f"SELECT COUNT(*) FROM {ORDERS} WHERE gross_amt > 500",
            f"SELECT COUNT(*) FROM {ORDERS} WHERE gross_amt >= 1000")
    assert d.category is C.WRONG_FILTER
    assert (d.evidence["missing_literals"], d.evidence["extra_literals"]) == (["500"], ["1000"])


# ---------------------------------------------------------------------------------------------- wrong column
def test_wrong_column_records_expected_and_generated_pairs():
    d = run(f"SELECT SUM(net_amt) AS revenue FROM {ORDERS}", f"SELECT SUM(o.gross_amt) FROM {ORDERS} o")
    assert d.category is C.WRONG_COLUMN
    assert d.evidence["wrong_columns"] == [{"expected": f"{ORDERS}.net_amt", "generated": f"{ORDERS}.gross_amt"}]
    assert d.evidence_key == f"{ORDERS}.net_amt"
    assert d.summary == "uses orders.gross_amt where orders.net_amt was expected"


def test_wrong_group_column():
    d = run(f"SELECT c.segment, COUNT(*) FROM {CUSTOMERS} c GROUP BY c.segment",
            f"SELECT region_code, COUNT(*) FROM {CUSTOMERS} GROUP BY region_code")
    assert d.category is C.WRONG_COLUMN
    assert d.evidence["wrong_columns"] == [
        {"expected": f"{CUSTOMERS}.segment", "generated": f"{CUSTOMERS}.region_code"}]


# ---------------------------------------------------------------------------------------------- semantic
def test_semantic_difference_in_order_and_limit():
    expected = f"SELECT cust_id, SUM(net_amt) AS t FROM {ORDERS} GROUP BY cust_id ORDER BY t DESC LIMIT 5"
    generated = f"SELECT cust_id, SUM(net_amt) FROM {ORDERS} GROUP BY cust_id ORDER BY 2 ASC LIMIT 5"
    d = run(expected, generated)
    assert d.category is C.SEMANTIC_DIFFERENCE and d.evidence_key == "order_limit"
    assert d.evidence["order_limit"] == {
        "expected": {"order_by": [f"SUM({ORDERS}.net_amt) DESC"], "limit": 5},
        "generated": {"order_by": [f"SUM({ORDERS}.net_amt)"], "limit": 5},
    }


def test_semantic_difference_in_expressions():
    d = run(f"SELECT ROUND(SUM(net_amt), 2) FROM {ORDERS}", f"SELECT SUM(net_amt) FROM {ORDERS}")
    assert d.category is C.SEMANTIC_DIFFERENCE and d.evidence_key == "expression"
    assert d.evidence["expected_select"] == [f"ROUND(SUM({ORDERS}.net_amt), 2)"]


def test_semantic_difference_with_no_visible_difference_reports_the_result_details():
    d = run(f"SELECT COUNT(*) FROM {ORDERS} o", f"SELECT COUNT(*) FROM {ORDERS}", reason=Reason.SQL_ERROR,
            details="answer SQL failed: timeout")
    assert d.category is C.SEMANTIC_DIFFERENCE and d.evidence == {"no_visible_difference": True, "reason": "sql_error"}
    assert "answer SQL failed: timeout" in d.summary


# ---------------------------------------------------------------------------------------------- precedence
def test_cte_and_alias_differences_do_not_hide_the_real_cause():
    expected = f"SELECT SUM(net_amt) FROM {ORDERS} WHERE region = 'EMEA' AND status = 'PAID'"
    generated = ("WITH emea AS (SELECT * FROM orders WHERE region = 'EMEA') "
                 "SELECT SUM(e.net_amt) FROM emea e WHERE e.status = 'OPEN'")
    d = run(expected, generated)
    assert d.category is C.WRONG_FILTER
    assert d.evidence["missing_predicates"] == [f"{ORDERS}.status = 'PAID'"]
    assert d.evidence["extra_predicates"] == [f"{ORDERS}.status = 'OPEN'"]


def test_missing_table_outranks_every_symptom():
    expected = (f"SELECT c.segment, SUM(r.amt) FROM {RETURNS} r JOIN {ORDERS} o ON r.order_id = o.order_id "
                f"JOIN {CUSTOMERS} c ON o.cust_id = c.cust_id WHERE YEAR(o.ord_ts) = 2024 GROUP BY c.segment")
    generated = (f"SELECT c.segment, SUM(o.net_amt) FROM {ORDERS} o JOIN {CUSTOMERS} c ON o.cust_id = c.cust_id "
                 "GROUP BY c.segment")
    assert run(expected, generated).category is C.MISSING_TABLE
    assert run(expected, generated, space=None).category is C.WRONG_JOIN  # without a space, returns may be visible


# ---------------------------------------------------------------------------------------------- pass-through
def test_no_sql_generated_names_the_tables_the_question_needs():
    result = failed("q1", f"SELECT COUNT(*) FROM {ORDERS} o JOIN {ITEMS} i ON i.order_id = o.order_id", None,
                    reason=Reason.NO_SQL, details="the answer has no SQL")
    result.genie_error = "I could not relate orders and order items"
    d = diagnose(result, CAT, SPACE)
    assert d.category is C.NO_SQL_GENERATED
    assert d.evidence["expected_tables"] == [ITEMS, ORDERS]
    assert d.evidence_key == f"{ITEMS} + {ORDERS}"
    assert "could not relate" in d.summary


@pytest.mark.parametrize("category, error", [
    (C.TIMEOUT, "TimeoutError: no answer after 120 s"),
    (C.API_ERROR, "HTTPError: 503 Service Unavailable"),
])
def test_service_failures_pass_through(category, error):
    d = diagnose(service_failure("q9", category, error), CAT, SPACE)
    assert d.category is category and d.evidence["error"] == error and error in d.summary


@pytest.mark.parametrize("generated, needle", [
    ("SELEC SUM(net_amt) FRM orders", "cannot parse"),
    (f"DELETE FROM {ORDERS}", "not a read-only"),
])
def test_unparseable_generated_sql_is_diagnosed_with_the_parse_error(generated, needle):
    d = run(f"SELECT SUM(net_amt) FROM {ORDERS}", generated, reason=Reason.SQL_ERROR)
    assert d.category is C.SEMANTIC_DIFFERENCE and d.evidence_key == "generated_parse_error"
    assert needle in d.evidence["parse_error"] and d.evidence["expected_tables"] == [ORDERS]


@pytest.mark.parametrize("verdict, reason", [
    (Verdict.PASS, Reason.MATCH),
    (Verdict.NEEDS_REVIEW, Reason.EMPTY_EXPECTED),
    (Verdict.ERROR, Reason.EXPECTED_SQL_ERROR),
])
def test_questions_that_did_not_fail_have_no_diagnosis(verdict, reason):
    result = QuestionResult(id="q1", question="?", role="train", expected_sql=f"SELECT 1 FROM {ORDERS}",
                            generated_sql=f"SELECT 2 FROM {ORDERS}", verdict=verdict, reason=reason)
    assert diagnose(result, CAT, SPACE) is None


def test_diagnose_all_keys_by_question_and_skips_passes():
    results = [
        failed("a", f"SELECT SUM(net_amt) FROM {ORDERS}", f"SELECT SUM(gross_amt) FROM {ORDERS}"),
        QuestionResult(id="b", question="?", role="holdout", expected_sql=f"SELECT 1 FROM {ORDERS}",
                       generated_sql=f"SELECT 1 FROM {ORDERS}", verdict=Verdict.PASS, reason=Reason.MATCH),
        service_failure("c", C.TIMEOUT, "TimeoutError"),
    ]
    diagnoses = diagnose_all(results, CAT, SPACE)
    assert list(diagnoses) == ["a", "c"]
    assert diagnoses["a"].category is C.WRONG_COLUMN and diagnoses["a"].role == "train"
    assert diagnoses["a"].question == "question a"
    assert diagnoses["a"].model_dump(mode="json")["category"] == "wrong_column"  # JSON-ready for the tracking store


def test_an_internal_error_becomes_a_diagnosis_not_an_exception(monkeypatch):
    def broken_rule(*_args):
        raise KeyError("boom")

    monkeypatch.setattr("genie_enhance.diagnosis.categorize.RULES", (broken_rule,))
    d = run(f"SELECT SUM(net_amt) FROM {ORDERS}", f"SELECT SUM(gross_amt) FROM {ORDERS}")
    assert d.category is C.SEMANTIC_DIFFERENCE and d.evidence_key == "diagnosis_error"
    assert d.evidence["diagnosis_error"] == "KeyError: 'boom'"


def test_no_visible_difference_on_a_wrong_result_quotes_the_comparison():
    d = run(f"SELECT COUNT(*) FROM {ORDERS}", f"SELECT COUNT(*) FROM {ORDERS}",
            details="value difference in column 1: 10 vs 12")
    assert d.category is C.SEMANTIC_DIFFERENCE
    assert d.summary == "no difference visible in the SQL facts; value difference in column 1: 10 vs 12"


def test_a_join_to_a_table_that_does_not_exist():
    d = run(f"SELECT COUNT(*) FROM {ORDERS}",
            f"SELECT COUNT(*) FROM {ORDERS} o JOIN shop.sales.order_lines l ON l.order_id = o.order_id")
    assert d.category is C.WRONG_JOIN and d.evidence["unknown_tables"] == ["shop.sales.order_lines"]
    assert d.summary == "joins order_lines, which does not exist"
