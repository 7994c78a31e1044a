"""`versions`: the config versions a tracking store recorded, with the ids `diff` and `rollback --to` take."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from genie_enhance.cli.app import app, console
from genie_enhance.cli.store_lookup import READ_OUT_HELP, existing_store, require_campaign
from genie_enhance.tracking import VersionRecord


@app.command()
def versions(
    out: Path | None = typer.Option(None, "--out", show_default=False, help=READ_OUT_HELP),
    space_key: str | None = typer.Option(None, "--space-key", help="only the versions of this space"),
    campaign: str | None = typer.Option(None, "--campaign", help="only the versions this campaign recorded"),
    as_json: bool = typer.Option(False, "--json", help="one JSON object per version instead of lines"),
) -> None:
    """List the recorded config versions, oldest first: the ids `diff`, `rollback --to` and `score --json` use."""
    _, store = existing_store(out)
    if campaign is not None:
        require_campaign(store, campaign)
    rows = [(v, store.version_spaces(v.version_id)) for v in store.versions(campaign)]
    rows = [(v, spaces) for v, spaces in rows if space_key is None or space_key in spaces]
    if as_json:
        for v, spaces in rows:
            print(json.dumps({**v.model_dump(mode="json"), "spaces": spaces}))
        return
    console.print(f"{len(rows)} config version(s), oldest first", highlight=False)
    for v, spaces in rows:
        console.print(_line(v, spaces), highlight=False, markup=False, soft_wrap=True)


def _line(v: VersionRecord, spaces: list[str]) -> str:
    parts = [v.version_id, f"{v.created_at:%Y-%m-%d %H:%M:%S}", v.source]
    parts += [f"space {', '.join(spaces)}"] if spaces else []
    parts += [f"campaign {v.campaign_id}"] if v.campaign_id else []
    parts += [f"iteration {v.iteration}"] if v.iteration is not None else []
    parts += [f"parent {v.parent_id}"] if v.parent_id else []
    return "  ".join(parts)
