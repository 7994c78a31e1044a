"""Benchmark questions written as markdown, one `## ` section per question.

Format (text before the first `## ` heading — a title, an introduction — is ignored, and so is any other prose)::

    ## Revenue by region                      <- section title
    <!-- id: 0123456789abcdef0123456789abcdef -->   (optional; otherwise the id is a hash of the question)
    **Question:** What is the total revenue by region?
    **Question (KO):** 지역별 총매출은 얼마입니까?   (or **질문:** …; **Question (xx):** adds language xx)
    **Tags:** revenue, grouping                    (optional, comma-separated)

    ```sql
    SELECT region, SUM(amount) FROM sales.orders GROUP BY region
    ```

Each marker is one line (`**Question**:` with the colon outside the bold works too). A section has exactly one
```` ```sql ```` block (other fenced blocks, e.g. an expected result, are ignored). Headings and markers inside
fenced blocks are code, not structure. Every error is a `BenchmarkError` at the 1-based line that causes it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from genie_enhance.benchmarks.checks import build_benchmark, check_sql, ensure_unique_ids
from genie_enhance.benchmarks.model import Benchmark
from genie_enhance.errors import BenchmarkError
from genie_enhance.space.ids import is_valid_id

_HEADING = re.compile(r"^ {0,3}##(?:[ \t]+(?P<title>.*?))?[ \t]*$")
_FENCE_OPEN = re.compile(r"^ {0,3}(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^\s`]*)")
_MARKER_END = r"\s*(?::\s*\*\*|\*\*\s*:)\s*(?P<text>.*?)\s*$"
_QUESTION = re.compile(
    r"^\s*\*\*\s*(?P<word>question|질문)\s*(?:\(\s*(?P<lang>[A-Za-z]{2,3}(?:-[A-Za-z0-9]+)?)\s*\))?" + _MARKER_END,
    re.IGNORECASE,
)
_TAGS = re.compile(r"^\s*\*\*\s*tags" + _MARKER_END, re.IGNORECASE)
_ID = re.compile(r"^\s*<!--\s*id\s*:\s*(?P<id>.*?)\s*-->\s*$", re.IGNORECASE)


@dataclass
class _Section:
    title: str
    line: int
    questions: dict[str, tuple[str, int]] = field(default_factory=dict)  # language → (text, line)
    tags: list[str] = field(default_factory=list)
    tags_line: int | None = None
    id: str | None = None
    id_line: int | None = None
    sql_blocks: list[tuple[int, str]] = field(default_factory=list)  # (line of the opening fence, code)
    plain_fences: list[int] = field(default_factory=list)  # lines of fences without a language


@dataclass
class _Fence:
    char: str
    length: int
    line: int
    info: str
    body: list[str] = field(default_factory=list)

    def closed_by(self, line: str) -> bool:
        stripped = line.strip()
        indent = len(line) - len(line.lstrip(" "))
        return (
            indent <= 3
            and len(stripped) >= self.length
            and set(stripped) == {self.char}
        )


def load_markdown(path: str | Path) -> list[Benchmark]:
    """Every benchmark in a markdown file (see the module docstring for the format)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise BenchmarkError(str(path), None, f"cannot read benchmark file: {exc}") from exc
    return parse_markdown(text, str(path))


def parse_markdown(text: str, path: str = "<markdown>") -> list[Benchmark]:
    """Every benchmark in markdown `text`; `path` is used in `source` and in error messages."""
    benchmarks = [_to_benchmark(section, path) for section in _sections(text, path)]
    ensure_unique_ids(benchmarks)
    return benchmarks


def _sections(text: str, path: str) -> list[_Section]:
    sections: list[_Section] = []
    fence: _Fence | None = None
    for lineno, line in enumerate(text.splitlines(), start=1):
        current = sections[-1] if sections else None
        if fence is not None:
            if fence.closed_by(line):
                if current is not None:
                    _add_block(current, fence)
                fence = None
            else:
                fence.body.append(line)
            continue
        if match := _FENCE_OPEN.match(line):
            fence = _Fence(match["fence"][0], len(match["fence"]), lineno, match["info"].lower())
        elif match := _HEADING.match(line):
            sections.append(_Section(title=(match["title"] or "").rstrip("#").strip(), line=lineno))
        elif current is not None:
            _read_marker(current, line, lineno, path)
    if fence is not None:
        raise BenchmarkError(path, fence.line, f"unterminated code fence {fence.char * fence.length} opened here")
    return sections


def _add_block(section: _Section, fence: _Fence) -> None:
    if fence.info == "sql":
        section.sql_blocks.append((fence.line, "\n".join(fence.body)))
    elif not fence.info:
        section.plain_fences.append(fence.line)


def _read_marker(section: _Section, line: str, lineno: int, path: str) -> None:
    if match := _QUESTION.match(line):
        lang = (match["lang"] or ("ko" if match["word"] == "질문" else "en")).lower()
        if lang in section.questions:
            first = section.questions[lang][1]
            raise BenchmarkError(path, lineno, f"second question line for language {lang!r} (first at line {first})")
        section.questions[lang] = (match["text"], lineno)
    elif match := _TAGS.match(line):
        if section.tags_line is not None:
            raise BenchmarkError(path, lineno, f"second **Tags:** line (first at line {section.tags_line})")
        section.tags = [t.strip() for t in match["text"].split(",") if t.strip()]
        section.tags_line = lineno
    elif match := _ID.match(line):
        if section.id_line is not None:
            raise BenchmarkError(path, lineno, f"second id comment (first at line {section.id_line})")
        if not is_valid_id(match["id"]):
            raise BenchmarkError(path, lineno, f"id must be 32 lowercase hex characters, got {match['id']!r}")
        section.id, section.id_line = match["id"], lineno


def _to_benchmark(section: _Section, path: str) -> Benchmark:
    name = f"section {section.title!r}" if section.title else "section"
    if "en" not in section.questions:
        raise BenchmarkError(path, section.line, f"{name} has no **Question:** line")
    for text, lineno in section.questions.values():
        if not text:
            raise BenchmarkError(path, lineno, f"{name}: empty question")
    sql_line, sql = _single_sql_block(section, name, path)
    translations = {lang: text for lang, (text, _) in section.questions.items() if lang != "en"}
    return build_benchmark(
        path,
        section.line,
        name,
        id=section.id,
        question=section.questions["en"][0],
        translations=translations,
        expected_sql=check_sql(sql, path, sql_line, name),
        source=f"{path}:{section.line}",
        tags=section.tags,
        title=section.title or None,
    )


def _single_sql_block(section: _Section, name: str, path: str) -> tuple[int, str]:
    if not section.sql_blocks:
        hint = ""
        if section.plain_fences:
            hint = f" (the fenced block at line {section.plain_fences[0]} has no language; label it ```sql)"
        raise BenchmarkError(path, section.line, f"{name} has no ```sql block with the expected SQL{hint}")
    if len(section.sql_blocks) > 1:
        first, second = section.sql_blocks[0][0], section.sql_blocks[1][0]
        raise BenchmarkError(
            path, second, f"{name} has a second ```sql block (first at line {first}); a question has exactly one"
        )
    return section.sql_blocks[0]
