"""Declaring a settings field once: other models re-declare it with `same_field`, never with their own literals.

Why: the campaign's defaults and bounds used to be typed again in the policy, the YAML config and the CLI options,
so one could drift from the others; a copied `FieldInfo` carries the default, the bounds and the description.
"""

from __future__ import annotations

from copy import copy
from typing import Any

from pydantic import BaseModel


def same_field(model: type[BaseModel], name: str) -> Any:
    """`model`'s field `name` (default, bounds, description), to assign as another model's field default."""
    return copy(model.model_fields[name])


def field_default(model: type[BaseModel], name: str) -> Any:
    """The default value of `model`'s field `name`."""
    return model.model_fields[name].get_default(call_default_factory=True)


def field_bounds(model: type[BaseModel], name: str) -> dict[str, Any]:
    """The numeric bounds (`ge`, `gt`, `le`, `lt`) declared on `model`'s field `name`."""
    bounds: dict[str, Any] = {}
    for item in model.model_fields[name].metadata:
        for key in ("ge", "gt", "le", "lt"):
            if getattr(item, key, None) is not None:
                bounds[key] = getattr(item, key)
    return bounds
