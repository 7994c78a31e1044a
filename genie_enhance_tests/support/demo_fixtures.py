"""Session-wide demo warehouse (built once per test session), registered for every test as a plugin in conftest.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from genie_enhance.backends.local.warehouse import DuckDBWarehouse
from genie_enhance.demo.build import DEMO_BENCHMARKS
from genie_enhance.demo.warehouse import build_demo_warehouse

BENCHMARK_FILES = [DEMO_BENCHMARKS / "commerce.md", DEMO_BENCHMARKS / "community.md"]


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo_warehouse(tmp_path_factory.mktemp("demo"))


@pytest.fixture(scope="session")
def demo_warehouse(demo_db: Path):
    warehouse = DuckDBWarehouse(demo_db)
    yield warehouse
    warehouse.close()
