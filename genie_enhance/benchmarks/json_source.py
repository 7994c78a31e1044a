"""Benchmark questions in a JSON file: a list of items, or `{"benchmarks": [item, ...]}`.

Item fields (`json_fields.ITEM_FIELDS`, or an alias from `json_fields.ALIASES`): `id`, `question`, `question_ko`,
`translations` ({language: text}), `expected_sql` (a string, or Genie-style lines that are concatenated), `tags`
(list of strings), `title`. An `id` that is 32 lowercase hex is the question's id; any other string (or integer)
is kept as its label and the id is derived from that. Any other field is kept as metadata and, when its value is
a number or short text (or a list of them), as tags `field:value` — with one warning per file and field. Errors
name the file, the line and the JSON path (`benchmarks[3].expected_sql`, or `[3].expected_sql` in a list).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from genie_enhance.benchmarks.checks import build_benchmark, check_sql, ensure_unique_ids
from genie_enhance.benchmarks.json_fields import UnknownFields, canonical_name, field_tags
from genie_enhance.benchmarks.json_lines import PathPart, item_lines, line_of
from genie_enhance.benchmarks.loaded import BenchmarkWarning, LoadedBenchmarks
from genie_enhance.benchmarks.model import Benchmark
from genie_enhance.errors import BenchmarkError
from genie_enhance.space.ids import is_valid_id
from genie_enhance.space.lines import join_lines

log = logging.getLogger(__name__)

_SHAPE = '$: expected a list of benchmark questions, or an object with a "benchmarks" list'


def read_json(path: str | Path) -> tuple[str, Any]:
    """(text, parsed value) of a JSON file; unreadable or invalid JSON is a `BenchmarkError` with its line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise BenchmarkError(str(path), None, f"cannot read benchmark file: {exc}") from exc
    try:
        return text, json.loads(text)
    except json.JSONDecodeError as exc:
        raise BenchmarkError(str(path), exc.lineno, f"invalid JSON: {exc.msg} (column {exc.colno})") from exc


def load_json_benchmarks(path: str | Path) -> list[Benchmark]:
    """Every benchmark in a JSON benchmark file (warnings are logged; `json_benchmarks` returns them)."""
    text, data = read_json(path)
    return benchmarks_from_json(data, str(path), text)


def benchmarks_from_json(data: Any, path: str, text: str | None = None) -> list[Benchmark]:
    """Benchmarks from parsed JSON `data` (warnings are logged; `json_benchmarks` returns them)."""
    loaded = json_benchmarks(data, path, text)
    for warning in loaded.warnings:
        log.warning("%s", warning)
    return loaded.benchmarks


def json_benchmarks(data: Any, path: str, text: str | None = None) -> LoadedBenchmarks:
    """Benchmarks and warnings from parsed JSON `data`; with the raw `text`, errors and sources carry lines."""
    if isinstance(data, list):
        items, root = data, []
    elif isinstance(data, dict) and isinstance(data.get("benchmarks"), list):
        items, root = data["benchmarks"], ["benchmarks"]
    else:
        raise BenchmarkError(path, 1, _SHAPE)
    lines = item_lines(text, root) if text is not None else []
    unknown = UnknownFields()
    out = []
    for index, item in enumerate(items):
        line = lines[index] if index < len(lines) else None
        out.append(_Item(path, text, [*root, index], line).benchmark(item, unknown))
    ensure_unique_ids(out)
    warnings = [BenchmarkWarning(path, line, message) for line, message in unknown.warnings()]
    return LoadedBenchmarks(out, warnings)


@dataclass
class _Item:
    """One item of the list: where it is, for errors and sources."""

    path: str
    text: str | None
    at: list[PathPart]  # JSON path of the item
    line: int | None  # line of the item

    @property
    def where(self) -> str:
        prefix = str(self.at[0]) if isinstance(self.at[0], str) else ""
        return prefix + "".join(f"[{p}]" for p in self.at if isinstance(p, int))

    def line_of(self, key: str | None) -> int | None:
        # A missing key's line is its item's line (line_of stops at the deepest existing ancestor).
        if key is None or self.text is None:
            return self.line
        return line_of(self.text, [*self.at, key])

    def fail(self, key: str | None, message: str) -> BenchmarkError:
        return BenchmarkError(self.path, self.line_of(key), f"{self.where}{'.' + key if key else ''}: {message}")

    def benchmark(self, item: Any, unknown: UnknownFields) -> Benchmark:
        if not isinstance(item, dict):
            raise self.fail(None, "expected an object")
        fields, keys, extra = self._fields(item)
        label, bench_id = self._id(fields.get("id"), keys.get("id", "id"))
        question = fields.get("question")
        if not isinstance(question, str) or not question.strip():
            raise self.fail(keys.get("question", "question"), "a non-empty question string is required")
        sql = self._sql(fields.get("expected_sql"), keys.get("expected_sql", "expected_sql"))
        tags = fields.get("tags", [])
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise self.fail(keys["tags"], "must be a list of strings")
        for name, value in extra.items():
            made = field_tags(name, value)
            unknown.add(name, f"{self.where}.{name}", self.line_of(name), made is not None)
            tags = [*tags, *(made or [])]
        return build_benchmark(
            self.path,
            self.line,
            self.where,
            id=bench_id,
            label=label,
            question=question,
            question_ko=fields.get("question_ko"),
            translations=fields.get("translations") or {},
            expected_sql=sql,
            source=f"{self.path}:{self.line}" if self.line is not None else f"{self.path}#{self.where}",
            tags=tags,
            title=fields.get("title"),
            metadata=extra,
        )

    def _fields(self, item: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str], dict[str, Any]]:
        """(our field → value, our field → the key it was given under, unknown fields); two keys for one of our
        fields must agree."""
        fields: dict[str, Any] = {}
        keys: dict[str, str] = {}
        extra: dict[str, Any] = {}
        for key, value in item.items():
            name = canonical_name(key)
            if name is None:
                extra[key] = value
            elif name in fields and fields[name] != value:
                raise self.fail(key, f'{name} is also given as "{keys[name]}", with a different value; keep one')
            elif name not in fields:
                fields[name], keys[name] = value, key
        return fields, keys, extra

    def _id(self, value: Any, key: str) -> tuple[str | None, str | None]:
        """(label, id): a 32-hex id is the id; any other string or integer is the label (the id derives from it)."""
        if value is None or (isinstance(value, str) and not value.strip()):
            return None, None
        if is_valid_id(value):
            return None, value
        if isinstance(value, str):
            return value.strip(), None
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value), None
        raise self.fail(key, f"must be a string (a 32-hex id, or any name kept as the label), got {value!r}")

    def _sql(self, value: Any, key: str) -> str:
        if isinstance(value, list) and all(isinstance(s, str) for s in value):
            value = join_lines(value)
        if not isinstance(value, str):
            raise self.fail(key, "required: the expected SQL as a string")
        try:
            return check_sql(value, self.path, None, f"{self.where}.{key}")
        except BenchmarkError:  # the same error again, with its line: finding a line walks the text up to the item,
            # so doing it for every item made loading 10,000 questions quadratic; only a failing item pays it
            return check_sql(value, self.path, self.line_of(key), f"{self.where}.{key}")
