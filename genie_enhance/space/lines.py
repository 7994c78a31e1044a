"""Genie's "lines" encoding of free text: a list of strings joined with no separator."""

from __future__ import annotations


def join_lines(lines: list[str] | None) -> str:
    """The text a lines array stands for (`None` → empty string)."""
    return "".join(lines or [])


def split_lines(text: str | None) -> list[str]:
    """Lines as Genie exports them: each ends with its newline, the last may not."""
    return (text or "").splitlines(keepends=True)
