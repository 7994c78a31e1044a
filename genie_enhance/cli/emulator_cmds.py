"""`emulator`: serve the local Databricks API emulator (Genie spaces, conversations, statement execution) over a
DuckDB file and a space file, with optional fault injection, until SIGINT/SIGTERM.

When ready it prints one JSON line, `{"host": ..., "space_id": ..., "warehouse_id": ...}`, so scripts can point
`DATABRICKS_HOST` at it. The token comes from `--token` or `DATABRICKS_TOKEN` and is never printed.
"""

from __future__ import annotations

import json
import signal
import threading
from pathlib import Path
from typing import NoReturn

import duckdb
import typer
from rich.markup import escape

from genie_enhance.cli.app import app, err_console
from genie_enhance.emulator import ApiError, Emulator, EmulatorOptions, FaultOptions
from genie_enhance.errors import GenieEnhanceError


@app.command("emulator")
def emulator_command(
    warehouse: Path = typer.Option(..., "--warehouse", help="DuckDB file the emulated SQL warehouse reads."),
    space: Path = typer.Option(..., "--space", help="Space file (bare serialized_space or the export wrapper)."),
    port: int = typer.Option(0, "--port", min=0, max=65535, help="Port on 127.0.0.1 (0 = pick a free one)."),
    space_id: str | None = typer.Option(None, "--space-id", help="Space id to serve it under (default: from the file name)."),
    warehouse_id: str | None = typer.Option(None, "--warehouse-id", help="SQL warehouse id (default: from the file name)."),
    token: str | None = typer.Option(None, "--token", envvar="DATABRICKS_TOKEN", show_default=False,
                                     help="Bearer token clients must send (default: $DATABRICKS_TOKEN)."),
    catalog: str | None = typer.Option(None, "--catalog", help="Catalog to attach the DuckDB file under "
                                       "(default: the one the space's identifiers use)."),
    latency_ms: float = typer.Option(0.0, "--latency-ms", min=0, help="Delay added to every API request."),
    fail_rate: float = typer.Option(0.0, "--fail-rate", min=0, max=1,
                                    help="Probability that a question fails (503, 429 or a FAILED message)."),
    rate_limit_per_minute: float | None = typer.Option(None, "--rate-limit-per-minute", min=0.001,
                                                       help="Questions per minute before 429 + Retry-After."),
    expire_rate: float = typer.Option(0.0, "--expire-rate", min=0, max=1,
                                      help="Probability that an answer ends QUERY_RESULT_EXPIRED."),
    chunk_rows: int = typer.Option(1000, "--chunk-rows", min=1, help="Rows per statement result chunk."),
    strict_sorting: bool = typer.Option(True, "--strict-sorting/--sort-spaces",
                                        help="Reject unsorted spaces (as the service does) or sort them on write."),
    seed: int = typer.Option(0, "--seed", help="Seed of the fault injection."),
    serving_upstream: str | None = typer.Option(None, "--serving-upstream", help="OpenAI-compatible base URL that "
                                                "/serving-endpoints/chat/completions forwards to (no credentials sent)."),
    propagation_s: float = typer.Option(0.0, "--propagation-s", min=0, help="Genie answers from the previous config "
                                        "until this many seconds after a space update (as the service does)."),
) -> None:
    """Serve the Databricks API emulator until interrupted (Ctrl-C or SIGTERM)."""
    if not token:
        _fail("pass --token or set DATABRICKS_TOKEN: clients must authenticate with it")
    for label, path in (("warehouse", warehouse), ("space", space)):
        if not path.is_file():
            _fail(f"{label} file not found: {path}")
    try:
        faults = FaultOptions(fail_rate=fail_rate, rate_limit_per_minute=rate_limit_per_minute,
                              latency_ms=latency_ms, expire_rate=expire_rate, seed=seed)
        emulator, record = Emulator.for_space(
            warehouse, space, token=token, space_id=space_id, catalog=catalog, warehouse_id=warehouse_id,
            faults=faults, port=port,
            options=EmulatorOptions(chunk_rows=chunk_rows, strict_sorting=strict_sorting, serving_upstream=serving_upstream,
                                    propagation_s=propagation_s),
        )
    except ApiError as exc:
        _fail(f"{space}: the space is not accepted: {exc.message}")
    except (GenieEnhanceError, ValueError, OSError, duckdb.Error) as exc:
        _fail(str(exc))
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        emulator.start()
        typer.echo(json.dumps({"host": emulator.host, "space_id": record.space_id, "warehouse_id": emulator.warehouse_id}))
        while not stop.wait(0.5):
            pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        emulator.stop()
        emulator.close()
    err_console.print("emulator stopped")


def _fail(message: str) -> NoReturn:
    err_console.print(f"[red]error:[/red] {escape(message)}")
    raise typer.Exit(2)
