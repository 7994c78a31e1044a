"""Lessons learned: which kinds of fix helped which kinds of failure, across every campaign in the store.

Why: proposers should not keep trying a fix type that keeps lowering the score for a failure category, and the LLM
proposer does better when its prompt shows what worked before. The unit of evidence is a fix whose batch reached
the live space and whose effect was measured at the next scoring (`set_batch_effect`). Effects are measured per
batch, so every fix of a batch carries the batch's Δ; with many campaigns the noise averages out.

A fix *helped* when Δobjective > 0, or Δobjective = 0 and Δtrain > 0 (the holdout did not move but the train
score did); it *hurt* symmetrically. `lesson_prior` turns the counts into a smoothed success rate.
"""

from __future__ import annotations

import duckdb

from genie_enhance.proposers.lessons import Lesson
from genie_enhance.tracking.schema import MEASURED_FIX_STATUSES

_STATUSES = ", ".join(f"'{s}'" for s in MEASURED_FIX_STATUSES)
LESSONS_SQL = f"""
WITH measured AS (
    SELECT fix_id, fix_type, COALESCE(category, 'unknown') AS category, description, status,
           COALESCE(delta_objective, 0.0) AS d, COALESCE(delta_train, 0.0) AS dt,
           COALESCE(measured_at, updated_at) AS measured_ts
    FROM fixes
    WHERE status IN ({_STATUSES}) AND (delta_objective IS NOT NULL OR delta_train IS NOT NULL)
)
SELECT fix_type, category,
       count(*) AS applied,
       count(*) FILTER (WHERE d > 0 OR (d = 0 AND dt > 0)) AS helped,
       count(*) FILTER (WHERE d < 0 OR (d = 0 AND dt < 0)) AS hurt,
       avg(d) AS mean_delta,
       count(*) FILTER (WHERE status = 'reverted') AS reverted,
       list_slice(list(description || ' (Δ ' || printf('%+.3f', d) || ')' ORDER BY measured_ts DESC, fix_id), 1, ?)
           AS examples
FROM measured
GROUP BY fix_type, category
ORDER BY applied DESC, fix_type, category
"""


def compute_lessons(conn: duckdb.DuckDBPyConnection, limit_examples: int = 3) -> list[Lesson]:
    """Every (fix type × category) lesson, by one aggregate over the measured fixes of all campaigns."""
    cursor = conn.execute(LESSONS_SQL, [max(0, limit_examples)])
    names = [d[0] for d in cursor.description]
    return [Lesson.model_validate(dict(zip(names, row))) for row in cursor.fetchall()]
