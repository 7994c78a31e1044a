"""What the loop learned about fix types, in the form proposers read it: one record per (fix type × failure
category) and the smoothed prior they rank and skip by. The tracking store computes the records (`tracking.lessons`).
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict


class Lesson(BaseModel):
    """The record of one (fix type × failure category) pair."""

    model_config = ConfigDict(frozen=True)

    fix_type: str
    category: str
    applied: int  # fixes of this pair whose batch effect is known
    helped: int
    hurt: int
    mean_delta: float  # mean Δobjective of their batches
    reverted: int = 0  # how many of them were rolled back
    examples: list[str]  # most recent first: "<fix description> (Δ +0.050)"

    @property
    def success_rate(self) -> float:
        """Smoothed share of applications that helped: (helped + 1) / (applied + 2)."""
        return (self.helped + 1) / (self.applied + 2)


def _cell(value: str) -> str:
    return " ".join(value.split()).replace("|", "\\|")


def format_lessons_table(lessons: Sequence[Lesson]) -> str:
    """A markdown table of the lessons, for LLM prompts and the report."""
    if not lessons:
        return "_No lessons yet: no applied fix has a measured effect._"
    lines = [
        "| fix type | failure category | applied | helped | hurt | mean Δ | recent examples |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for lesson in lessons:
        examples = "; ".join(_cell(e) for e in lesson.examples) or "—"
        lines.append(
            f"| {_cell(lesson.fix_type)} | {_cell(lesson.category)} | {lesson.applied} | {lesson.helped} | "
            f"{lesson.hurt} | {lesson.mean_delta:+.3f} | {examples} |"
        )
    return "\n".join(lines)


def lesson_prior(lessons: Sequence[Lesson], fix_type: str, category: str | None = None) -> float:
    """Smoothed success rate (helped + 1) / (applied + 2) of a fix type for a failure category.

    Uses the exact (type, category) lesson when there is one, else the type's record over all categories, else
    0.5 (no evidence). Proposers rank by it and can skip types far below 0.5 that keep hurting.
    """
    exact = [x for x in lessons if x.fix_type == fix_type and (category is None or x.category == category)]
    chosen = exact or [x for x in lessons if x.fix_type == fix_type]
    applied = sum(x.applied for x in chosen)
    helped = sum(x.helped for x in chosen)
    return (helped + 1) / (applied + 2)
