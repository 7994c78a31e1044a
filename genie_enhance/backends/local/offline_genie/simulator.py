"""`OfflineGenie`: the embedded stand-in for Databricks Genie (implements the `Genie` protocol).

Answering order, as Genie does: a close enough example question reuses its (trusted) SQL; otherwise the question
is parsed into an intent against the space's vocabulary and rendered as SQL. A question the space cannot answer
gets a COMPLETED text-only answer (`sql=None`), as Genie replies in prose when it finds nothing to query.

Service behaviour for tests and benchmarks: `latency_ms` per answered question, `max_per_minute` (a sliding 60 s
window; beyond it the answer is FAILED / RATE_LIMIT_EXCEEDED / retryable and the question is not answered), and
`noise` (seeded probability of one wrong choice, deterministic per (seed, question, n-th asking)).
The compiled vocabulary is cached by the space's JSON hash, so a space provider that returns a changed space
(after fixes are applied) is recompiled exactly when its content changes. All methods are thread-safe.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass

from genie_enhance.backends.local.offline_genie.examples import Example, adapt_sql, compile_examples, find_example
from genie_enhance.backends.local.offline_genie.intent import Intent
from genie_enhance.backends.local.offline_genie.noise import noise_rng, perturb
from genie_enhance.backends.local.offline_genie.question import parse_question
from genie_enhance.backends.local.offline_genie.sql_builder import Unrelatable, build_sql
from genie_enhance.backends.local.offline_genie.vocabulary import Vocabulary, build_vocabulary
from genie_enhance.core.protocols import AnswerStatus, GenieAnswer, Warehouse
from genie_enhance.core.required import required
from genie_enhance.space.io import space_to_json
from genie_enhance.space.model import SerializedSpace
from genie_enhance.sql import ensure_read_only

WINDOW_S = 60.0
CACHE_SIZE = 8


@dataclass
class Compiled:
    vocab: Vocabulary
    examples: list[Example]


class OfflineGenie:
    """A deterministic, config-driven text-to-SQL engine over a space and a warehouse."""

    def __init__(
        self,
        space: SerializedSpace | Callable[[], SerializedSpace],
        warehouse: Warehouse,
        *,
        latency_ms: float = 0,
        max_per_minute: float | None = None,
        noise: float = 0.0,
        seed: int = 0,
    ) -> None:
        if not 0.0 <= noise <= 1.0:
            raise ValueError(f"noise must be between 0 and 1, got {noise}")
        if max_per_minute is not None and max_per_minute < 0:
            raise ValueError(f"max_per_minute must be >= 0, got {max_per_minute}")
        self._space = space
        self.warehouse = warehouse
        self.latency_ms = latency_ms
        self.max_per_minute = max_per_minute
        self.noise = noise
        self.seed = seed
        self._lock = threading.Lock()
        self._compile_lock = threading.Lock()
        self._window: deque[float] = deque()
        self._asked: dict[str, int] = {}
        self._cache: OrderedDict[str, Compiled] = OrderedDict()
        self._static_key = "" if callable(space) else _content_key(space)

    # ------------------------------------------------------------------ service behaviour
    def _admit(self) -> bool:
        """Take a slot in the sliding one-minute window, or refuse when the window is full."""
        if self.max_per_minute is None:
            return True
        with self._lock:
            now = time.monotonic()
            while self._window and now - self._window[0] >= WINDOW_S:
                self._window.popleft()
            if len(self._window) >= self.max_per_minute:
                return False
            self._window.append(now)
            return True

    def _nth(self, question: str) -> int:
        with self._lock:
            n = self._asked.get(question, 0)
            self._asked[question] = n + 1
            return n

    def compiled(self) -> Compiled:
        """The vocabulary and examples of the current space (recompiled only when its JSON changes)."""
        if callable(self._space):
            space = self._space()
            key = _content_key(space)
        else:
            space, key = self._space, self._static_key
        with self._compile_lock:
            hit = self._cache.get(key)
            if hit is None:
                vocab = build_vocabulary(space, self.warehouse)
                hit = Compiled(vocab, compile_examples(space, vocab))
                self._cache[key] = hit
                while len(self._cache) > CACHE_SIZE:
                    self._cache.popitem(last=False)
            else:
                self._cache.move_to_end(key)
            return hit

    # ------------------------------------------------------------------ asking
    def ask(self, question: str) -> GenieAnswer:
        start = time.monotonic()
        if not self._admit():
            return GenieAnswer(
                question,
                status=AnswerStatus.FAILED,
                error=f"rate limit of {self.max_per_minute} questions per minute exceeded",
                error_type="RATE_LIMIT_EXCEEDED",
                retryable=True,
                latency_s=time.monotonic() - start,
            )
        if self.latency_ms:
            time.sleep(self.latency_ms / 1000.0)
        answer = self._answer(question, self._nth(question))
        answer.latency_s = time.monotonic() - start
        return answer

    def _answer(self, question: str, nth: int) -> GenieAnswer:
        compiled = self.compiled()
        rng = noise_rng(self.seed, question, nth)
        wrong = self.noise > 0 and rng.random() < self.noise
        meta: dict = {"nth": nth}
        match = find_example(question, compiled.examples, compiled.vocab)
        if match is not None and not wrong:
            sql = adapt_sql(match)
            if sql is not None:
                ensure_read_only(sql)
                example_question = match.example.question
                meta.update(source="example", example_question=example_question, similarity=round(match.similarity, 3))
                text = f'Adapted the trusted example "{example_question}".'
                return GenieAnswer(question, sql=sql, text=text, meta=meta)
        intent = parse_question(question, compiled.vocab)
        if intent.problem:
            return GenieAnswer(question, text=intent.problem, meta={**meta, "source": "none"})
        if wrong:
            meta["noise"] = perturb(intent, rng) or ("ignored_example" if match is not None else None)
        try:
            sql = build_sql(intent, compiled.vocab)
        except Unrelatable as exc:
            return GenieAnswer(question, text=str(exc), meta={**meta, "source": "none"})
        ensure_read_only(sql)
        meta["source"] = "generated"
        return GenieAnswer(question, sql=sql, text=_describe(intent), meta=meta)


def _content_key(space: SerializedSpace) -> str:
    return hashlib.sha256(space_to_json(space, indent=None).encode("utf-8")).hexdigest()


def _describe(intent: Intent) -> str:
    """A one-line summary of what the SQL computes."""
    if intent.measure is None:
        what = ", ".join(c.name for c in intent.select[:4]) + (" …" if len(intent.select) > 4 else "")
        return f"Here are the {what} rows from {required(intent.select_table, 'the listed table').short}."
    text = intent.measure.alias.replace("_", " ")
    if intent.dims:
        names = [d.alias or (d.column.name if d.column else d.table.short if d.table else "") for d in intent.dims]
        text += " by " + ", ".join(n.replace("_", " ") for n in names)
    if intent.rank is not None:
        text = f"{'top' if intent.rank.descending else 'bottom'} {intent.rank.limit}: {text}"
    return f"Here is the {text}."
