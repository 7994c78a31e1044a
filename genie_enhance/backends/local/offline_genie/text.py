"""Word lists of the question parser and example matching: stop words, month names, SQL number literals.

Everything compares *stems* (`genie_enhance.words`: the tokenizer the heuristic proposer uses too), so "orders"
meets `order_id` and "categories" meets `category`.
"""

from __future__ import annotations

from genie_enhance.words import tokenize

STOPWORDS = frozenset(
    """a an the of in on at for to from with and or is are was were be been being do does did what which who whom
    whose how many much list show me give display find tell all each every our my we i you there that this these
    those it its has have had their them they any as than into per by across over under its please can could would
    should will did get got s whats where when why also only just some one""".split()
)

MONTHS = {
    name: i + 1
    for i, names in enumerate(
        [("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",), ("june", "jun"),
         ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"), ("october", "oct"),
         ("november", "nov"), ("december", "dec")]
    )
    for name in names
}


def content_stems(text: str) -> set[str]:
    """The non-stopword stems of a text (for description and similarity matching)."""
    return {t.stem for t in tokenize(text) if t.kind == "word" and t.low not in STOPWORDS and t.stem not in STOPWORDS}


def format_number(value: float) -> str:
    """`100.0` → `100`, `2.5` → `2.5` (a SQL numeric literal)."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))
