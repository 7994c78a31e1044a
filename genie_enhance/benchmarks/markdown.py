"""Benchmark questions written as markdown, in either of two layouts (text before the first heading — a title, an
introduction — is ignored, and so is any other prose).

**Sections** (one `## ` section per question)::

    ## Revenue by region                      <- section title
    <!-- id: 0123456789abcdef0123456789abcdef -->   (optional; a non-hex id is kept as the label: <!-- id: kpi_001 -->)
    **Question:** What is the total revenue by region?
    **Question (KO):** 지역별 총매출은 얼마입니까?   (or **질문:** …; **Question (xx):** adds language xx)
    **Tags:** revenue, grouping                    (optional, comma-separated)

    ```sql
    SELECT region, SUM(amount) FROM sales.orders GROUP BY region
    ```

**Numbered headings** (at any level: `### 1. <question>`, `## 12) <question>`, `#### Q3. <question>`)::

    ### 1. 지난달 지역별 매출은?                    <- the heading text is the question
    설명 …
    **예시 쿼리:**                                  (a query label: the first ```sql block after it is the answer)
    ```sql
    SELECT …
    ```

A file with at least one numbered heading uses the second layout: every heading starts a section, except that a
numbered section takes in the deeper headings under it (`#### 예시 쿼리`). A section whose heading is not numbered
is a question only with a `**Question:**`/`**질문:**` line; that line also wins over a numbered heading's text.
There, a question without a ```sql block is documentation: skipped, with a warning naming its line.

In both layouts: each marker is one line (`**Question**:` with the colon outside the bold works too). The expected
SQL is the first ```` ```sql ```` block after a query label (`QUERY_LABELS`, as a bold line or a heading; a fence
without a language right after the label counts too), else the section's only ```sql block (two without a label
are ambiguous: an error). Other fenced blocks are ignored.
Headings and markers inside fenced blocks are code, not structure. A file in which no section is a question (an
index, notes) has no benchmarks (`loader` decides whether that is an error). Every error is a `BenchmarkError` at
the 1-based line that causes it.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from genie_enhance.benchmarks.checks import build_benchmark, check_sql, ensure_unique_ids
from genie_enhance.benchmarks.loaded import BenchmarkWarning, LoadedBenchmarks
from genie_enhance.benchmarks.model import Benchmark
from genie_enhance.errors import BenchmarkError
from genie_enhance.space.ids import is_valid_id

log = logging.getLogger(__name__)

#: Labels that announce the expected SQL (case and spacing ignored; a trailing number is allowed: `예시 쿼리 2`).
QUERY_LABELS = frozenset({
    "sql", "sql query", "query", "expected sql", "expected query", "example sql", "example query", "sample query",
    "answer sql", "gold sql", "reference sql", "reference query",
    "예시 쿼리", "예시 sql", "쿼리", "쿼리 예시", "sql 쿼리", "정답 쿼리", "정답 sql", "기대 쿼리", "예상 쿼리", "샘플 쿼리",
})

_HEADING = re.compile(r"^ {0,3}(?P<hashes>#{1,6})(?:[ \t]+(?P<title>.*?))?[ \t]*$")
_NUMBERED = re.compile(
    r"^(?P<prefix>(?:q|question|질문|문제|문항)\s*)?(?P<number>\d+(?:\.\d+)*)(?P<punct>[.):]?)\s+(?P<text>\S.*)$",
    re.IGNORECASE,
)
_FENCE_OPEN = re.compile(r"^ {0,3}(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^\s`]*)")
_MARKER_END = r"\s*(?::\s*\*\*|\*\*\s*:)\s*(?P<text>.*?)\s*$"
_QUESTION = re.compile(
    r"^\s*\*\*\s*(?P<word>question|질문)\s*(?:\(\s*(?P<lang>[A-Za-z]{2,3}(?:-[A-Za-z0-9]+)?)\s*\))?" + _MARKER_END,
    re.IGNORECASE,
)
_TAGS = re.compile(r"^\s*\*\*\s*(?:tags|태그)" + _MARKER_END, re.IGNORECASE)
_BOLD_LABEL = re.compile(r"^\s*(?:[-*+]\s+)?\*\*\s*(?P<label>[^*]+?)" + _MARKER_END)
_ID = re.compile(r"^\s*<!--\s*id\s*:\s*(?P<id>.*?)\s*-->\s*$", re.IGNORECASE)


def numbered_question(title: str) -> str | None:
    """The question of a numbered heading title (`1. Q`, `12) Q`, `Q3. Q`, `1.2 Q`), or None if not numbered.

    A bare number needs punctuation or a `Q` prefix, so `2024 results` is a title, not question 2024."""
    match = _NUMBERED.match(title)
    if match is None or not (match["prefix"] or match["punct"] or "." in match["number"]):
        return None
    return match["text"].strip()


def is_query_label(text: str) -> bool:
    """True for a label that announces the expected SQL (`**예시 쿼리:**`, `#### Example query`, `SQL 2`,
    `예시 쿼리 (월별)`)."""
    words = " ".join(text.strip().rstrip(":").lower().split())
    bare = re.sub(r"\s*(?:\(.*\)|\d+)$", "", words)
    return words in QUERY_LABELS or bare in QUERY_LABELS


@dataclass
class _Block:
    line: int  # line of the opening fence
    info: str
    code: str


@dataclass
class _Section:
    title: str
    line: int
    level: int
    numbered: str | None = None  # the question a numbered heading holds
    questions: dict[str, tuple[str, int]] = field(default_factory=dict)  # language → (text, line)
    tags: list[str] = field(default_factory=list)
    tags_line: int | None = None
    id: str | None = None
    id_line: int | None = None
    blocks: list[_Block] = field(default_factory=list)
    label_line: int | None = None  # first query label

    @property
    def name(self) -> str:
        return f"section {self.title!r}" if self.title else "section"

    @property
    def sql_blocks(self) -> list[_Block]:
        """The ```sql blocks, and a fence without a language right after a query label (the label says it is SQL)."""
        labelled = self.labelled_block
        return [b for b in self.blocks if b.info == "sql" or b is labelled]

    @property
    def labelled_block(self) -> _Block | None:
        """The first ```sql (or unlabelled) block after the first query label."""
        if self.label_line is None:
            return None
        after = [b for b in self.blocks if b.line > self.label_line and b.info in ("sql", "")]
        return after[0] if after else None

    @property
    def is_question(self) -> bool:
        return self.numbered is not None or bool(self.questions)


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
        return indent <= 3 and len(stripped) >= self.length and set(stripped) == {self.char}


def load_markdown(path: str | Path) -> list[Benchmark]:
    """Every benchmark in a markdown file (warnings are logged; `read_markdown` returns them)."""
    loaded = read_markdown(path)
    _log(loaded)
    return loaded.benchmarks


def read_markdown(path: str | Path) -> LoadedBenchmarks:
    """Benchmarks and warnings of a markdown file (see the module docstring for the format)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise BenchmarkError(str(path), None, f"cannot read benchmark file: {exc}") from exc
    return markdown_benchmarks(text, str(path))


def parse_markdown(text: str, path: str = "<markdown>") -> list[Benchmark]:
    """Every benchmark in markdown `text`; `path` is used in `source` and in messages (warnings are logged)."""
    loaded = markdown_benchmarks(text, path)
    _log(loaded)
    return loaded.benchmarks


def markdown_benchmarks(text: str, path: str = "<markdown>") -> LoadedBenchmarks:
    """Benchmarks and warnings of markdown `text`; no benchmarks at all when no section is a question."""
    lines = text.splitlines()
    numbered = any(numbered_question(title) is not None for _, _, title in _headings(lines))
    sections = _sections(lines, path, numbered)
    if not any(s.is_question for s in sections):
        return LoadedBenchmarks()
    result = LoadedBenchmarks()
    for section in sections:
        if numbered and not _usable(section, path, result.warnings):
            continue
        result.benchmarks.append(_to_benchmark(section, path, numbered))
    ensure_unique_ids(result.benchmarks)
    return result


def _log(loaded: LoadedBenchmarks) -> None:
    for warning in loaded.warnings:
        log.warning("%s", warning)


def _headings(lines: list[str]) -> list[tuple[int, int, str]]:
    """(line, level, title) of every heading outside fenced blocks."""
    out = []
    fence: _Fence | None = None
    for lineno, line in enumerate(lines, start=1):
        if fence is not None:
            fence = None if fence.closed_by(line) else fence
        elif match := _FENCE_OPEN.match(line):
            fence = _Fence(match["fence"][0], len(match["fence"]), lineno, "")
        elif match := _HEADING.match(line):
            out.append((lineno, len(match["hashes"]), (match["title"] or "").rstrip("#").strip()))
    return out


def _opens_section(sections: list[_Section], level: int, title: str, numbered: bool) -> bool:
    """Sections layout: only `## ` headings. Numbered layout: every heading, except one deeper than the numbered
    section it is in (and not numbered itself), which is part of that section."""
    if not numbered:
        return level == 2
    current = sections[-1] if sections else None
    inside = current is not None and current.numbered is not None and level > current.level
    return not inside or numbered_question(title) is not None


def _sections(lines: list[str], path: str, numbered: bool) -> list[_Section]:
    sections: list[_Section] = []
    fence: _Fence | None = None
    for lineno, line in enumerate(lines, start=1):
        current = sections[-1] if sections else None
        if fence is not None:
            if fence.closed_by(line):
                if current is not None:
                    current.blocks.append(_Block(fence.line, fence.info, "\n".join(fence.body)))
                fence = None
            else:
                fence.body.append(line)
            continue
        if match := _FENCE_OPEN.match(line):
            fence = _Fence(match["fence"][0], len(match["fence"]), lineno, match["info"].lower())
        elif match := _HEADING.match(line):
            level, title = len(match["hashes"]), (match["title"] or "").rstrip("#").strip()
            if _opens_section(sections, level, title, numbered):
                sections.append(_Section(title, lineno, level, numbered_question(title) if numbered else None))
            elif current is not None and is_query_label(title):
                current.label_line = current.label_line or lineno
        elif current is not None:
            _read_marker(current, line, lineno, path)
    if fence is not None:
        raise BenchmarkError(path, fence.line, f"unterminated code fence {fence.char * fence.length} opened here")
    return sections


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
        section.id, section.id_line = match["id"] or None, lineno
    elif (match := _BOLD_LABEL.match(line)) and is_query_label(match["label"]):
        section.label_line = section.label_line or lineno


def _usable(section: _Section, path: str, warnings: list[BenchmarkWarning]) -> bool:
    """Numbered layout: whether a section is a question to load; documentation is skipped with a warning."""
    if section.is_question and not section.sql_blocks:
        warnings.append(BenchmarkWarning(
            path, section.line, f"{section.name} has no ```sql block: skipped as documentation{_plain_hint(section)}"))
        return False
    if not section.is_question and section.sql_blocks:
        warnings.append(BenchmarkWarning(
            path, section.line, f"{section.name} has a ```sql block but no question (not a numbered heading, no "
                                "**Question:** line): skipped"))
        return False
    return section.is_question


def _plain_hint(section: _Section) -> str:
    plain = [b.line for b in section.blocks if not b.info]
    return f" (the fenced block at line {plain[0]} has no language; label it ```sql)" if plain else ""


def _question(section: _Section, path: str, numbered: bool) -> tuple[str, dict[str, str]]:
    """(the question, its translations): the `**Question:**` line, else (numbered layout) the `**질문:**` line or
    the numbered heading's text."""
    for text, lineno in section.questions.values():
        if not text:
            raise BenchmarkError(path, lineno, f"{section.name}: empty question")
    others = dict(section.questions)
    if "en" in others:
        main = others.pop("en")[0]
    elif numbered and "ko" in others:
        main = others.pop("ko")[0]
    elif numbered and section.numbered:
        main = section.numbered
    else:
        raise BenchmarkError(path, section.line, f"{section.name} has no **Question:** line")
    return main, {lang: text for lang, (text, _) in others.items()}


def _to_benchmark(section: _Section, path: str, numbered: bool) -> Benchmark:
    question, translations = _question(section, path, numbered)
    sql_line, sql = _expected_sql(section, path)
    label = section.id if section.id and not is_valid_id(section.id) else None
    return build_benchmark(
        path,
        section.line,
        section.name,
        id=None if label else section.id,
        label=label,
        question=question,
        translations=translations,
        expected_sql=check_sql(sql, path, sql_line, section.name),
        source=f"{path}:{section.line}",
        tags=section.tags,
        title=section.title or None,
    )


def _expected_sql(section: _Section, path: str) -> tuple[int, str]:
    """(line, code) of the expected SQL: the first ```sql block after the first query label, else the only one."""
    blocks = section.sql_blocks
    if section.label_line is not None:
        if section.labelled_block is not None:
            return section.labelled_block.line, section.labelled_block.code
        if blocks:
            raise BenchmarkError(path, section.label_line, f"{section.name}: no ```sql block after this query label")
    if not blocks:
        raise BenchmarkError(
            path, section.line, f"{section.name} has no ```sql block with the expected SQL{_plain_hint(section)}")
    if len(blocks) > 1:
        first, second = blocks[0].line, blocks[1].line
        raise BenchmarkError(
            path, second, f"{section.name} has a second ```sql block (first at line {first}); a question has exactly "
                          "one, or mark the expected one with a label line such as **Expected SQL:**")
    return blocks[0].line, blocks[0].code
