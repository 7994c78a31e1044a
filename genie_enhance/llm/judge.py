"""Optional LLM judge for answers the result comparison marks `needs_review` (e.g. both results empty, or shapes
the comparator cannot align). It is an arbiter, not the scorer: callers record its verdict next to the
comparator's, and a `None` (no valid verdict) leaves the question in review.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from genie_enhance.llm.client import LLMClient
from genie_enhance.llm.prompts import render, system, user

PREVIEW_ROWS = 20
PREVIEW_CELL_CHARS = 80
SYSTEM_PROMPT = "You are a meticulous reviewer of SQL query results. You reply with one JSON object and nothing else."

RowsPreview = str | Sequence[Sequence[Any]] | None


class JudgeVerdict(BaseModel):
    """The judge's decision on whether the assistant's answer is equivalent to the reference."""

    model_config = ConfigDict(extra="ignore")

    equivalent: bool
    confidence: float = Field(ge=0, le=1)
    reason: str = Field(min_length=1)


def _cell(value: Any) -> str:
    text = "NULL" if value is None else str(value)
    return text if len(text) <= PREVIEW_CELL_CHARS else text[: PREVIEW_CELL_CHARS - 1] + "…"


def format_rows(rows: RowsPreview, limit: int = PREVIEW_ROWS) -> str:
    """Rows as ` | `-separated text lines, at most `limit` of them plus a count of the rest; text passes through."""
    if rows is None:
        return ""
    if isinstance(rows, str):
        return rows
    lines = [" | ".join(_cell(v) for v in row) for row in list(rows)[:limit]]
    if len(rows) > limit:
        lines.append(f"… {len(rows) - limit} more rows")
    return "\n".join(lines)


def judge_answer(
    client: LLMClient,
    question: str,
    expected_sql: str,
    expected_rows_preview: RowsPreview,
    actual_sql: str | None,
    actual_rows_preview: RowsPreview,
    *,
    model: str | None = None,
) -> JudgeVerdict | None:
    """The judge's verdict, or None when the model gives no valid reply (after its one repair attempt)."""
    prompt = render(
        "answer_comparison.md.j2",
        question=question,
        expected_sql=expected_sql,
        expected_rows=format_rows(expected_rows_preview),
        actual_sql=actual_sql or "",
        actual_rows=format_rows(actual_rows_preview),
    )
    reply = client.complete_json(
        [system(SYSTEM_PROMPT), user(prompt)], JudgeVerdict, purpose="judge", model=model, role="judge"
    )
    return reply.value
