"""Accepting a `serialized_space` the way the Genie API does: parse it, upgrade v1 to v2, validate it, and store
the re-serialized (canonical) JSON string. Invalid input is a 400 INVALID_PARAMETER_VALUE listing every problem
with its JSON path; nothing is stored."""

from __future__ import annotations

from typing import Any

from genie_enhance.emulator.errors import bad_request
from genie_enhance.errors import SpaceFormatError
from genie_enhance.space.ids import stable_id
from genie_enhance.space.io import parse_space, space_to_json
from genie_enhance.space.model import SampleQuestion, SerializedSpace
from genie_enhance.space.normalize import normalize, upgrade_to_v2
from genie_enhance.space.validation import errors, validate_space


def accept_space(value: Any, *, strict_sorting: bool, source: str = "serialized_space") -> tuple[str, SerializedSpace]:
    """`(stored JSON string, model)` for a `serialized_space`, which must be a JSON *string* as on the service.

    With `strict_sorting` unsorted collections are rejected (as the service is reported to do); without it the
    space is normalized (sorted, missing ids filled) before it is stored.
    """
    if not isinstance(value, str):
        raise bad_request(f"{source} must be a JSON string, got {type(value).__name__}")
    try:
        space = parse_space(value, source=source)
    except SpaceFormatError as exc:
        raise bad_request(f"Invalid {source}:\n" + "\n".join(exc.problems)) from exc
    space = upgrade_to_v2(space) if strict_sorting else normalize(space)
    # as the API: no deny list; warnings accepted
    problems = errors(validate_space(space, strict_sorting=strict_sorting, safety=False))
    if problems:
        raise bad_request(f"Invalid {source}:\n" + "\n".join(str(p) for p in problems))
    return space_to_json(space, indent=None), space


def concurrent_edit(space: SerializedSpace, marker: str) -> SerializedSpace:
    """The space as another user might change it: one more sample question (ids kept sorted)."""
    edited = space.model_copy(deep=True)
    question = SampleQuestion(id=stable_id("concurrent-edit", marker), question=[f"Concurrent edit {marker}?"])
    edited.config.sample_questions = sorted([*edited.config.sample_questions, question], key=lambda q: q.id or "")
    return edited
