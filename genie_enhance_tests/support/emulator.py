"""The Databricks API emulator as pytest fixtures, over a small DuckDB file and space built here.

The fixtures are registered once for every test (a plugin listed in the top conftest.py); a test only names them.

`emulator` is a started in-process `Emulator` on a free port (fresh per test: its own etags, faults and request
log); `sdk_client` is a real `databricks.sdk.WorkspaceClient` pointed at it with a short retry budget;
`make_emulator(**kwargs)` starts one with other options (fault options, chunk size …).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest
from databricks.sdk import WorkspaceClient

from genie_enhance.backends.databricks.client import workspace_client
from genie_enhance.emulator import Emulator
from genie_enhance.space.ids import stable_id

TOKEN = "dapi-emulator-secret-7f3a9c2e51b84d06"
SPACE_ID = "01f0e4d0b8ac1f559450c78dc2e40faa"
ORDERS = "emu.sales.orders"
CUSTOMERS = "emu.sales.customers"
ORDER_ROWS = 2500
# (question, whether the offline Genie answers it with SQL) — a tiny benchmark over the space below.
QUESTIONS = [
    ("How many orders are there?", True),
    ("What is the total revenue?", True),
    ("What is the total revenue by city?", True),
    ("How many customers are there?", True),
    ("What is the average discount per status?", True),
    ("Who won the football world cup in 1954?", False),
]


def build_emulator_warehouse(path: Path) -> Path:
    """`emu.duckdb`: schema `sales` with 2,500 orders of every type the manifest conversion handles."""
    con = duckdb.connect(str(path))
    try:
        con.execute("CREATE SCHEMA sales")
        con.execute("CREATE TABLE sales.customers(customer_id BIGINT, name VARCHAR, city VARCHAR)")
        con.executemany(
            "INSERT INTO sales.customers VALUES (?, ?, ?)",
            [(1, "Ann", "Seoul"), (2, "Bo", "Busan"), (3, "Cy", "Seoul"), (4, "Di", "Jeju"), (5, "Ed", "Incheon")],
        )
        con.execute(
            f"""CREATE TABLE sales.orders AS
            SELECT i::INTEGER AS order_id,
                   (i % 5 + 1)::BIGINT AS customer_id,
                   ((i * 37) % 10000 / 100.0)::DECIMAL(10,2) AS amount,
                   ((i % 4) * 0.125)::DOUBLE AS discount,
                   DATE '2024-01-01' + (i % 366)::INTEGER AS order_date,
                   TIMESTAMP '2024-01-01 08:00:00' + INTERVAL (i) MINUTE AS created_at,
                   i % 3 = 0 AS is_paid,
                   ['NEW', 'SHIPPED', 'CANCELLED'][i % 3 + 1] AS status,
                   CASE WHEN i % 10 = 0 THEN NULL ELSE 'note ' || i END AS note
            FROM range(1, {ORDER_ROWS + 1}) t(i)"""
        )
    finally:
        con.close()
    return path


def emulator_space() -> dict[str, Any]:
    """A small v2 space over the two tables: synonyms, a join, a measure and an example question."""
    join = {
        "id": stable_id("emu-join"),
        "left": {"identifier": ORDERS, "alias": "orders"},
        "right": {"identifier": CUSTOMERS, "alias": "customers"},
        "sql": ["`orders`.`customer_id` = `customers`.`customer_id`", "--rt=FROM_RELATIONSHIP_TYPE_MANY_TO_ONE--"],
    }
    return {
        "version": 2,
        "config": {"sample_questions": [{"id": stable_id("emu-sample"), "question": ["How many orders are there?"]}]},
        "data_sources": {
            "tables": [
                {"identifier": CUSTOMERS, "description": ["Customers of the shop."],
                 "column_configs": [{"column_name": "city", "synonyms": ["town"]}]},
                {"identifier": ORDERS, "description": ["Orders, one row per order."],
                 "column_configs": [
                     {"column_name": "amount", "synonyms": ["revenue", "sales"]},
                     {"column_name": "is_paid", "synonyms": ["paid"]},
                 ]},
            ]
        },
        "instructions": {"join_specs": [join]},
    }


@dataclass(frozen=True)
class EmulatorFiles:
    warehouse: Path
    space: Path


@pytest.fixture(scope="session")
def emulator_files(tmp_path_factory: pytest.TempPathFactory) -> EmulatorFiles:
    root = tmp_path_factory.mktemp("emulator")
    space = root / "emu_space.json"
    space.write_text(json.dumps(emulator_space(), indent=2), encoding="utf-8")
    return EmulatorFiles(build_emulator_warehouse(root / "emu.duckdb"), space)


@pytest.fixture
def make_emulator(emulator_files: EmulatorFiles) -> Iterator[Callable[..., Emulator]]:
    """`make_emulator(**kwargs)`: a started emulator (kwargs go to `Emulator.for_space`), stopped after the test."""
    started: list[Emulator] = []

    def make(**kwargs: Any) -> Emulator:
        kwargs.setdefault("token", TOKEN)
        kwargs.setdefault("space_id", SPACE_ID)
        emulator, _ = Emulator.for_space(emulator_files.warehouse, emulator_files.space, **kwargs)
        started.append(emulator.start())
        return emulator

    yield make
    for emulator in started:
        emulator.stop()
        emulator.close()


@pytest.fixture
def emulator(make_emulator: Callable[..., Emulator]) -> Emulator:
    return make_emulator()


def client_for(emulator: Emulator, *, token: str = TOKEN, retry_timeout_s: int = 10) -> WorkspaceClient:
    """A real SDK client for the emulator, built the way the backend builds one."""
    return workspace_client(host=emulator.host, token=token, retry_timeout_s=retry_timeout_s, http_timeout_s=10)


@pytest.fixture
def sdk_client(emulator: Emulator) -> WorkspaceClient:
    return client_for(emulator)
