"""Benchmark questions in a JSON file: `{"benchmarks": [{"question": ..., "expected_sql": ...}, ...]}`.

Item fields: `id` (optional, 32 lowercase hex), `question`, `question_ko`, `translations` ({language: text}),
`expected_sql` (a string, or Genie-style lines that are concatenated), `tags` (list of strings), `title`. Unknown
item fields are errors (they are usually typos). Errors name the file, the line and the JSON path
(`benchmarks[3].expected_sql`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from genie_enhance.benchmarks.checks import build_benchmark, check_sql, ensure_unique_ids
from genie_enhance.benchmarks.json_lines import item_lines, line_of
from genie_enhance.benchmarks.model import Benchmark
from genie_enhance.errors import BenchmarkError
from genie_enhance.space.ids import is_valid_id
from genie_enhance.space.lines import join_lines

ITEM_FIELDS = ("id", "question", "question_ko", "translations", "expected_sql", "tags", "title")


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
    """Every benchmark in a JSON benchmark file."""
    text, data = read_json(path)
    return benchmarks_from_json(data, str(path), text)


def benchmarks_from_json(data: Any, path: str, text: str | None = None) -> list[Benchmark]:
    """Benchmarks from parsed JSON `data`; with the raw `text`, errors and sources carry line numbers."""
    if not isinstance(data, dict) or not isinstance(data.get("benchmarks"), list):
        raise BenchmarkError(path, 1, '$: expected an object with a "benchmarks" list')
    lines = item_lines(text, ["benchmarks"]) if text is not None else []
    out = []
    for index, item in enumerate(data["benchmarks"]):
        line = lines[index] if index < len(lines) else None
        out.append(_item(item, index, path, line, text))
    ensure_unique_ids(out)
    return out


def _item(item: Any, index: int, path: str, line: int | None, text: str | None) -> Benchmark:
    where = f"benchmarks[{index}]"

    def fail(field: str | None, message: str) -> BenchmarkError:
        # A missing field's line is its item's line (line_of stops at the deepest existing ancestor).
        at = line if field is None or text is None else line_of(text, ["benchmarks", index, field])
        return BenchmarkError(path, at, f"{where}{'.' + field if field else ''}: {message}")

    if not isinstance(item, dict):
        raise fail(None, "expected an object")
    unknown = sorted(set(item) - set(ITEM_FIELDS))
    if unknown:
        raise fail(unknown[0], f"unknown field (allowed: {', '.join(ITEM_FIELDS)})")
    bench_id = item.get("id")
    if bench_id is not None and not is_valid_id(bench_id):
        raise fail("id", f"must be 32 lowercase hex characters, got {bench_id!r}")
    question = item.get("question")
    if not isinstance(question, str) or not question.strip():
        raise fail("question", "a non-empty question string is required")
    sql = item.get("expected_sql")
    if isinstance(sql, list) and all(isinstance(s, str) for s in sql):
        sql = join_lines(sql)
    if not isinstance(sql, str):
        raise fail("expected_sql", "required: the expected SQL as a string")
    sql_line = line_of(text, ["benchmarks", index, "expected_sql"]) if text is not None else line
    expected_sql = check_sql(sql, path, sql_line, f"{where}.expected_sql")
    tags = item.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise fail("tags", "must be a list of strings")
    return build_benchmark(
        path,
        line,
        where,
        id=bench_id,
        question=question,
        question_ko=item.get("question_ko"),
        translations=item.get("translations") or {},
        expected_sql=expected_sql,
        source=f"{path}:{line}" if line is not None else f"{path}#{where}",
        tags=tags,
        title=item.get("title"),
    )
