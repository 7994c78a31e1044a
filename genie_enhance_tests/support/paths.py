"""Where the repository and the test data are, independent of which test folder asks."""

from __future__ import annotations

from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
REPO = TESTS.parent
FIXTURES = TESTS / "fixtures"
GENIE_SPACES = FIXTURES / "genie_spaces"
KPI_PROJECT = FIXTURES / "benchmarks" / "kpi_project"
