"""The validation shop (`build_validation_shop`: the space `valid_space_dict` is valid against it)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from genie_enhance.backends.local.warehouse import DuckDBWarehouse
from genie_enhance_tests.support.shops import build_validation_shop


@pytest.fixture
def validation_shop(tmp_path: Path) -> Iterator[DuckDBWarehouse]:
    warehouse = DuckDBWarehouse(build_validation_shop(tmp_path / "shop.duckdb"))
    yield warehouse
    warehouse.close()


@pytest.fixture(scope="module")
def validation_shop_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_validation_shop(tmp_path_factory.mktemp("shop") / "shop.duckdb")
