"""Line numbers of values inside a JSON text, so errors can say `file.json:42` and not only a JSON path.

Why not a position-tracking parser: `json` already parsed the document; here we only walk the raw text along one
path with the stdlib's own scanners (`JSONDecoder.raw_decode` skips a whole value at C speed), which is cheap and
needs no extra dependency. Only call these on text that `json.loads` accepted.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Iterator, Sequence
from json.decoder import scanstring  # type: ignore[attr-defined]  # exists at run time; typeshed omits it

_WS = " \t\n\r"
_DECODER = json.JSONDecoder()

PathPart = str | int


def _skip_ws(text: str, i: int) -> int:
    while i < len(text) and text[i] in _WS:
        i += 1
    return i


def _children(text: str, start: int) -> Iterator[tuple[PathPart, int]]:
    """(key or index, offset of the value) for each member of the object/array at `start`."""
    opener = text[start]
    if opener not in "{[":
        return
    closer = "}" if opener == "{" else "]"
    i = _skip_ws(text, start + 1)
    index = 0
    while i < len(text) and text[i] != closer:
        key: PathPart = index
        if opener == "{":
            key, i = scanstring(text, i + 1)
            i = _skip_ws(text, _skip_ws(text, i) + 1)  # past the ':'
        yield key, i
        _, end = _DECODER.raw_decode(text, i)
        i = _skip_ws(text, end)
        if i < len(text) and text[i] == ",":
            i = _skip_ws(text, i + 1)
        index += 1


def _offset(text: str, path: Sequence[PathPart]) -> tuple[int, bool]:
    """Offset of the deepest value along `path` that exists, and whether that is the whole path."""
    i = _skip_ws(text, 0)
    for part in path:
        found = next((pos for key, pos in _children(text, i) if key == part), None)
        if found is None:
            return i, False
        i = found
    return i, True


def _line_at(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def line_of(text: str, path: Sequence[PathPart]) -> int:
    """1-based line of the value at `path` (or of its deepest existing ancestor)."""
    try:
        return _line_at(text, _offset(text, path)[0])
    except (ValueError, IndexError):
        return 1


def item_lines(text: str, path: Sequence[PathPart]) -> list[int]:
    """1-based line of every element of the array at `path` (empty if there is no array there)."""
    try:
        start, complete = _offset(text, path)
        if not complete:
            return []
        newlines = [m.start() for m in re.finditer("\n", text)]
        return [bisect.bisect_right(newlines, pos) + 1 for _, pos in _children(text, start)]
    except (ValueError, IndexError):
        return []
