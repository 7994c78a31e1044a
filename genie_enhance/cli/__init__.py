"""Command line: a thin front end over the engine (each command lives in its own module)."""

from __future__ import annotations

# Importing a command module registers its commands on `app`.
from genie_enhance.cli import (
    benchmark_cmds,  # noqa: E402,F401
    compare_cmds,  # noqa: E402,F401
    demo_cmds,  # noqa: E402,F401
    emulator_cmds,  # noqa: E402,F401
    run_cmds,  # noqa: E402,F401
    score_cmds,  # noqa: E402,F401
    space_cmds,  # noqa: E402,F401
    versions_cmds,  # noqa: E402,F401
)
from genie_enhance.cli.app import app


def main() -> None:
    app()
