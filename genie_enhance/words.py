"""The one word stemmer shared by the offline Genie and the heuristic proposer.

A phrase the proposer teaches (a synonym, a snippet name) must be read the same way when the offline Genie
matches questions against it, so both sides stem with this function.
"""

from __future__ import annotations


def stem(word: str) -> str:
    """A naive singular of a word, lower-cased: categories→category, statuses→status, boxes→box, safaris→safari,
    orders→order (analysis, axis and short words such as "this" stay)."""
    w = word.lower()
    if len(w) <= 3 or not w.isalpha():
        return w
    if w.endswith("ies") and len(w) > 4:
        return w[:-3] + "y"
    if w.endswith(("sses", "uses", "ches", "shes", "xes", "zes")):
        return w[:-2]
    if w.endswith(("ss", "us", "sis", "xis")) or (w.endswith("is") and len(w) <= 5):
        return w
    return w[:-1] if w.endswith("s") else w
