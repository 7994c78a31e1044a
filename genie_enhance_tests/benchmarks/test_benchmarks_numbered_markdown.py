"""Markdown benchmark files with numbered headings (`### 1. <question>`) at any level, Korean and English: the
question, the expected SQL after a query label, documentation sections skipped with a warning, notes files in a
folder skipped, and malformed sections failing with their file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from genie_enhance.benchmarks import (
    QUERY_LABELS,
    label_id,
    load_benchmark_paths,
    load_benchmark_set,
    markdown_benchmarks,
    question_id,
)
from genie_enhance.benchmarks.markdown import is_query_label, numbered_question
from genie_enhance.errors import BenchmarkError
from genie_enhance_tests.support.paths import KPI_PROJECT

PROJECT = KPI_PROJECT
EXAMPLES = PROJECT / "sales_examples.md"
INDEX = PROJECT / "INDEX.md"


def line_of(path: Path, text: str) -> int:
    """1-based line of the first line of `path` that starts with `text`."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, start=1) if line.startswith(text))


def write(tmp_path: Path, text: str, name: str = "bench.md") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


HEADINGS = {
    "1. 지난달 지역별 매출은?": "지난달 지역별 매출은?",
    "12) Top customers": "Top customers",
    "Q3. 취소된 주문은?": "취소된 주문은?",
    "q4: lowercase prefix": "lowercase prefix",
    "Question 5 - no punctuation after a prefix": "- no punctuation after a prefix",
    "질문 6. 한국어 접두사": "한국어 접두사",
    "1.2 Dotted number": "Dotted number",
    "2024 results": None,
    "Revenue by region": None,
    "1.5x growth": None,
    "Quarterly revenue": None,
}


@pytest.mark.parametrize("title", list(HEADINGS))
def test_numbered_heading_forms(title: str) -> None:
    assert numbered_question(title) == HEADINGS[title]


@pytest.mark.parametrize("text", ["**예시 쿼리:**", "Example query", "SQL", "Expected SQL", "예시 쿼리 2", "정답 SQL:"])
def test_query_labels(text: str) -> None:
    assert is_query_label(text.strip("*"))


def test_query_labels_are_lower_case_words() -> None:
    assert all(label == " ".join(label.lower().split()) for label in QUERY_LABELS)
    assert not is_query_label("설명") and not is_query_label("Expected result")


def test_project_examples_file() -> None:
    loaded = load_benchmark_set(EXAMPLES)
    regions, monthly, cancelled, products = loaded.benchmarks
    path = str(EXAMPLES)

    assert regions.question == "2024년 지역별 매출은?" and regions.languages == ["ko"]
    assert regions.id == question_id("2024년 지역별 매출은?") and regions.label is None
    assert regions.title == "1. 2024년 지역별 매출은?"
    assert regions.source == f"{path}:{line_of(EXAMPLES, '### 1. ')}"
    assert regions.expected_sql.startswith("SELECT r.rgn_nm AS region") and "YEAR(o.ord_ts) = 2024" in regions.expected_sql

    # The **Question:** line wins over the heading; the first ```sql block after the label, not the mistake above it.
    assert monthly.question == "What was the revenue per month in 2025?"
    assert monthly.translations == {"ko": "2025년 월별 매출은 얼마였습니까?"} and monthly.languages == ["en", "ko"]
    assert "ord_ts" in monthly.expected_sql and "ship_dt" not in monthly.expected_sql
    assert monthly.expected_sql.endswith("ORDER BY order_month")

    assert cancelled.question == "2024년에 취소된 주문은 몇 건입니까?"  # level 4, `Q3.`, a **SQL:** label
    assert cancelled.source == f"{path}:{line_of(EXAMPLES, '#### Q3. ')}"
    assert products.question == "Top 5 products by product revenue"  # level 2, `12)`, a label heading
    assert products.expected_sql.endswith("LIMIT 5")

    doc, schema = loaded.warnings
    assert (doc.path, doc.line) == (path, line_of(EXAMPLES, "### 4. "))
    assert doc.message == "section '4. 참고: 데이터 갱신 주기 (refresh schedule)' has no ```sql block: skipped as documentation"
    assert (schema.path, schema.line) == (path, line_of(EXAMPLES, "## 테이블 정의"))
    assert "has a ```sql block but no question" in schema.message  # its CREATE TABLE is never checked nor run


def test_numbered_sections_take_in_deeper_headings_and_stop_at_the_next_section() -> None:
    text = (
        "# 예시\n\n"
        "## 1. 고객 수는?\n\n#### 설명\n전체 고객.\n\n#### 예시 쿼리\n\n```sql\nSELECT COUNT(*) FROM c\n```\n\n"
        "## 참고\n\n```sql\nSELECT 1\n```\n\n"
        "### 2. How many orders?\n<!-- id: ord-2 -->\n**Tags:** orders, count\n\n```sql\nSELECT COUNT(*) FROM o\n```\n"
    )
    loaded = markdown_benchmarks(text, "x.md")
    customers, orders = loaded.benchmarks
    assert (customers.question, customers.expected_sql) == ("고객 수는?", "SELECT COUNT(*) FROM c")
    assert (orders.label, orders.id, orders.tags) == ("ord-2", label_id("ord-2"), ["orders", "count"])
    assert [(w.line, w.message.split(" has ")[0]) for w in loaded.warnings] == [(14, "section '참고'")]


def test_korean_question_line_wins_over_the_heading() -> None:
    text = "### 1. 매출\n**질문:** 지난달 지역별 매출은 얼마입니까?\n**Question (JA):** 先月の地域別売上は?\n```sql\nSELECT 1\n```\n"
    (bench,) = markdown_benchmarks(text, "x.md").benchmarks
    assert bench.question == "지난달 지역별 매출은 얼마입니까?" and bench.translations == {"ja": "先月の地域別売上は?"}
    assert bench.languages == ["ko", "ja"]


def test_classic_section_without_sql_is_documentation_in_a_numbered_file() -> None:
    text = "## 1. One?\n```sql\nSELECT 1\n```\n\n## Overview\n**Question:** Not really a question\n\nProse.\n"
    loaded = markdown_benchmarks(text, "x.md")
    assert [b.question for b in loaded.benchmarks] == ["One?"]
    assert [(w.line, w.message) for w in loaded.warnings] == [
        (6, "section 'Overview' has no ```sql block: skipped as documentation")]


def test_unlabelled_fence_in_a_documentation_section_gets_a_hint() -> None:
    text = "### 1. One?\n```sql\nSELECT 1\n```\n### 2. Two?\n```\nSELECT 2\n```\n"
    (warning,) = markdown_benchmarks(text, "x.md").warnings
    assert warning.line == 5 and "the fenced block at line 6 has no language; label it ```sql" in warning.message


MALFORMED = {
    "two sql blocks without a label": (
        "### 1. One?\n```sql\nSELECT 1\n```\nor:\n```sql\nSELECT 2\n```\n", 6,
        "has a second ```sql block (first at line 2)"),
    "a label with no sql block after it": (
        "### 1. One?\n```sql\nSELECT 1\n```\n**Expected SQL:**\nnone yet\n", 5,
        "no ```sql block after this query label"),
    "unterminated fence": ("## 1. 하나?\n**예시 쿼리:**\n```sql\nSELECT 1\n\n## 2. 둘?\n", 3,
                           "unterminated code fence ``` opened here"),
    "not read-only": ("#### Q1. 정리?\n**SQL:**\n```sql\nDELETE FROM t\n```\n", 3, "expected SQL is not read-only"),
    "two statements": ("### 1. Sneaky?\n```sql\nSELECT 1; DROP TABLE t\n```\n", 2, "expected SQL is not read-only"),
    "does not parse": ("### 1. Broken?\n```sql\nSELECT (1 FROM\n```\n", 2, "expected SQL does not parse"),
    "same question twice": ("### 1. One?\n```sql\nSELECT 1\n```\n### 2. one?\n```sql\nSELECT 1\n```\n", 5,
                            "(the same question text); first defined at {path}:1"),
    "empty question line": ("### 1. One?\n**Question:**\n```sql\nSELECT 1\n```\n", 2, "empty question"),
}


@pytest.mark.parametrize("case", list(MALFORMED), ids=list(MALFORMED))
def test_malformed_sections_fail_with_file_and_line(tmp_path: Path, case: str) -> None:
    text, line, message = MALFORMED[case]
    path = write(tmp_path, text)
    with pytest.raises(BenchmarkError) as info:
        load_benchmark_set(path)
    assert (info.value.path, info.value.line) == (str(path), line), info.value.message
    assert message.format(path=path) in info.value.message


def test_index_alone_is_an_error_but_skipped_in_a_folder(tmp_path: Path) -> None:
    with pytest.raises(BenchmarkError) as info:
        load_benchmark_set(INDEX)
    assert (info.value.path, info.value.line) == (str(INDEX), None)
    assert info.value.message.startswith("no benchmark questions: no section is a question")
    with pytest.raises(BenchmarkError):  # named on its own among other paths: still an error
        load_benchmark_paths([PROJECT / "kpi_revenue.json", INDEX])
    write(tmp_path, INDEX.read_text(encoding="utf-8"), "INDEX.md")
    write(tmp_path, "### 1. One?\n```sql\nSELECT 1\n```\n", "q.md")
    loaded = load_benchmark_set(tmp_path)
    assert [b.question for b in loaded.benchmarks] == ["One?"] and loaded.files == [str(tmp_path / "q.md")]
    assert [(w.path, w.line) for w in loaded.warnings] == [(str(tmp_path / "INDEX.md"), None)]


def test_only_documentation_files_count_as_no_benchmarks(tmp_path: Path) -> None:
    docs = write(tmp_path, "# Notes\n\n## 1. Background\n\nNo queries here.\n\n## 2. Glossary\n", "notes.md")
    with pytest.raises(BenchmarkError, match="no benchmark questions"):
        load_benchmark_set(docs)
    with pytest.raises(BenchmarkError, match=r"directory has no benchmark questions; .*notes\.md: skipped"):
        load_benchmark_set(tmp_path)


def test_a_malformed_notes_file_still_fails_a_folder_load(tmp_path: Path) -> None:
    write(tmp_path, "### 1. One?\n```sql\nSELECT 1\n```\n", "a.md")
    notes = write(tmp_path, "# Notes\n\n```sql\nSELECT 1\n", "notes.md")
    with pytest.raises(BenchmarkError) as info:
        load_benchmark_set(tmp_path)
    assert (info.value.path, info.value.line) == (str(notes), 3)


def test_duplicate_across_markdown_and_json_names_both_places(tmp_path: Path) -> None:
    first = write(tmp_path, '[\n  {"question": "2024년 지역별 매출은?", "sql": "SELECT 1"}\n]\n', "a.json")
    second = write(tmp_path, "# B\n\n### 7. 2024년 지역별 매출은?\n**예시 쿼리:**\n```sql\nSELECT 1\n```\n", "b.md")
    with pytest.raises(BenchmarkError) as info:
        load_benchmark_set(tmp_path)
    assert (info.value.path, info.value.line) == (str(second), 3)
    assert info.value.message.endswith(f"(the same question text); first defined at {first}:2")


def test_a_fence_without_language_right_after_a_query_label_is_the_sql() -> None:
    text = ("### 1. 월별 매출?\n**예시 쿼리 (월별):**\n```\nSELECT 1 AS m\n```\n\n"
            "### 2. Two?\n```text\nnot sql\n```\n**SQL:**\n```text\nresult table\n```\n```sql\nSELECT 2\n```\n")
    one, two = markdown_benchmarks(text, "x.md").benchmarks
    assert (one.expected_sql, two.expected_sql) == ("SELECT 1 AS m", "SELECT 2")


def test_a_file_named_alone_whose_questions_are_all_documentation_says_why(tmp_path: Path) -> None:
    path = write(tmp_path, "### 1. One?\n```\nSELECT 1\n```\n### 2. Two?\nprose\n")
    with pytest.raises(BenchmarkError) as info:
        load_benchmark_set(path)
    assert info.value.message.endswith(f"; {path}:1: section '1. One?' has no ```sql block: skipped as documentation "
                                       "(the fenced block at line 2 has no language; label it ```sql) (and 1 more)")
