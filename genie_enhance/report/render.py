"""Render `ReportData` into one self-contained HTML file (inline CSS, JS and SVG; works offline).

Why this shape: the report is attached to tickets and opened from disk, often without network, so nothing may be
fetched. A Content-Security-Policy with `default-src 'none'` and hashes of the one inline style and script makes
that a guarantee (and stops any injected markup from running), while jinja2's autoescaping covers every piece of
user text (questions, SQL, rationales, error messages).
"""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from genie_enhance.fileio import atomic_write
from genie_enhance.package_files import package_dir
from genie_enhance.report.charts import category_chart, score_chart
from genie_enhance.report.data import GridCell, GridRow, ReportData, build_report_data
from genie_enhance.tracking.store import TrackingStore

TEMPLATES = package_dir("genie_enhance.report", "templates")
_TITLE_SQL_CHARS = 400


# ---------------------------------------------------------------------------------------------------- filters
def fmt_pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def fmt_pp(value: float | None) -> str:
    """A score difference in percentage points."""
    return "—" if value is None else f"{value * 100:+.1f} pp"


def fmt_usd(value: float | None) -> str:
    if value is None:
        return "—"
    return f"${value:,.4f}" if 0 < abs(value) < 0.01 else f"${value:,.2f}"


def fmt_duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes} min {secs:02d} s" if minutes < 60 else f"{minutes // 60} h {minutes % 60:02d} min"


def fmt_ts(value: datetime | None) -> str:
    return "—" if value is None else value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def short_id(value: str) -> str:
    """Long generated ids (32-hex question ids) shortened for tables; the full id goes in a `title`."""
    return value if len(value) <= 12 else value[:8] + "…"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def cell_title(cell: GridCell, row: GridRow) -> str:
    """The plain-text tooltip of a grid cell (the same facts the click panel shows, SQL shortened)."""
    named = f"{row.question_id} ({row.label})" if row.label else row.question_id
    head = f"{named} · iteration {cell.iteration} · {cell.verdict.replace('_', ' ')}"
    lines = [head + (f" ({cell.category})" if cell.category else "")]
    lines += [f"{label}: {value}" for label, value in (
        ("reason", cell.reason), ("details", cell.details), ("Genie error", cell.genie_error)) if value]
    if cell.verdict != "not_run":
        lines.append("generated SQL: " + _clip(cell.generated_sql or "(none)", _TITLE_SQL_CHARS))
        lines.append("expected SQL: " + _clip(cell.expected_sql or "(none)", _TITLE_SQL_CHARS))
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------------- rendering
def _csp_hash(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


@lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined,
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
    )
    env.filters.update(pct=fmt_pct, pp=fmt_pp, usd=fmt_usd, duration=fmt_duration, ts=fmt_ts, cell_title=cell_title,
                       short_id=short_id)
    return env


def _grid_json(data: ReportData) -> dict[str, Any]:
    """What the click panel reads: per question, its cells keyed by iteration."""
    return {
        row.question_id: {
            "id": row.question_id, "label": row.label, "role": row.role, "question": row.question,
            "cells": {str(c.iteration): c.model_dump(mode="json") for c in row.cells},
        }
        for row in data.grid
    }


def render_html(data: ReportData) -> str:
    """The report's HTML text."""
    style = (TEMPLATES / "report.css").read_text(encoding="utf-8")
    script = (TEMPLATES / "report.js").read_text(encoding="utf-8")
    return _environment().get_template("report.html.j2").render(
        data=data,
        score_chart=score_chart(data.iterations, data.header.target),
        category_chart=category_chart(data.categories),
        grid_json=_grid_json(data),
        style=Markup(style), style_hash=_csp_hash(style),  # our own static files: inserted verbatim
        script=Markup(script), script_hash=_csp_hash(script),
    )


def _write_atomically(path: Path, text: str) -> None:
    """Readers never see a half-written report (the CLI and a Dagster asset may both regenerate it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, text, mode=0o644)


def render_report(store: TrackingStore, campaign_id: str, out_path: str | Path) -> Path:
    """Write the campaign's self-contained HTML report to `out_path` and return that path."""
    path = Path(out_path)
    _write_atomically(path, render_html(build_report_data(store, campaign_id)))
    return path
