"""Content-addressed response cache in an embedded SQLite store.

The key hashes everything that determines a response (model, messages, schema, mode, sampling
settings, prompt and schema versions) -- never the API key or the endpoint's credentials.
Each ``put`` is its own transaction, so a run killed mid-way leaves every finished response
usable and no half-written entry.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from pathlib import Path
from typing import Any


def cache_key(**parts: Any) -> str:
    """Stable sha256 of the JSON-serialised parts (keys sorted, Chinese kept as is)."""
    blob = json.dumps(parts, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class ResponseCache:
    """``get``/``put`` of JSON-serialisable values by key."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # One connection used from the event-loop thread only; autocommit per statement.
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS responses ("
            " key TEXT PRIMARY KEY, value TEXT NOT NULL, model TEXT, created REAL NOT NULL)"
        )
        self.hits = 0
        self.misses = 0

    def get(self, key: str) -> Any | None:
        row = self._db.execute("SELECT value FROM responses WHERE key = ?", (key,)).fetchone()
        if row is None:
            self.misses += 1
            return None
        self.hits += 1
        return json.loads(row[0])

    def put(self, key: str, value: Any, *, model: str | None = None) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO responses (key, value, model, created) VALUES (?, ?, ?, ?)",
            (key, json.dumps(value, ensure_ascii=False), model, time.time()),
        )

    def __len__(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM responses").fetchone()[0])

    def close(self) -> None:
        self._db.close()
