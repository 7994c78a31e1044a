"""Prompt templates: jinja2 files in the repository's top-level `prompts/` directory (they are product surface, so
they live as readable files, not strings in code). Rendering is strict: a missing variable is an error, never an
empty string silently sent to a model.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from pydantic import BaseModel

from genie_enhance.package_files import package_dir

PROMPTS_DIR = package_dir("genie_enhance.llm", "templates")
_SUFFIXES = ("", ".md.j2", ".md", ".j2")


def _json_filter(value: Any, indent: int = 2) -> str:
    """JSON for prompts. (jinja's own `tojson` HTML-escapes `<`, `>`, `&` and `'`, which would garble SQL.)"""
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=indent, ensure_ascii=False, default=str)


@lru_cache(maxsize=4)
def environment(directory: Path = PROMPTS_DIR) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(directory)),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["json"] = _json_filter
    return env


def template_name(name: str, directory: Path = PROMPTS_DIR) -> str:
    """Resolve `failure_analysis` to `failure_analysis.md.j2` (an exact file name is used as is)."""
    for suffix in _SUFFIXES:
        if (directory / f"{name}{suffix}").is_file():
            return f"{name}{suffix}"
    available = ", ".join(sorted(p.name for p in directory.glob("*") if p.is_file())) or "none"
    raise jinja2.TemplateNotFound(f"{name} (in {directory}; available: {available})")


def render(name: str, directory: Path = PROMPTS_DIR, **context: Any) -> str:
    """Render a template; raises `jinja2.UndefinedError` when the context lacks a variable the template uses."""
    return environment(directory).get_template(template_name(name, directory)).render(**context)


def system(content: str) -> dict[str, str]:
    return {"role": "system", "content": content}


def user(content: str) -> dict[str, str]:
    return {"role": "user", "content": content}


# ------------------------------------------------------------------------------------ failure-analysis inputs
class FailureCase(BaseModel):
    """One failing *train* question as the proposer prompt shows it (never a holdout question)."""

    id: str
    question: str
    expected_sql: str
    generated_sql: str | None = None
    verdict: str
    reason: str | None = None
    category: str | None = None
    diagnosis: str | None = None


class LessonRow(BaseModel):
    """One row of the lessons table: how a fix type has done on a failure category so far."""

    fix_type: str
    failure_category: str
    applied: int
    helped: int
    hurt: int
    mean_delta: float | None = None


def failure_analysis_messages(
    *,
    space_summary: str,
    failures: list[FailureCase],
    lessons: list[LessonRow],
    fix_schema: dict[str, Any] | str,
    max_fixes: int = 8,
) -> list[dict[str, str]]:
    """System (Genie best practices) + user (failures, lessons, fix schema) messages for the LLM proposer."""
    return [
        system(render("genie_best_practices.md")),
        user(
            render(
                "failure_analysis.md.j2",
                space_summary=space_summary,
                failures=failures,
                lessons=lessons,
                fix_schema=fix_schema,
                max_fixes=max_fixes,
            )
        ),
    ]
