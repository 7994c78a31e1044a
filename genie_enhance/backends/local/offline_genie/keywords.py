"""The structural words of a question (aggregations, grouping, ranking, comparisons, time) — schema-independent.

They are matched on token stems (see `text.stem`), so "averages"/"average" and "months"/"month" behave alike.
Weak vocabulary matches (one word of a column name, a description word) may not consume these words, otherwise a
column such as `total_amount` would swallow the "total" that asks for a sum.
"""

from __future__ import annotations

AGGREGATES = {
    "total": "SUM", "sum": "SUM", "average": "AVG", "avg": "AVG", "mean": "AVG", "count": "COUNT",
    "minimum": "MIN", "min": "MIN", "maximum": "MAX", "max": "MAX",
}
DISTINCT = {"distinct", "unique", "different"}
GROUP_MARKERS = {"by", "per", "each", "every", "across"}
GRAINS = {
    "day": "DAY", "daily": "DAY", "date": "DAY", "week": "WEEK", "weekly": "WEEK", "month": "MONTH",
    "monthly": "MONTH", "quarter": "QUARTER", "quarterly": "QUARTER", "year": "YEAR", "yearly": "YEAR",
    "annual": "YEAR", "annually": "YEAR",
}
GRAIN_ADJECTIVES = {"daily", "weekly", "monthly", "quarterly", "yearly", "annual", "annually"}
MOST = {"most", "highest", "largest", "biggest", "greatest", "best", "top", "maximum", "max"}
LEAST = {"least", "lowest", "smallest", "fewest", "worst", "bottom", "minimum", "min"}
EARLIEST = {"earliest", "first", "oldest"}
LATEST = {"latest", "last", "newest", "recent"}
RANK_WORDS = {"top": True, "bottom": False}
# comparison phrases (as stem tuples) → operator; longest first when matching
COMPARISONS: list[tuple[tuple[str, ...], str]] = sorted(
    [
        (("more", "than"), ">"), (("greater", "than"), ">"), (("higher", "than"), ">"), (("larger", "than"), ">"),
        (("over",), ">"), (("above",), ">"), (("exceeding",), ">"), (("exceed",), ">"), (("exceeds",), ">"),
        (("at", "least"), ">="), (("no", "less", "than"), ">="), (("minimum", "of"), ">="),
        (("less", "than"), "<"), (("fewer", "than"), "<"), (("lower", "than"), "<"), (("smaller", "than"), "<"),
        (("under",), "<"), (("below",), "<"), (("at", "most"), "<="), (("no", "more", "than"), "<="),
        (("maximum", "of"), "<="), (("up", "to"), "<="), (("equal", "to"), "="), (("exactly",), "="),
        (("between",), "between"),
    ],
    key=lambda item: -len(item[0]),
)
YEAR_PREPOSITIONS = {
    "in": "=", "during": "=", "for": "=", "of": "=", "on": "=", "since": ">=", "after": ">", "from": ">=",
    "before": "<", "until": "<=", "through": "<=", "prior": "<", "to": "<=",
}
LIST_WORDS = {"list", "show", "display", "give", "find", "name"}
FILLERS = {
    "the", "a", "an", "of", "each", "every", "all", "distinct", "unique", "different", "our", "my", "their", "its",
    "total", "overall", "individual",
}
COMPARISON_FILLERS = {
    "with", "is", "are", "was", "were", "of", "a", "an", "the", "that", "have", "has", "had", "where", "whose",
    "in", "worth", "value", "been", "be", "than", "total",
}

KEYWORDS = (
    set(AGGREGATES) | DISTINCT | GROUP_MARKERS | set(GRAINS) | MOST | LEAST | EARLIEST | LATEST
    | {w for phrase, _ in COMPARISONS for w in phrase} | {"how", "many", "much", "number", "top", "bottom"}
) - {"date"}
