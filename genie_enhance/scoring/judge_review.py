"""Ask the optional LLM judge about answers the result comparison could not decide (`needs_review`).

The judge is advisory. `review_needs_review` never changes a verdict: it returns the judge's opinion per question
so the caller can show it beside our comparison (and, if a person or a policy says so, act on it). Why: a model's
"equivalent" is not evidence the way two matching result sets are, and the score must stay reproducible without
an LLM.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from genie_enhance.core.protocols import Warehouse
from genie_enhance.errors import ReadOnlySqlError, SqlExecutionError, SqlParseError
from genie_enhance.llm import BudgetExceededError, JudgeVerdict, LLMClient, LLMUnavailableError, judge_answer
from genie_enhance.llm.judge import PREVIEW_ROWS, format_rows
from genie_enhance.scoring.runner import QuestionResult
from genie_enhance.scoring.verdicts import Verdict

log = logging.getLogger(__name__)


def result_preview(warehouse: Warehouse, sql: str | None, limit: int = PREVIEW_ROWS) -> str:
    """The first `limit` rows of `sql` as text with a header line; a failing query becomes a one-line note."""
    if not sql or not sql.strip():
        return "(no SQL)"
    try:
        result = warehouse.execute(sql, limit=limit)
    except (SqlExecutionError, ReadOnlySqlError, SqlParseError) as exc:
        return f"(the query failed: {exc})"
    if not result.rows:
        return ""  # the prompt shows "(no rows)"
    lines = [" | ".join(result.columns), format_rows(result.rows, limit)]
    if result.truncated:
        lines.append(f"… more rows (only the first {limit} are shown)")
    return "\n".join(lines)


def review_needs_review(
    results: Iterable[QuestionResult],
    client: LLMClient,
    warehouse: Warehouse,
    *,
    max_questions: int = 10,
    model: str | None = None,
) -> dict[str, JudgeVerdict]:
    """The judge's verdict for up to `max_questions` `needs_review` results, by question id (advisory only).

    A question the judge gives no valid verdict for is left out. An endpoint that is down or a spent budget ends
    the review early with what was gathered so far; neither is raised, since the judge is optional."""
    verdicts: dict[str, JudgeVerdict] = {}
    pending = [r for r in results if r.verdict == Verdict.NEEDS_REVIEW][: max(0, max_questions)]
    for result in pending:
        try:
            verdict = judge_answer(
                client,
                result.question,
                result.expected_sql,
                result_preview(warehouse, result.expected_sql),
                result.generated_sql,
                result_preview(warehouse, result.generated_sql),
                model=model,
            )
        except (LLMUnavailableError, BudgetExceededError) as exc:
            log.warning("LLM judge stopped after %d of %d questions: %s", len(verdicts), len(pending), exc)
            break
        if verdict is not None:
            verdicts[result.id] = verdict
    return verdicts
