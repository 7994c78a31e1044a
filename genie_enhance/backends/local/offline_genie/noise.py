"""Seeded wrong choices, so tests and benchmarks can exercise noise-aware acceptance.

`noise_rng` derives a generator from (seed, question, n-th asking), so a given run is exactly reproducible while
re-asking a question can give a different answer — like a real, non-deterministic Genie. `perturb` makes one
plausible mistake of the kind Genie makes: dropping a filter, choosing a neighbouring numeric column, using the
wrong aggregate, or losing a grouping.
"""

from __future__ import annotations

import hashlib
import random

from genie_enhance.backends.local.offline_genie.intent import Intent
from genie_enhance.backends.local.offline_genie.roles import is_key
from genie_enhance.core.required import required


def noise_rng(seed: int, question: str, nth: int) -> random.Random:
    digest = hashlib.sha256(f"{seed}\x1f{question}\x1f{nth}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def perturb(intent: Intent, rng: random.Random) -> str | None:
    """Apply one wrong choice to `intent` in place; returns what was changed (None if nothing could be)."""
    options: list[str] = []
    m = intent.measure
    if intent.conditions:
        options.append("drop_filter")
    if m is not None and m.column is not None and m.snippet is None:
        others = [c for c in m.table.columns.values() if c is not m.column and c.category == "number" and not is_key(c)]
        if others and m.column.category == "number":
            options.append("swap_column")
    if m is not None and m.agg in ("SUM", "AVG", "MIN", "MAX"):
        options.append("swap_aggregate")
    if intent.dims and m is not None and m.agg is not None:
        options.append("drop_grouping")
    if not options:
        return None
    choice = rng.choice(options)
    if choice == "drop_filter":
        intent.conditions.pop(rng.randrange(len(intent.conditions)))
    elif choice == "swap_column":
        m = required(m, "the measure")  # the option exists only with a measure
        others = [c for c in m.table.columns.values() if c is not m.column and c.category == "number" and not is_key(c)]
        m.column = rng.choice(others)
    elif choice == "swap_aggregate":
        m = required(m, "the measure")
        m.agg = rng.choice([a for a in ("SUM", "AVG", "MIN", "MAX") if a != m.agg])
    else:
        intent.dims.pop(rng.randrange(len(intent.dims)))
        if not intent.dims:
            intent.rank = None
    return choice
