"""CLI options declared from the campaign settings: the default, the bounds and the help are `CampaignSettings`'
own, so `run --holdout` cannot default or bound differently from genie_enhance.yaml or the policy."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from pydantic import TypeAdapter, ValidationError

from genie_enhance.core.fields import field_bounds, field_default
from genie_enhance.engine.runtime import CampaignSettings


def setting_option(name: str, *decls: str, help: str | None = None) -> Any:
    """A typer option for the settings field `name` (flag: `--name-with-dashes` unless `decls` are given); a
    value out of the field's bounds exits 2 with typer's `Invalid value for '--flag'` error."""
    field = CampaignSettings.model_fields[name]
    bounds = field_bounds(CampaignSettings, name)
    annotation: Any = Annotated[(field.annotation, *field.metadata)] if field.metadata else field.annotation
    adapter: TypeAdapter[Any] = TypeAdapter(annotation)

    def within_bounds(value: Any) -> Any:
        if value is None:
            return value
        try:
            adapter.validate_python(value)
        except ValidationError as exc:
            raise typer.BadParameter(exc.errors()[0]["msg"]) from None
        return value

    return typer.Option(field_default(CampaignSettings, name), *(decls or (f"--{name.replace('_', '-')}",)),
                        min=bounds.get("ge"), max=bounds.get("le"), callback=within_bounds,
                        help=help or field.description)
