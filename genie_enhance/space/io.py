"""Reading and writing space documents: bare `serialized_space` JSON or the exported space wrapper."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from genie_enhance.errors import SpaceFormatError
from genie_enhance.fileio import atomic_write
from genie_enhance.space.model import SerializedSpace, SpaceExport


def json_path(loc: tuple[int | str, ...]) -> str:
    """`("data_sources", "tables", 0, "identifier")` → `data_sources.tables[0].identifier`."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "$"


def validation_problems(err: ValidationError) -> list[str]:
    return [f"{json_path(tuple(e['loc']))}: {e['msg']}" for e in err.errors()]


def parse_space(data: dict[str, Any] | str, *, source: str = "<space>") -> SerializedSpace:
    """Parse a `serialized_space` (dict or JSON string); errors name the JSON path of every problem."""
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except json.JSONDecodeError as exc:
            raise SpaceFormatError(source, [f"line {exc.lineno} column {exc.colno}: invalid JSON: {exc.msg}"]) from exc
    if not isinstance(data, dict):
        raise SpaceFormatError(source, ["$: expected a JSON object"])
    try:
        return SerializedSpace.model_validate(data)
    except ValidationError as exc:
        raise SpaceFormatError(source, validation_problems(exc)) from exc


def space_to_dict(space: SerializedSpace) -> dict[str, Any]:
    return space.model_dump(mode="json")


def space_to_json(space: SerializedSpace, *, indent: int | None = 2) -> str:
    """The `serialized_space` string as we send and store it."""
    return json.dumps(space_to_dict(space), indent=indent, ensure_ascii=False)


@dataclass
class SpaceDocument:
    """A space as read from a file: the model, plus the export wrapper when the file had one."""

    space: SerializedSpace
    export: SpaceExport | None = None

    def to_json(self, *, indent: int | None = 2) -> str:
        if self.export is None:
            return space_to_json(self.space, indent=indent)
        wrapper = self.export.model_copy(update={"serialized_space": space_to_json(self.space, indent=indent)})
        return json.dumps(wrapper.model_dump(mode="json"), indent=indent, ensure_ascii=False)


def parse_document(text: str, *, source: str = "<space>") -> SpaceDocument:
    """Parse either form: a bare `serialized_space` object or the wrapper with `serialized_space` as a string."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SpaceFormatError(source, [f"line {exc.lineno} column {exc.colno}: invalid JSON: {exc.msg}"]) from exc
    if isinstance(data, dict) and "serialized_space" in data:
        try:
            export = SpaceExport.model_validate(data)
        except ValidationError as exc:
            raise SpaceFormatError(source, validation_problems(exc)) from exc
        inner = parse_space(export.serialized_space, source=f"{source}#serialized_space")
        return SpaceDocument(inner, export)
    return SpaceDocument(parse_space(data, source=source))


def load_document(path: str | Path) -> SpaceDocument:
    path = Path(path)
    return parse_document(path.read_text(encoding="utf-8"), source=str(path))


def load_space(path: str | Path) -> SerializedSpace:
    """The `serialized_space` of a file in either form."""
    return load_document(path).space


def write_space(path: str | Path, space: SerializedSpace) -> None:
    atomic_write(path, space_to_json(space) + "\n")
