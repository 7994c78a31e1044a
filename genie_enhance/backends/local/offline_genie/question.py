"""Turn a question into an `Intent`: the measure, groupings, filters, ranking and time handling it asks for.

Roles are read from the words around each mention:
- aggregation words ("how many", "number of", "total", "average", "minimum" …) aggregate the mention after them;
- "by X", "per X", "for each X", "across X" group by X; "monthly", "by month" … truncate a date (time grain);
- "top/bottom N X by Y" and "which X has the most/highest Y" rank X by Y; a superlative without such a subject
  ("what is the highest Y") is MAX/MIN of Y;
- "over/more than/at least/under … N" compares the mention before the phrase (else the one after the number);
- years, months, quarters and ISO dates filter a date column; stored values (entity matching) and filter
  snippets become conditions.

When a mention could mean several things, `roles.RoleChooser.choose` decides (role fit first, then phrase
strength, the tables the question names or already uses, snippet use, space order).
"""

from __future__ import annotations

from genie_enhance.backends.local.offline_genie.clauses import ClauseReader
from genie_enhance.backends.local.offline_genie.intent import Dimension, Intent, Measure, Rank
from genie_enhance.backends.local.offline_genie.keywords import (
    AGGREGATES,
    DISTINCT,
    EARLIEST,
    FILLERS,
    GROUP_MARKERS,
    LATEST,
    LEAST,
    LIST_WORDS,
    MOST,
)
from genie_enhance.backends.local.offline_genie.mentions import Mention
from genie_enhance.backends.local.offline_genie.roles import is_key
from genie_enhance.backends.local.offline_genie.vocabulary import Vocabulary

_LINKS = {"with", "that", "having", "who", "whose", "which"}
_SUBJECT_STARTS = {"which", "what"}


class QuestionParser(ClauseReader):
    """Builds the measure, groupings and ranking; `ClauseReader` adds conditions and listings."""

    # ------------------------------------------------------------------ parse
    def parse(self) -> Intent:
        intent = self.intent
        if not self.mentions:
            intent.problem = "I could not find any table, column or value of this space in the question."
            return intent
        agg = self._aggregate()
        ranked = self._ranking()
        if agg is None and ranked is None:
            agg = self._superlative_aggregate()
        dims = self._groups(ranked is not None)
        if agg is not None and agg[1] is not None:
            intent.measure = self.roles.measure(agg[1], agg[0])
            self.measure_mention = agg[1]
        elif ranked is not None and ranked[1] is not None:
            intent.measure = self.roles.measure(ranked[1], ranked[2])
            self.measure_mention = ranked[1]
        if intent.measure is None:
            intent.measure = self._implicit_measure(dims, agg, ranked is not None)
        self._apply_ranking(ranked)
        self._apply_dims(dims)
        self._conditions()
        if intent.measure is None:
            self._listing(dims)
        return intent

    def _aggregate(self) -> tuple[str, Mention | None] | None:
        """The aggregation the question asks for and the mention it aggregates (None: no mention right after).

        An explicit word ("how many", "number of", "total", "average", "minimum", "earliest" …) wins over the
        vague "how much" (a sum), so "how much … on average" averages.
        """
        found: list[tuple[bool, int, str, int]] = []
        for i, tok in enumerate(self.tokens):
            if not self.free(i):
                continue
            agg, pos = None, i + 1
            if tok.low == "how" and self.low(i + 1) in ("many", "much"):
                agg, pos = ("COUNT" if self.low(i + 1) == "many" else "SUM"), i + 2
            elif tok.low == "number" and self.low(i + 1) == "of":
                agg, pos = "COUNT", i + 2
            elif tok.stem in AGGREGATES:
                agg = AGGREGATES[tok.stem]
            elif tok.low in EARLIEST | LATEST and self.tokens[i + 1 : i + 2] and self.tokens[i + 1].kind != "number":
                agg = "EARLIEST" if tok.low in EARLIEST else "LATEST"
            elif tok.low == "most" and self.low(i + 1) == "recent":
                agg, pos = "LATEST", i + 2
            if agg is not None:
                found.append((tok.low == "how" and self.low(i + 1) == "much", i, agg, pos))
        if not found:
            return None
        _, i, agg, pos = min(found, key=lambda f: (f[0], f[1]))
        while self.low(pos) in ("of", "the"):
            pos += 1
        if self.low(pos) in ("number", "count") and self.free(pos):
            agg, pos = "COUNT", pos + 1 + (self.low(pos + 1) == "of")
        if self.low(pos) in DISTINCT:
            agg = "COUNT_DISTINCT" if agg == "COUNT" else agg
            pos += 1
        self.used.update(range(i, pos))
        target = self.next_mention(pos, FILLERS | {"of", "number"}, ("value", "filter"))
        if target is None and agg in ("COUNT", "COUNT_DISTINCT"):
            target = next((m for m in self.mentions if m.first("table")), None)
        if target is None and agg in ("EARLIEST", "LATEST"):
            target = next((m for m in self.mentions if m.first("column", "table")), None)
        return agg, target

    def _superlative(self) -> tuple[int | None, Mention | None]:
        """Position of the first free superlative word, or of one inside a measure snippet's phrase
        ("most active"), with that measure."""
        sup = next((i for i, t in enumerate(self.tokens) if self.free(i) and t.low in MOST | LEAST), None)
        if sup is not None:
            return sup, None
        for m in self.mentions:
            if m.first("measure") is not None:
                inner = next((k for k in range(m.start, m.end) if self.low(k) in MOST | LEAST), None)
                if inner is not None:
                    return inner, m
        return None, None

    def _ranking(self) -> tuple[Mention | None, Mention | None, str | None] | None:
        """(subject, measure mention, aggregation) for top/bottom-N and superlative-with-subject questions."""
        mk = self.markers
        sup, sup_measure = self._superlative()
        if mk.rank_pos is None and sup is None:
            return None
        subject = None
        if mk.rank_pos is not None:
            subject = self.next_mention(mk.rank_pos, FILLERS, ("value", "filter"))
        measure, agg = None, None
        if sup is not None:
            if mk.rank_pos is None:
                mk.rank_desc = self.low(sup) in MOST
            if sup_measure is not None:
                measure, pos = sup_measure, sup_measure.end
            else:
                pos = sup + 1
                if self.tokens[pos : pos + 1] and self.tokens[pos].stem in AGGREGATES:
                    agg = AGGREGATES[self.tokens[pos].stem]
                    self.used.add(pos)
                    pos += 1
                if self.low(pos) in ("number", "count") and self.low(pos + 1) == "of":
                    agg, pos = "COUNT", pos + 2
                measure = self.next_mention(pos, FILLERS | {"of"}, ("value", "filter"))
            if subject is None:
                subject = self._superlative_subject(sup)
            if subject is None and (mk.rank_limit is not None or sup_measure is not None):
                after = measure.end if measure is not None else pos
                ahead = next((m for m in self.mentions if after <= m.start <= after + 2 and m is not measure), None)
                if ahead is not None and self._dim_like(ahead):
                    subject = ahead  # "the 5 most active channels"
                elif measure is not None and sup_measure is None and self._dim_like(measure):
                    subject, measure = measure, None
            if subject is None and mk.rank_pos is None:
                return None  # "what is the highest X": a MIN/MAX aggregate, not a ranking
            if mk.rank_limit is None:
                self._limit_before(sup)
            self.used.add(sup)
        if subject is not None:
            subject.used = True
        if measure is not None:
            measure.used = True
        return subject, measure, agg

    def _limit_before(self, sup: int) -> None:
        """"Which 3 regions have the fewest orders": a count before the superlative is the ranking's limit."""
        for i in range(sup):
            tok = self.tokens[i]
            n = tok.number
            if i not in self.used and tok.kind == "number" and not tok.is_year and n and n.is_integer():
                self.markers.rank_limit = int(n)
                self.used.add(i)
                return

    def _superlative_aggregate(self) -> tuple[str, Mention | None] | None:
        """"What is the highest/lowest X" (no subject to rank): MAX/MIN of X."""
        for i, tok in enumerate(self.tokens):
            if self.free(i) and tok.low in MOST | LEAST:
                self.used.add(i)
                target = self.next_mention(i + 1, FILLERS | {"of"}, ("value", "filter"))
                return ("MAX" if tok.low in MOST else "MIN"), target
        return None

    def _superlative_subject(self, sup: int) -> Mention | None:
        for i in range(sup):
            if self.low(i) in _SUBJECT_STARTS:
                m = self.next_mention(i + 1, FILLERS, ("value", "filter"), numbers=True)
                if m is not None and m.end <= sup and (m.first("table", "column", "expression")):
                    return m
        for k in range(sup - 1, max(-1, sup - 5), -1):
            if self.low(k) in _LINKS:
                m = self.prev_mention(k, {"the", "a", "an"})
                if m is not None and m.first("table", "column", "expression"):
                    return m
        return None

    def _groups(self, ranking: bool) -> list[tuple[int, Mention]]:
        """Mentions after "by/per/each/every/across", with "and"-joined continuations, in question order."""
        dims: list[tuple[int, Mention]] = []
        for i, tok in enumerate(self.tokens):
            if not self.free(i) or tok.stem not in GROUP_MARKERS:
                continue
            following = self.tokens[i + 1].stem if i + 1 < len(self.tokens) else ""
            if following in AGGREGATES or following == "number":
                continue  # "by number of orders": a ranking measure, read by `_by_measure`
            m = self.next_mention(i + 1, FILLERS - {"total"}, ("filter",))
            while m is not None and not m.used:
                if ranking and self._measure_like(m):
                    self._by_measure = m
                    break
                m.used = True
                dims.append((m.start, m))
                k = m.end + (1 if self.low(m.end) == "and" else 0)
                m = self.next_mention(k, {"the"}, ())
                if m is not None and not self._dim_like(m):
                    break
        return dims

    def _measure_like(self, m: Mention) -> bool:
        t = self.roles.choose(m, "measure")
        return t.kind == "measure" or (t.kind == "column" and t.col.category == "number" and not is_key(t.col))

    def _dim_like(self, m: Mention) -> bool:
        t = self.roles.choose(m, "dim")
        if t.kind in ("expression", "table"):
            return True
        return t.kind == "column" and (t.col.category != "number" or is_key(t.col))

    def _implicit_measure(
        self, dims: list[tuple[int, Mention]], agg: tuple[str, Mention | None] | None, ranked: bool
    ) -> Measure | None:
        """No mention right after an aggregation word: a measure snippet, else an expression snippet named outside a
        grouping, else a numeric column (both summed unless the question named another aggregation), else a row
        count (of what a filter/value restricts, else of the main table) when the question aggregates, groups or
        ranks."""
        word = agg[0] if agg is not None else None
        if self._by_measure is not None:
            self.measure_mention = self._by_measure
            return self.roles.measure(self._by_measure, word)
        by_number = self._by_count()
        if by_number is not None:
            return by_number
        for kind in ("measure", "expression", "column"):
            for m in self.mentions:
                if m.used or m.priority < 2 and kind == "column" and not dims:
                    continue
                t = self.roles.choose(m, "measure")
                if t.kind != kind or (kind == "column" and (t.col.category != "number" or is_key(t.col))):
                    continue
                if kind == "column" and self._listing_words() and not dims and self.markers.rank_pos is None:
                    continue  # "list orders with amount …": rows, not a sum
                self.measure_mention = m
                return self.roles.measure(m, word if word not in ("COUNT", "COUNT_DISTINCT") else None)
        if dims or ranked or self.markers.grain or self.markers.rank_pos is not None or agg is not None:
            restricted = next((m for m in self.mentions if not m.used and m.kinds & {"filter", "value"}), None)
            if restricted is not None and not self.roles.focus:
                return self.roles.measure(restricted, "COUNT")
            table = self.roles.main_table([m for _, m in dims])
            return Measure(table, "COUNT") if table is not None else None
        return None

    def _by_count(self) -> Measure | None:
        for i, tok in enumerate(self.tokens):
            if tok.low == "by" and self.low(i + 1) in ("number", "count") and i not in self.used:
                m = self.next_mention(i + 2, FILLERS | {"of"}, ("value", "filter"))
                if m is not None:
                    self.used.update({i, i + 1})
                    self.measure_mention = m
                    return self.roles.measure(m, "COUNT")
        return None

    def _listing_words(self) -> bool:
        return bool(self.tokens) and self.tokens[0].low in LIST_WORDS and all(t.low != "how" for t in self.tokens)

    def _apply_ranking(self, ranked: tuple[Mention | None, Mention | None, str | None] | None) -> None:
        mk, intent = self.markers, self.intent
        if ranked is None and mk.rank_pos is None:
            return
        subject = ranked[0] if ranked else None
        limit = mk.rank_limit
        if limit is None:
            plural = subject is not None and self.tokens[subject.end - 1].low != self.tokens[subject.end - 1].stem
            limit = 10 if plural and mk.rank_pos is not None else 1
        intent.rank = Rank(limit, mk.rank_desc)
        if subject is None or intent.measure is None:
            return
        dim = self.roles.dimension(subject, intent.measure)
        if dim is None:
            return
        m = intent.measure
        implicit_count = self.measure_mention is None and m.agg == "COUNT" and m.column is None and m.snippet is None
        if implicit_count and dim.column is not None and dim.column.table_key == m.table.key:
            # "top 10 posters": rank by the rows that reference them, as for a table subject (see roles)
            m.table = self.roles.referencing_table(m.table) or m.table
        own_column = dim.table is not None and m.column is not None and m.column.table_key == dim.table.key
        if own_column and m.snippet is None and (ranked is None or ranked[2] is None):
            m.agg = None  # "top 5 orders by amount": rank the rows themselves
        intent.dims.insert(0, dim)

    def _apply_dims(self, dims: list[tuple[int, Mention]]) -> None:
        intent = self.intent
        placed: list[tuple[int, Dimension]] = []
        for pos, m in dims:
            d = self.roles.dimension(m, intent.measure)
            if d is not None:
                placed.append((pos, d))
        if self.markers.grain:
            col = self.roles.date_column(self.markers.grain_pos, intent)
            if col is not None:
                placed.append((self.markers.grain_pos, Dimension(column=col, grain=self.markers.grain)))
        intent.dims.extend(d for _, d in sorted(placed, key=lambda p: p[0]))


def parse_question(question: str, vocab: Vocabulary) -> Intent:
    """The intent of one question against a compiled vocabulary."""
    return QuestionParser(question, vocab).parse()

