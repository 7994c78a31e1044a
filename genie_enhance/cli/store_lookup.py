"""Which tracking store a command reads, and never an empty one left behind.

Why: opening `TrackingStore` creates the file, so a read command pointed at the wrong directory used to leave an
empty 800 KB store and say "no campaign recorded". Read commands only open a store that exists, and without
`--out` they look in `out` (what `run` writes) and then `out/demo` (what `make demo` writes), saying which one they
use. A `run` that fails before recording anything removes the store it created.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from genie_enhance.cli.app import err_console
from genie_enhance.cli.campaign_io import fail
from genie_enhance.engine.runtime import out_paths
from genie_enhance.errors import ConfigError
from genie_enhance.tracking import TrackingStore

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_OUT = Path("out")
DEMO_OUT = Path("out/demo")
READ_OUT_HELP = ("directory of a `run` or `demo` (its tracking.duckdb); default: out, else out/demo "
                 "(where `make demo` writes)")


def store_dir(out: Path | None) -> Path:
    """The directory whose tracking store exists: `out`, or without it the first of out, out/demo; else exit 2
    naming the directories looked in."""
    candidates = [out] if out is not None else [DEFAULT_OUT, DEMO_OUT]
    for directory in candidates:
        if out_paths(directory)["tracking"].is_file():
            if out is None and directory != DEFAULT_OUT:
                err_console.print(f"note: reading {out_paths(directory)['tracking']} (no --out given)",
                                  markup=False, highlight=False, soft_wrap=True)
            return directory
    looked = ", ".join(str(out_paths(d)["tracking"]) for d in candidates)
    fail(ConfigError(f"no tracking store found (looked for {looked}); pass --out DIR, the directory a `run` "
                     f"or `demo` wrote"))


def existing_store(out: Path | None) -> tuple[Path, TrackingStore]:
    """The directory found by `store_dir` and its store, opened without ever creating one."""
    directory = store_dir(out)
    return directory, TrackingStore(out_paths(directory)["tracking"])


def require_campaign(store: TrackingStore, campaign_id: str) -> str:
    """`campaign_id` if the store recorded it; else exit 2 listing the ones it did."""
    known = [c.campaign_id for c in store.campaigns()]
    if campaign_id not in known:
        fail(ConfigError(f"unknown campaign {campaign_id!r} in {store.path} (recorded: {', '.join(known) or 'none'})"))
    return campaign_id


@contextmanager
def no_empty_store_left(out: Path) -> Iterator[None]:
    """If the body fails and the tracking store it created holds no campaign, remove that store (and `out` when
    the body created it and it is now empty): a failed command leaves no empty store behind."""
    tracking = out_paths(out)["tracking"]
    had_out, had_store = out.exists(), tracking.exists()
    try:
        yield
    except BaseException as exc:
        if not had_store and tracking.is_file() and _failed(exc) and not TrackingStore(tracking).campaigns():
            for leftover in (tracking, tracking.with_name(tracking.name + ".wal")):
                leftover.unlink(missing_ok=True)
            if not had_out and out.is_dir() and not any(out.iterdir()):
                out.rmdir()
        raise


def leaves_no_empty_store(command: F) -> F:
    """A command with an `out` option whose failure removes the empty store it created (`no_empty_store_left`)."""
    @functools.wraps(command)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        with no_empty_store_left(kwargs["out"]):
            return command(*args, **kwargs)
    return guarded  # type: ignore[return-value]


def _failed(exc: BaseException) -> bool:
    code = getattr(exc, "exit_code", getattr(exc, "code", 1))
    return code not in (0, None)
