"""Join specs for the joins the expected SQL makes and the space lacks, typed by measuring the data.

Why measure: the relationship marker tells Genie whether joining repeats rows (a one-to-many join inflates sums and
counts), so it must be what the data is, not a guess from column names. Each side's key is probed for uniqueness
(COUNT(DISTINCT key) vs non-null COUNT): unique on the right only is MANY_TO_ONE, and so on. Sides keep the order
of the expected SQL (the table read first is the left side).
"""

from __future__ import annotations

from genie_enhance.core.required import required
from genie_enhance.proposers.heuristic.case import Candidate, FailureCase, Workbench
from genie_enhance.space.fixes import AddJoin, ColumnPair
from genie_enhance.space.fixes.join_sql import pair_key, spec_pair_keys


def existing_pairs(bench: Workbench) -> set:
    return set().union(*(spec_pair_keys(s) for s in bench.space.instructions.join_specs))


def propose_joins(case: FailureCase, bench: Workbench) -> list[Candidate]:
    found = []
    have = existing_pairs(bench)
    for left, right in case.expected.joins:
        if not (bench.in_space(left.table) and bench.in_space(right.table)):
            continue
        if pair_key(left.table, left.column, right.table, right.column) in have:
            continue
        relationship = bench.probe.relationship(left.table, left.column, right.table, right.column)
        if relationship is None:
            continue  # a key with no values cannot be typed: better no spec than a wrong one
        # a typed relationship was measured from both keys' values, so both have stats
        left_stats = required(bench.probe.stats(left.table, left.column), f"the stats of {left.short}")
        right_stats = required(bench.probe.stats(right.table, right.column), f"the stats of {right.short}")
        lt, rt = bench.identifier(left.table), bench.identifier(right.table)
        fix = AddJoin(
            left_table=lt, right_table=rt, on=[ColumnPair(left=left.column, right=right.column)],
            relationship=relationship,
            comment=f"{left.short} = {right.short} ({relationship.replace('_', ' ').lower()}, measured in the data)",
        )
        evidence = {
            "join": [left.short, right.short],
            "left_key": {"rows": left_stats.non_null, "distinct": left_stats.distinct},
            "right_key": {"rows": right_stats.non_null, "distinct": right_stats.distinct},
            "relationship": relationship,
        }
        found.append(Candidate(
            fix, "joins", f"join:{sorted([left.short, right.short])}", 0,
            f"expected SQL joins {left.short} = {right.short} but the space has no join spec for it; "
            f"{left.short} has {left_stats.distinct} distinct of {left_stats.non_null} values, "
            f"{right.short} {right_stats.distinct} of {right_stats.non_null} → {relationship}",
            "lets Genie relate the two tables",
            evidence,
        ))
    return found
