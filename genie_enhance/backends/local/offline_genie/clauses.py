"""Conditions (time, comparisons, stored values, filter snippets) and row listings of a parsed question."""

from __future__ import annotations

from genie_enhance.backends.local.offline_genie.intent import Condition, Measure
from genie_enhance.backends.local.offline_genie.keywords import COMPARISON_FILLERS, DISTINCT
from genie_enhance.backends.local.offline_genie.markers import Compare, negated
from genie_enhance.backends.local.offline_genie.mentions import Mention
from genie_enhance.backends.local.offline_genie.reader import QuestionReader
from genie_enhance.core.required import required


class ClauseReader(QuestionReader):
    """Adds the WHERE/HAVING conditions and the listing fallback to an intent whose measure is settled."""

    def _conditions(self) -> None:
        intent = self.intent
        for tf in self.markers.time:
            col = self.roles.date_column(tf.position, intent)
            if col is not None:
                intent.conditions.append(Condition(tf.kind, column=col, op=tf.op, values=tf.values))
        for cmp in self.markers.compares:
            cond = self._comparison(cmp)
            if cond is not None:
                intent.conditions.append(cond)
        values: dict[tuple[int, str], Condition] = {}  # (column, operator) → its condition: "Busan or Jeju" → IN
        for m in self.mentions:
            if m.used:
                continue
            if m.kinds == {"value"}:
                t = self.roles.choose(m, "value")
                op = "!=" if negated(self.tokens, m.start) else "="
                cond = values.get((id(t.column), op))
                if cond is not None:
                    cond.values.append(t.value)
                else:
                    values[(id(t.column), op)] = Condition("equals", column=t.column, op=op, values=[t.value])
                    intent.conditions.append(values[(id(t.column), op)])
                m.used = True
            elif m.first("filter") is not None:
                intent.conditions.append(Condition("snippet", snippet=required(m.first("filter"), "a filter target").snippet))
                m.used = True

    def _comparison(self, cmp: Compare) -> Condition | None:
        intent = self.intent
        before = self.prev_mention(cmp.start, COMPARISON_FILLERS)
        after = self.next_mention(cmp.end, {"in", "of", "the", "a", "an", "total"}, ())
        for m in (before, after):
            if m is None or m.kinds <= {"value", "filter"}:
                continue
            t = self.roles.choose(m, "compare")
            measure = intent.measure
            if m is self.measure_mention and measure is not None and measure.agg is not None and intent.dims:
                return Condition("compare", measure=measure, op=cmp.op, values=cmp.values)
            if t.kind == "measure":
                snippet_measure = Measure(t.tbl, "SNIPPET", snippet=t.snippet)
                return Condition("compare", measure=snippet_measure, op=cmp.op, values=cmp.values)
            if t.kind == "column" and t.col.category == "number":
                m.used = True
                return Condition("compare", column=t.column, op=cmp.op, values=cmp.values)
            if t.kind == "table" and m is after and intent.measure is not None and intent.dims:
                m.used = True
                return Condition("compare", measure=Measure(t.tbl, "COUNT"), op=cmp.op, values=cmp.values)
        col = self.roles.default_numeric(intent)
        return Condition("compare", column=col, op=cmp.op, values=cmp.values) if col is not None else None

    def _listing(self, dims: list[tuple[int, Mention]]) -> None:
        """No measure: list rows (the columns the question names, else every visible column of its table)."""
        intent = self.intent
        cols = []
        for m in self.mentions:
            t = self.roles.choose(m, "dim")
            if t.kind == "column" and (not m.used or any(m is d for _, d in dims)):
                cols.append(t.col)
                m.used = True
        intent.dims = []
        table = self.roles.main_table([])
        if cols:
            intent.select = list(dict.fromkeys(cols))
            intent.select_table = self.vocab.table_of(intent.select[0])
            owners = [self.vocab.table_of(c) for c in intent.select]
            labels = {id(t.key_column()) for t in owners} | {id(t.label_column()) for t in owners}
            # listing only attributes (no row key or name) asks for their different values
            asked_distinct = any(t.low in DISTINCT for t in self.tokens)
            intent.distinct = asked_distinct or all(id(c) not in labels for c in intent.select)
        elif table is not None:
            intent.select_table = table
            intent.select = list(table.columns.values())
        else:
            intent.problem = "I could not find what to show for this question in this space's tables."
