"""Validate a batch of proposals against the config and apply it as one update.

Each fix is tried on the candidate in turn and kept only if it applies and adds no validation error (schema,
budgets, references to real tables/columns; SQL-carrying fixes also execute with LIMIT 0); warnings never drop a
fix. Problems are compared by code, message and place — the place anchored on item ids, so an existing problem
that only moved (a fix inserted an item before it) is not new, while the same text at another item is. Nothing
invalid ever reaches the live space; the batch is applied once, with the etag of the snapshot it was built on.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from genie_enhance.engine.runtime import Runtime
from genie_enhance.errors import FixError
from genie_enhance.proposers.base import Proposal
from genie_enhance.space.model import SerializedSpace
from genie_enhance.space.validation import ExecutionCache, errors, validate_space
from genie_enhance.space.validation.locate import anchored_path

SQL_FIX_TYPES = {"add_example_sql", "add_sql_snippet", "add_join", "fix_join"}


@dataclass
class Batch:
    base: SerializedSpace
    candidate: SerializedSpace
    accepted: list[Proposal] = field(default_factory=list)
    invalid: list[tuple[Proposal, str]] = field(default_factory=list)


def _problems(space: SerializedSpace, rt: Runtime, *, execute: bool,
              cache: ExecutionCache | None = None) -> Counter[tuple[str, str, str]]:
    found = errors(validate_space(space, catalog=rt.catalog, warehouse=rt.backend.warehouse if execute else None,
                                  execution_cache=cache))
    data = space.model_dump(mode="json")
    return Counter((p.code, p.message, anchored_path(data, p.path)) for p in found)


def build_batch(rt: Runtime, base: SerializedSpace, proposals: list[Proposal]) -> Batch:
    """Apply proposals one by one, dropping (with the reason) every fix that fails or adds a problem."""
    batch = Batch(base=base, candidate=base)
    cache: ExecutionCache = {}  # each SQL of the space runs once for the whole batch, not once per fix
    known = _problems(base, rt, execute=True, cache=cache)
    for proposal in proposals:
        fix = proposal.fix
        try:
            trial = fix.apply(batch.candidate)
        except FixError as exc:
            batch.invalid.append((proposal, f"does not apply: {exc}"))
            continue
        new = _problems(trial, rt, execute=fix.type in SQL_FIX_TYPES, cache=cache) - known
        if new:
            batch.invalid.append((proposal, "; ".join(f"{code}: {msg}" for code, msg, _ in sorted(new))))
            continue
        batch.candidate = trial
        batch.accepted.append(proposal)
    return batch


def added_problems(rt: Runtime, base: SerializedSpace, candidate: SerializedSpace) -> list[str]:
    """Validation errors `candidate` has that `base` does not (SQL executed with LIMIT 0): empty when valid."""
    cache: ExecutionCache = {}
    new = _problems(candidate, rt, execute=True, cache=cache) - _problems(base, rt, execute=True, cache=cache)
    return [f"{path}: {code}: {msg}" for code, msg, path in sorted(new.elements())]
