"""The command line's view of the core's progress events: a rich progress bar on stderr while scoring, and one
line per propagation wait. stdout stays clean for `--json` and tables."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from genie_enhance.core.progress import ProgressEvent, Stage


class RichProgress:
    """A `ProgressCallback`: one transient bar per counted task (`scoring  ━━━  12/40  9 pass  0:00:07`)."""

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(stderr=True)
        self._bar: Progress | None = None
        self._task: TaskID | None = None

    def __call__(self, event: ProgressEvent) -> None:
        if event.stage is Stage.WAIT:
            self.console.print(event.message, highlight=False, soft_wrap=True)
        elif event.stage is Stage.START:
            self._start(event)
        elif self._bar is not None and self._task is not None:
            self._bar.update(self._task, completed=event.completed, passed=event.passed)
            if event.stage is Stage.DONE:
                self._bar.stop()
                self._bar = self._task = None

    def _start(self, event: ProgressEvent) -> None:
        if self._bar is not None:
            self._bar.stop()
        self._bar = Progress(
            TextColumn("scoring" if event.task == "score" else event.task),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[passed]} pass"),
            TimeElapsedColumn(),
            console=self.console,
            transient=True,
        )
        self._bar.start()
        self._task = self._bar.add_task(event.task, total=event.total, passed=0)


def progress_for(as_json: bool) -> RichProgress | None:
    """The bar for a person reading the terminal; none when the output is one JSON object."""
    return None if as_json else RichProgress()
