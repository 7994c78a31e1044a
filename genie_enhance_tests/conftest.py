"""Shared fixtures: paths to the real Genie exports kept in `fixtures/genie_spaces/`."""

from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
SPACE_FIXTURES = sorted((FIXTURES / "genie_spaces").glob("*.json"))


@pytest.fixture
def fixtures_dir() -> Path:
    return FIXTURES
