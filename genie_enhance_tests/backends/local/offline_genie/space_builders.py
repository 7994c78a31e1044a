"""Space configs over the offline Genie's shop (`build_genie_shop`), built one feature at a time, and the check that
an answer gives the expected result: shared by the offline Genie test modules."""

from __future__ import annotations

from typing import Any

from genie_enhance.backends.local.offline_genie import OfflineGenie
from genie_enhance.backends.local.warehouse import DuckDBWarehouse
from genie_enhance.core.protocols import AnswerStatus
from genie_enhance.scoring.compare_sql import compare_sql
from genie_enhance.space.ids import stable_id
from genie_enhance.space.io import parse_space
from genie_enhance.space.model import SerializedSpace
from genie_enhance.sql import ensure_read_only
from genie_enhance_tests.support.shops import CUSTOMERS, ORDERS, REGIONS


def col(name: str, **cfg: Any) -> dict[str, Any]:
    """A column config; `description` is given as text and stored as lines."""
    out: dict[str, Any] = {"column_name": name}
    if "description" in cfg:
        out["description"] = [cfg.pop("description")]
    if cfg.pop("entity", False):
        out["enable_format_assistance"] = True
        out["enable_entity_matching"] = True
    out.update(cfg)
    return out


def table(identifier: str, *columns: dict[str, Any], description: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"identifier": identifier}
    if description:
        out["description"] = [description]
    if columns:
        out["column_configs"] = sorted(columns, key=lambda c: c["column_name"])
    return out


def snippet(sql: str, display: str, *synonyms: str, alias: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"id": stable_id("snippet", sql, display), "sql": [sql], "display_name": display}
    if synonyms:
        out["synonyms"] = list(synonyms)
    if alias:
        out["alias"] = alias
    return out


def join(left: str, right: str, condition: str, rt: str = "MANY_TO_ONE") -> dict[str, Any]:
    la, ra = left.split(".")[-1], right.split(".")[-1]
    return {
        "id": stable_id("join", left, right),
        "left": {"identifier": left, "alias": la},
        "right": {"identifier": right, "alias": ra},
        "sql": [condition, f"--rt=FROM_RELATIONSHIP_TYPE_{rt}--"],
    }


ORDERS_CUSTOMERS = join(ORDERS, CUSTOMERS, "`orders`.`cust_id` = `customers`.`cust_id`")


def make_space(
    *tables: dict[str, Any],
    joins: list[dict[str, Any]] | None = None,
    examples: list[dict[str, Any]] | None = None,
    measures: list[dict[str, Any]] | None = None,
    filters: list[dict[str, Any]] | None = None,
    expressions: list[dict[str, Any]] | None = None,
    text: str | None = None,
) -> SerializedSpace:
    """A v2 space; with no tables given, the three shop tables with no configuration (a "bare" space)."""
    tables = tables or (table(CUSTOMERS), table(ORDERS), table(REGIONS))
    instructions: dict[str, Any] = {}
    if joins:
        instructions["join_specs"] = joins
    if examples:
        instructions["example_question_sqls"] = examples
    if text:
        instructions["text_instructions"] = [{"id": stable_id("text"), "content": text.splitlines(keepends=True)}]
    snippets = {k: v for k, v in (("measures", measures), ("filters", filters), ("expressions", expressions)) if v}
    if snippets:
        instructions["sql_snippets"] = snippets
    doc: dict[str, Any] = {"version": 2, "data_sources": {"tables": sorted(tables, key=lambda t: t["identifier"])}}
    if instructions:
        doc["instructions"] = instructions
    return parse_space(doc)


def with_orders(*columns: dict[str, Any], description: str | None = None, **kw: Any) -> SerializedSpace:
    """The bare shop space, with config on the orders table."""
    return make_space(table(CUSTOMERS), table(ORDERS, *columns, description=description), table(REGIONS), **kw)


def passes(warehouse: DuckDBWarehouse, space: SerializedSpace, question: str, expected_sql: str) -> bool:
    """Whether the offline Genie's answer to `question` gives the expected result (its SQL is read-only)."""
    answer = OfflineGenie(space, warehouse).ask(question)
    assert answer.status is AnswerStatus.COMPLETED
    if answer.sql is not None:
        ensure_read_only(answer.sql)
    return compare_sql(warehouse, expected_sql, answer.sql).verdict.value == "pass"
