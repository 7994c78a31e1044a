"""Markdown benchmark files: a realistic multi-question file, and every error with its exact file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from genie_enhance.benchmarks import load_benchmarks, load_markdown, parse_markdown, question_id
from genie_enhance.errors import BenchmarkError

COMMERCE = """\
# Commerce benchmarks

Questions about the demo shop. Text before the first section is ignored, even SQL:

```sql
DROP TABLE shop.sales.orders
## not a section: this is inside a fence
```

## Revenue by region
<!-- id: 0123456789abcdef0123456789abcdef -->
**Question:** What is the total revenue by region?
**Question (KO):** 지역별 총매출은 얼마입니까?
**Tags:** revenue, grouping

Notes for reviewers are ignored.

```sql
SELECT region, SUM(amount) AS revenue
FROM shop.sales.orders
GROUP BY region
```

Expected shape (an unlabelled block, ignored):

```
region | revenue
## also not a section
```

## Orders in 2024
**Question**: How many orders were placed in 2024?
**질문:** 2024년에 주문이 몇 건 있었습니까?
**Question (JA):** 2024年の注文数は？

~~~sql
SELECT COUNT(*) AS orders FROM shop.sales.orders WHERE YEAR(order_date) = 2024
~~~

## Top customers
**Question:** Who are the top 5 customers by revenue?
**Tags:** ranking

````sql
WITH totals AS (
  SELECT customer_id, SUM(amount) AS revenue FROM shop.sales.orders GROUP BY customer_id
)
SELECT c.name, t.revenue
FROM totals t JOIN shop.sales.customers c ON c.customer_id = t.customer_id
ORDER BY t.revenue DESC
LIMIT 5
````
"""


def write(tmp_path: Path, text: str, name: str = "bench.md") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_realistic_file_parses_every_field(tmp_path: Path) -> None:
    path = write(tmp_path, COMMERCE, "commerce.md")
    revenue, orders, top = load_benchmarks(path)

    assert revenue.id == "0123456789abcdef0123456789abcdef"
    assert revenue.title == "Revenue by region"
    assert revenue.question == "What is the total revenue by region?"
    assert revenue.question_ko == "지역별 총매출은 얼마입니까?"
    assert revenue.translations == {"ko": "지역별 총매출은 얼마입니까?"}
    assert revenue.tags == ["revenue", "grouping"]
    assert revenue.expected_sql == "SELECT region, SUM(amount) AS revenue\nFROM shop.sales.orders\nGROUP BY region"
    assert revenue.source == f"{path}:10"

    assert orders.id == question_id("How many orders were placed in 2024?")
    assert orders.question_ko == "2024년에 주문이 몇 건 있었습니까?"
    assert orders.translations == {"ko": orders.question_ko, "ja": "2024年の注文数は？"}
    assert orders.tags == []
    assert orders.expected_sql.startswith("SELECT COUNT(*) AS orders")
    assert orders.source == f"{path}:31"

    assert top.question_ko is None and top.translations == {}
    assert top.tags == ["ranking"]
    assert top.expected_sql.splitlines()[0] == "WITH totals AS ("
    assert top.expected_sql.endswith("LIMIT 5")
    assert top.source == f"{path}:40"
    lines = COMMERCE.splitlines()
    headings = [lines[10 - 1], lines[31 - 1], lines[40 - 1]]
    assert headings == ["## Revenue by region", "## Orders in 2024", "## Top customers"]


def test_file_without_sections_has_no_benchmarks(tmp_path: Path) -> None:
    assert load_markdown(write(tmp_path, "# Title\n\nOnly an introduction.\n")) == []


def test_byte_order_mark_and_crlf_are_accepted(tmp_path: Path) -> None:
    text = "\ufeff## One\r\n**Question:** How many rows?\r\n```sql\r\nSELECT COUNT(*) FROM t\r\n```\r\n"
    path = tmp_path / "bom.md"
    path.write_bytes(text.encode("utf-8"))
    (bench,) = load_markdown(path)
    assert bench.question == "How many rows?"
    assert bench.expected_sql == "SELECT COUNT(*) FROM t"
    assert bench.source == f"{path}:1"


SECTION_OK = "## Fine\n**Question:** How many rows are there?\n```sql\nSELECT COUNT(*) FROM t\n```\n"

ERROR_CASES = {
    "missing sql block": (
        "# T\n\n## No SQL\n**Question:** How many rows?\n\nJust prose.\n",
        3,
        "has no ```sql block",
    ),
    "unlabelled block hints at the fix": (
        "## Unlabelled\n**Question:** How many rows?\n```\nSELECT 1\n```\n",
        1,
        "the fenced block at line 3 has no language",
    ),
    "two sql blocks": (
        SECTION_OK + "\n## Two\n**Question:** Which?\n```sql\nSELECT 1\n```\ntext\n```sql\nSELECT 2\n```\n",
        13,
        "second ```sql block (first at line 9)",
    ),
    "missing question": (
        SECTION_OK + "## No question\n**Tags:** x\n```sql\nSELECT 1\n```\n",
        6,
        "has no **Question:** line",
    ),
    "empty question": (
        "## Empty\n\n**Question:**   \n```sql\nSELECT 1\n```\n",
        3,
        "empty question",
    ),
    "empty korean question": (
        "## Empty KO\n**Question:** How many?\n**Question (KO):**\n```sql\nSELECT 1\n```\n",
        3,
        "empty question",
    ),
    "second english question line": (
        "## Twice\n**Question:** How many?\n**Question:** How many again?\n```sql\nSELECT 1\n```\n",
        3,
        "second question line for language 'en' (first at line 2)",
    ),
    "second id comment": (
        "## Ids\n<!-- id: kpi_001 -->\n**Question:** Q?\n<!-- id: kpi_002 -->\n```sql\nSELECT 1\n```\n",
        4,
        "second id comment (first at line 2)",
    ),
    "duplicate explicit id": (
        "## A\n<!-- id: 0123456789abcdef0123456789abcdef -->\n**Question:** First?\n```sql\nSELECT 1\n```\n\n"
        "## B\n<!-- id: 0123456789abcdef0123456789abcdef -->\n**Question:** Second?\n```sql\nSELECT 2\n```\n",
        8,
        "duplicate benchmark id 0123456789abcdef0123456789abcdef; first defined at {path}:1",
    ),
    "same question twice (case and spacing differ)": (
        SECTION_OK + "\n## Again\n**Question:**  how MANY rows   are there?\n```sql\nSELECT COUNT(1) FROM t\n```\n",
        7,
        "(the same question text); first defined at {path}:1",
    ),
    "drop table": (
        "## Drop\n**Question:** Drop it\n\n```sql\nDROP TABLE x\n```\n",
        4,
        "expected SQL is not read-only",
    ),
    "delete": (
        SECTION_OK + "## Delete\n**Question:** Delete rows\n```sql\nDELETE FROM t\n```\n",
        8,
        "expected SQL is not read-only",
    ),
    "several statements": (
        "## Sneaky\n**Question:** Count and drop\n```sql\nSELECT 1;\nDROP TABLE t\n```\n",
        3,
        "expected exactly one SQL statement",
    ),
    "create table as select": (
        "## CTAS\n**Question:** Copy\n```sql\nCREATE TABLE t2 AS SELECT * FROM t\n```\n",
        3,
        "not read-only",
    ),
    "unparseable sql": (
        "## Broken\n**Question:** Broken\n```sql\nSELECT (1 FROM\n```\n",
        3,
        "expected SQL does not parse",
    ),
    "empty sql block": (
        "## Empty SQL\n**Question:** Nothing\n```sql\n\n```\n",
        3,
        "empty expected SQL",
    ),
    "unterminated fence": (
        SECTION_OK + "## Open\n**Question:** Never closed\n```sql\nSELECT 1\n\n## Next\n**Question:** x\n",
        8,
        "unterminated code fence ``` opened here",
    ),
    "shorter closing fence does not close a longer one": (
        "## Long fence\n**Question:** Q?\n````sql\nSELECT 1\n```\n",
        3,
        "unterminated code fence ```` opened here",
    ),
}


@pytest.mark.parametrize("case", list(ERROR_CASES), ids=list(ERROR_CASES))
def test_errors_name_file_and_line(tmp_path: Path, case: str) -> None:
    text, line, message = ERROR_CASES[case]
    path = write(tmp_path, text)
    with pytest.raises(BenchmarkError) as info:
        load_benchmarks(path)
    err = info.value
    assert err.path == str(path)
    assert err.line == line, f"{case}: line {err.line}, message {err.message}"
    assert message.format(path=path) in err.message
    assert str(err).startswith(f"{path}:{line}: ")


def test_destructive_sql_is_rejected_before_any_benchmark_is_returned(tmp_path: Path) -> None:
    # A valid question first, then a destructive one: the whole file is rejected, nothing half-loaded.
    text = SECTION_OK + "\n## Evil\n**Question:** Clean up\n```sql\nSELECT 1; DROP TABLE t\n```\n"
    with pytest.raises(BenchmarkError) as info:
        parse_markdown(text, "evil.md")
    assert (info.value.path, info.value.line) == ("evil.md", 9)
    assert text.splitlines()[9 - 1] == "```sql"


def test_structure_inside_fences_is_code(tmp_path: Path) -> None:
    text = (
        "## Only one\n**Question:** How many?\n```text\n## Looks like a section\n**Question:** fake\n```\n"
        "```sql\nSELECT COUNT(*) FROM t\n```\n"
    )
    (bench,) = parse_markdown(text, "x.md")
    assert bench.question == "How many?"
