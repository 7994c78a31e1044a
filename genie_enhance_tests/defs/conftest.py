"""Fixtures of the Dagster tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from genie_enhance_tests.support.dagster_dev import SMOKE_SPACES, SharedDagsterDev, make_dagster_project


@pytest.fixture(scope="session")
def dagster_dev_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SharedDagsterDev]:
    """The session's shared `dagster dev` (the smoke and UI modules get the same one); stopped at the end of the
    session, which fails if the stop was not clean."""
    project = make_dagster_project(tmp_path_factory.mktemp("dagster-dev"), SMOKE_SPACES)
    shared = SharedDagsterDev(project, tmp_path_factory.mktemp("dagster-dev-logs"))
    yield shared
    problems = shared.stop()
    assert problems == [], f"dagster dev did not stop cleanly: {problems}"
