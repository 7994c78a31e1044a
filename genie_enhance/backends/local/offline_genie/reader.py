"""Reading a question: its tokens, the mentions found in them, its structural markers, and navigation helpers."""

from __future__ import annotations

from genie_enhance.backends.local.offline_genie.intent import Intent
from genie_enhance.backends.local.offline_genie.keywords import FILLERS
from genie_enhance.backends.local.offline_genie.markers import MarkerFinder
from genie_enhance.backends.local.offline_genie.mentions import Mention, find_mentions
from genie_enhance.backends.local.offline_genie.roles import RoleChooser
from genie_enhance.backends.local.offline_genie.vocabulary import Vocabulary
from genie_enhance.words import tokenize


class QuestionReader:
    """State shared by the parsing steps; `used` holds token positions some step has already read."""

    def __init__(self, question: str, vocab: Vocabulary) -> None:
        self.question = question
        self.vocab = vocab
        self.tokens = tokenize(question)
        self.mentions = find_mentions(self.tokens, vocab)
        self.markers = MarkerFinder(self.tokens, self.mentions).find()
        self.used = self.markers.used
        self.roles = RoleChooser(vocab, self.mentions)
        self.intent = Intent(question, focus=self.roles.focus)
        self.measure_mention: Mention | None = None  # the mention the measure was read from
        self._by_measure: Mention | None = None  # "top 5 X by <measure>"

    # ------------------------------------------------------------------ token helpers
    def low(self, i: int) -> str:
        return self.tokens[i].low if 0 <= i < len(self.tokens) else ""

    def covered(self, i: int) -> bool:
        return any(m.start <= i < m.end for m in self.mentions)

    def free(self, i: int) -> bool:
        return 0 <= i < len(self.tokens) and i not in self.used and not self.covered(i)

    def mention_at(self, i: int) -> Mention | None:
        return next((m for m in self.mentions if m.start == i), None)

    def next_mention(
        self, i: int, skip: set[str] = FILLERS, skip_kinds: tuple[str, ...] = (), numbers: bool = False
    ) -> Mention | None:
        """The first mention from position `i`, stepping over `skip` words, mentions of `skip_kinds` and (with
        `numbers`) numbers."""
        while i < len(self.tokens):
            m = self.mention_at(i)
            if m is not None:
                if m.kinds <= set(skip_kinds):
                    i = m.end
                    continue
                return m
            if self.low(i) not in skip and not (numbers and self.tokens[i].kind == "number"):
                return None
            i += 1
        return None

    def prev_mention(self, i: int, skip: set[str]) -> Mention | None:
        k = i - 1
        while k >= 0:
            m = next((m for m in self.mentions if m.end == k + 1), None)
            if m is not None:
                return m
            if self.low(k) not in skip:
                return None
            k -= 1
        return None
