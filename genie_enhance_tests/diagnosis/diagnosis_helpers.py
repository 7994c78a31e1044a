"""A small shop catalog and space, and builders of scored question results, for the diagnosis tests."""

from __future__ import annotations

from genie_enhance.core.catalog import Catalog
from genie_enhance.scoring.categories import FailureCategory, coarse_category
from genie_enhance.scoring.runner import QuestionResult
from genie_enhance.scoring.verdicts import Reason, Verdict
from genie_enhance.space.model import ColumnConfig, DataSources, SerializedSpace, TableSource

ORDERS = "shop.sales.orders"
CUSTOMERS = "shop.sales.customers"
ITEMS = "shop.sales.order_items"
RETURNS = "shop.sales.returns"


def shop_catalog() -> Catalog:
    catalog = Catalog()
    catalog.add(ORDERS, {"order_id": "BIGINT", "cust_id": "BIGINT", "gross_amt": "DECIMAL(12,2)",
                         "net_amt": "DECIMAL(12,2)", "internal_cost": "DECIMAL(12,2)", "region": "VARCHAR",
                         "status": "VARCHAR", "ord_ts": "TIMESTAMP"})
    catalog.add(CUSTOMERS, {"cust_id": "BIGINT", "name": "VARCHAR", "segment": "VARCHAR",
                            "region_code": "VARCHAR", "signup_ts": "TIMESTAMP"})
    catalog.add(ITEMS, {"order_id": "BIGINT", "product_id": "BIGINT", "qty": "INTEGER", "unit_price": "DOUBLE"})
    catalog.add(RETURNS, {"return_id": "BIGINT", "order_id": "BIGINT", "amt": "DOUBLE"})
    return catalog


def shop_space() -> SerializedSpace:
    """Orders (internal_cost excluded), customers and order items; returns is not in the space."""
    return SerializedSpace(data_sources=DataSources(tables=[
        TableSource(identifier=ORDERS, column_configs=[ColumnConfig(column_name="internal_cost", exclude=True),
                                                       ColumnConfig(column_name="region", synonyms=["area"])]),
        TableSource(identifier=CUSTOMERS),
        TableSource(identifier=ITEMS),
    ]))


def failed(qid: str, expected: str, generated: str | None, reason: Reason = Reason.VALUE_DIFFERENCE,
           details: str = "values differ", question: str = "") -> QuestionResult:
    """A failed question as scoring reports it (verdict fail, coarse category from the reason)."""
    return QuestionResult(
        id=qid, question=question or f"question {qid}", role="train", expected_sql=expected, generated_sql=generated,
        verdict=Verdict.FAIL, reason=reason, category=coarse_category("fail", reason.value), details=details,
    )


def service_failure(qid: str, category: FailureCategory, error: str) -> QuestionResult:
    """A question the service did not answer (scoring gives these verdict `error` and a service category)."""
    return QuestionResult(id=qid, question=f"question {qid}", role="train", expected_sql=f"SELECT 1 FROM {ORDERS}",
                          verdict=Verdict.ERROR, category=category, genie_error=error, details=error)
