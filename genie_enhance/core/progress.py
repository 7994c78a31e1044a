"""Progress of long steps as plain events, so the core can report it without knowing who watches.

Why a callback: scoring a space takes minutes and a propagation wait up to a minute and a half, so a person at the
command line wants to see them move; but the engine also runs under Dagster (whose logs are the place for it) and in
tests. The core emits `ProgressEvent`s to an optional `ProgressCallback`; each front end renders them its own way
(the CLI with a rich progress bar, `genie_enhance.cli.progress`), and no UI library is imported below the front ends.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum


class Stage(str, Enum):
    """What a progress event says: a counted task starts, moves one item, ends; or a wait begins."""

    START = "start"
    ADVANCE = "advance"
    DONE = "done"
    WAIT = "wait"


@dataclass(frozen=True)
class ProgressEvent:
    """One step of a task (`task` names it, e.g. `score`): `completed` of `total` items, `passed` of them; a wait
    carries its `message` and `seconds`."""

    task: str
    stage: Stage
    completed: int = 0
    total: int | None = None
    passed: int = 0
    message: str = ""
    seconds: float = 0.0


ProgressCallback = Callable[[ProgressEvent], None]


def emit(progress: ProgressCallback | None, event: ProgressEvent) -> None:
    """Send `event` to `progress` when there is one (None: nobody watches)."""
    if progress is not None:
        progress(event)
