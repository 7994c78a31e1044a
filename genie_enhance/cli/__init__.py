"""Command line: a thin front end over the engine (each command lives in its own module)."""

from __future__ import annotations

from genie_enhance.cli.app import app

# Importing a command module registers its commands on `app`.
from genie_enhance.cli import space_cmds  # noqa: E402,F401
from genie_enhance.cli import demo_cmds  # noqa: E402,F401
from genie_enhance.cli import benchmark_cmds  # noqa: E402,F401
from genie_enhance.cli import compare_cmds  # noqa: E402,F401
from genie_enhance.cli import score_cmds  # noqa: E402,F401
from genie_enhance.cli import run_cmds  # noqa: E402,F401
from genie_enhance.cli import versions_cmds  # noqa: E402,F401
from genie_enhance.cli import emulator_cmds  # noqa: E402,F401


def main() -> None:
    app()
