"""What a validation rule reports: one problem, located by the JSON path of the offending value."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Problem:
    """One reason a space would be rejected (or would misbehave); `path` is e.g. `benchmarks.questions[0].id`."""

    path: str
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def problems_from_format_error(problems: list[str]) -> list[Problem]:
    """`SpaceFormatError.problems` (`"path: message"` strings) as `Problem`s, so parse errors report like the rest."""
    out = []
    for text in problems:
        path, sep, message = text.partition(": ")
        out.append(Problem(path, "format", message) if sep else Problem("$", "format", text))
    return out
