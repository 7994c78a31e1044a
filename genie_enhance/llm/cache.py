"""Response cache: the same request (model, messages, temperature, reply schema) is answered once.

Entries live in memory and, with a `cache_dir`, as one JSON file per key (written atomically: temp file + rename,
so a crash never leaves a half-written entry). Only validated reply text is stored — never request headers, so
never the API key. An unreadable file is a miss, not an error.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from pathlib import Path
from typing import Any

from genie_enhance.fileio import atomic_write
from genie_enhance.llm.records import utc_now

log = logging.getLogger(__name__)


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def sha256_hex(value: Any) -> str:
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()


def cache_key(model: str, messages: list[dict[str, Any]], temperature: float, schema_name: str) -> str:
    return sha256_hex({"model": model, "messages": messages, "temperature": temperature, "schema": schema_name})


class ResponseCache:
    """Maps a request key to the reply text that validated for it."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory
        self._memory: dict[str, str] = {}
        self._lock = threading.Lock()
        if directory is not None:
            directory.mkdir(parents=True, exist_ok=True)

    def path(self, key: str) -> Path | None:
        return None if self.directory is None else self.directory / f"{key}.json"

    def get(self, key: str) -> str | None:
        with self._lock:
            if key in self._memory:
                return self._memory[key]
        path = self.path(key)
        if path is None or not path.exists():
            return None
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
            content = entry["content"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("ignoring unreadable LLM cache entry %s: %s", path, exc)
            return None
        if not isinstance(content, str):
            return None
        with self._lock:
            self._memory[key] = content
        return content

    def put(self, key: str, content: str, *, model: str, schema_name: str) -> None:
        with self._lock:
            self._memory[key] = content
        path = self.path(key)
        if path is None:
            return
        entry = {"key": key, "model": model, "schema": schema_name, "content": content, "stored_at": utc_now().isoformat()}
        atomic_write(path, json.dumps(entry, ensure_ascii=False, indent=1))

    def discard(self, key: str) -> None:
        """Forget an entry (used when cached text no longer validates against its schema)."""
        with self._lock:
            self._memory.pop(key, None)
        path = self.path(key)
        if path is not None:
            path.unlink(missing_ok=True)
