"""Fixtures every folder may use. Shared worlds are registered once, as plugins (pytest reads `pytest_plugins` only
in this top-level conftest); a fixture used by one folder lives in that folder's conftest.py. Test modules never
import a fixture by name."""

from __future__ import annotations

from pathlib import Path

import pytest

from genie_enhance_tests.support.paths import FIXTURES

pytest_plugins = [
    "genie_enhance_tests.support.demo_fixtures",  # demo_db, demo_warehouse (built once per session)
    "genie_enhance_tests.support.emulator",  # emulator_files, make_emulator, emulator, sdk_client
    "genie_enhance_tests.support.fixtures",  # scripted_llm, llm_client
    "genie_enhance_tests.support.genie_shop",  # genie_shop, genie_shop_file
    "genie_enhance_tests.support.loop_world",  # loop_campaign
]


@pytest.fixture
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture(autouse=True, scope="session")
def _test_dagster_home(tmp_path_factory: pytest.TempPathFactory):
    """`run` records every iteration in $DAGSTER_HOME (default ./dagster_home): point it at a session temp dir, so
    no test writes the repository's instance; subprocesses inherit it."""
    patch = pytest.MonkeyPatch()
    patch.setenv("DAGSTER_HOME", str(tmp_path_factory.mktemp("dagster_home")))
    yield
    patch.undo()
