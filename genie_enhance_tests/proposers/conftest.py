"""The proposers' shop, built once per module that asks for it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from genie_enhance.backends.local.warehouse import DuckDBWarehouse
from genie_enhance_tests.support.shops import build_proposers_shop


@pytest.fixture(scope="module")
def proposers_shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DuckDBWarehouse]:
    warehouse = DuckDBWarehouse(build_proposers_shop(tmp_path_factory.mktemp("shop") / "shop.duckdb"))
    yield warehouse
    warehouse.close()
