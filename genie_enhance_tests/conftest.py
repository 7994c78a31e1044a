"""Shared fixtures: paths to the real Genie exports kept in `fixtures/genie_spaces/`."""

from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
SPACE_FIXTURES = sorted((FIXTURES / "genie_spaces").glob("*.json"))


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


# One `dagster dev` shared by the dagster-dev smoke and UI modules (session scope works only when defined here).
from genie_enhance_tests.support.dagster_dev import dagster_dev_session  # noqa: E402, F401
