"""The offline Genie's shop (`genie_shop`, `genie_shop_file`), built once per module that asks for it; a plugin
listed in the top conftest.py, since the offline Genie's tests and the tokenizer's both read it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from genie_enhance.backends.local.warehouse import DuckDBWarehouse
from genie_enhance_tests.support.shops import build_genie_shop


@pytest.fixture(scope="module")
def genie_shop_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_genie_shop(tmp_path_factory.mktemp("offline_genie") / "shop.duckdb")


@pytest.fixture(scope="module")
def genie_shop(genie_shop_file: Path) -> Iterator[DuckDBWarehouse]:
    wh = DuckDBWarehouse(genie_shop_file)
    yield wh
    wh.close()
