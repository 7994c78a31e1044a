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


MAX_DEPTH = 64  # a real space nests about 8 deep; far deeper JSON is an attack or a bug, refused before parsing


def validation_problems(err: ValidationError) -> list[str]:
    """One `path: message` per pydantic error; type errors show the value that was not coerced."""
    out = []
    for e in err.errors():
        shown = f" (got {e['input']!r:.60})" if e["type"].endswith("_type") and "input" in e else ""
        out.append(f"{json_path(tuple(e['loc']))}: {e['msg']}{shown}")
    return out


def _tree_problems(data: Any) -> list[str]:
    """Nesting beyond `MAX_DEPTH` and lone surrogates (`\\ud800`, valid JSON but not Unicode text: nothing
    downstream can store or send it), found without recursion so no depth can crash the check itself."""
    stack: list[tuple[Any, tuple[int | str, ...]]] = [(data, ())]
    while stack:
        value, loc = stack.pop()
        if len(loc) > MAX_DEPTH:
            return [f"{json_path(loc[:MAX_DEPTH])}: nested more than {MAX_DEPTH} levels deep"]
        if isinstance(value, dict):
            for key, item in value.items():
                if _has_surrogate(key):
                    return [f"{json_path(loc)}: key {key!r} holds a lone surrogate; not valid Unicode text"]
                stack.append((item, (*loc, key)))
        elif isinstance(value, list):
            stack.extend((item, (*loc, i)) for i, item in enumerate(value))
        elif isinstance(value, str) and _has_surrogate(value):
            return [f"{json_path(loc)}: holds a lone surrogate (e.g. \\ud800); not valid Unicode text"]
    return []


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _load_json(text: str, source: str) -> Any:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SpaceFormatError(source, [f"line {exc.lineno} column {exc.colno}: invalid JSON: {exc.msg}"]) from exc
    except RecursionError:
        raise SpaceFormatError(source, [f"$: nested more than {MAX_DEPTH} levels deep"]) from None
    problems = _tree_problems(data)
    if problems:
        raise SpaceFormatError(source, problems)
    return data


def decode_text(data: bytes, source: str) -> str:
    """A space file's bytes as text; bytes that are not UTF-8 are a format error naming the offset."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SpaceFormatError(source, [f"byte {exc.start}: not UTF-8 text ({exc.reason})"]) from None


def parse_space(data: dict[str, Any] | str, *, source: str = "<space>") -> SerializedSpace:
    """Parse a `serialized_space` (dict or JSON string) with strict types (`"version": "2"` is not 2); errors name
    the JSON path of every problem."""
    data = _load_json(data, source) if isinstance(data, str) else data
    if not isinstance(data, dict):
        raise SpaceFormatError(source, ["$: expected a JSON object"])
    problems = _tree_problems(data)
    if problems:
        raise SpaceFormatError(source, problems)
    try:
        return SerializedSpace.model_validate(data, strict=True)
    except ValidationError as exc:
        raise SpaceFormatError(source, validation_problems(exc)) from exc


def space_to_dict(space: SerializedSpace) -> dict[str, Any]:
    return space.model_dump(mode="json")


def space_to_json(space: SerializedSpace, *, indent: int | None = 2) -> str:
    """The `serialized_space` string as we send and store it."""
    return json.dumps(space_to_dict(space), indent=indent, ensure_ascii=False)


def canonical_bytes(space: SerializedSpace) -> bytes:
    """The bytes a config version is recorded as (and restored from): our canonical serialized_space JSON."""
    return space_to_json(space).encode("utf-8")


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
    data = _load_json(text, source)
    if isinstance(data, dict) and "serialized_space" in data:
        if isinstance(data["serialized_space"], dict):
            raise SpaceFormatError(source, [
                "serialized_space: is a JSON object, but the export wrapper holds it as a JSON string "
                "(as the API returns it); encode it with json.dumps, or save the object alone as a bare space"])
        try:
            export = SpaceExport.model_validate(data, strict=True)
        except ValidationError as exc:
            raise SpaceFormatError(source, validation_problems(exc)) from exc
        inner = parse_space(export.serialized_space, source=f"{source}#serialized_space")
        return SpaceDocument(inner, export)
    return SpaceDocument(parse_space(data, source=source))


def load_document(path: str | Path) -> SpaceDocument:
    path = Path(path)
    return parse_document(decode_text(path.read_bytes(), str(path)), source=str(path))


def load_space(path: str | Path) -> SerializedSpace:
    """The `serialized_space` of a file in either form."""
    return load_document(path).space


def write_space(path: str | Path, space: SerializedSpace) -> None:
    atomic_write(path, space_to_json(space) + "\n")
