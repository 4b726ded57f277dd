"""Content-addressed cache in an embedded SQLite store: model responses and grounded results.

``responses`` holds what a model answered for one chunk request; the key hashes everything
that determines it (model, messages, schema, mode, sampling settings, prompt and schema
versions) -- never the API key or the endpoint's credentials. ``results`` holds a document's
finished ``DocResult`` line, keyed by its text and everything that shapes the result
(:func:`llmx.pipeline.result_key`), so a cached re-run skips cleaning, prompting and grounding.
Each ``put`` is its own transaction: a run killed mid-way leaves no half-written entry.

A cache must never cost a document: a damaged database (truncated, garbage, bad pages) is
moved aside to ``cache.sqlite.corrupt-<time>`` and rebuilt; a place that cannot be written
(read-only, full) turns the cache off for the run. Either is said once, on one line.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

_TABLES = ("responses", "results")


def cache_key(**parts: Any) -> str:
    """Stable sha256 of the JSON-serialised parts (keys sorted, Chinese kept as is)."""
    blob = json.dumps(parts, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8", "surrogatepass")).hexdigest()


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _corrupt(exc: sqlite3.Error) -> bool:
    """Damaged file (not a database, malformed) as opposed to a place we cannot use."""
    return isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.OperationalError)


class ResponseCache:
    """``get``/``put`` of JSON-serialisable values (responses) and text (results) by key."""

    def __init__(self, path: str | Path, *, notice: Callable[[str], None] | None = None) -> None:
        self.path = Path(path)
        self.notice = notice or _stderr
        self.hits = 0
        self.misses = 0
        self._db: sqlite3.Connection | None = None
        self._rebuilt = False
        try:
            self._open()
        except (OSError, sqlite3.Error) as exc:
            self._recover(exc)

    @property
    def enabled(self) -> bool:
        return self._db is not None

    # -- opening and recovering ---------------------------------------------------------------

    def _open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # One connection used from the event-loop thread only; autocommit per statement.
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=10)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            for table in _TABLES:
                db.execute(
                    f"CREATE TABLE IF NOT EXISTS {table} ("
                    " key TEXT PRIMARY KEY, value TEXT NOT NULL, model TEXT, created REAL NOT NULL)"
                )
        except BaseException:
            db.close()
            raise
        self._db = db

    def _recover(self, exc: BaseException) -> None:
        """Move a damaged database aside and start afresh once; otherwise run without."""
        self.close()
        if isinstance(exc, sqlite3.Error) and _corrupt(exc) and not self._rebuilt:
            self._rebuilt = True
            aside = self.path.with_name(f"{self.path.name}.corrupt-{int(time.time())}")
            try:
                os.replace(self.path, aside)
                for side in ("-wal", "-shm"):
                    Path(f"{self.path}{side}").unlink(missing_ok=True)
                self._open()
                self.notice(
                    f"llmx: the cache {self.path} was damaged ({exc}); moved it to {aside.name} "
                    "and started a new one"
                )
                return
            except (OSError, sqlite3.Error) as again:
                self.close()
                exc = again
        what = getattr(exc, "strerror", None) or str(exc)
        self.notice(
            f"llmx: cannot use the cache {self.path} ({what}); running without it -- point "
            "--cache-dir (or LLMX_CACHE_DIR) at a writable folder, or pass --no-cache"
        )

    # -- use -----------------------------------------------------------------------------------

    def _read(self, table: str, key: str) -> str | None:
        if self._db is None:
            return None
        try:
            row = self._db.execute(f"SELECT value FROM {table} WHERE key = ?", (key,)).fetchone()
        except sqlite3.Error as exc:
            self._recover(exc)
            return None
        return None if row is None else str(row[0])

    def _write(self, table: str, key: str, value: str, model: str | None) -> None:
        if self._db is None:
            return
        try:
            self._db.execute(
                f"INSERT OR REPLACE INTO {table} (key, value, model, created) VALUES (?, ?, ?, ?)",
                (key, value, model, time.time()),
            )
        except UnicodeEncodeError:
            pass  # a lone surrogate in the text: this one entry is not cached
        except sqlite3.Error as exc:
            self._recover(exc)

    def get(self, key: str) -> Any | None:
        raw = self._read("responses", key)
        try:
            value = None if raw is None else json.loads(raw)
        except ValueError:
            value = None  # a damaged entry is a miss; the fresh response replaces it
        if value is None:
            self.misses += 1
            return None
        self.hits += 1
        return value

    def put(self, key: str, value: Any, *, model: str | None = None) -> None:
        self._write("responses", key, json.dumps(value, ensure_ascii=False), model)

    def get_result(self, key: str) -> str | None:
        """A finished document's result line, or None."""
        return self._read("results", key)

    def put_result(self, key: str, line: str, *, model: str | None = None) -> None:
        self._write("results", key, line, model)

    def responses(self) -> Iterator[tuple[str, Any, str | None, float]]:
        """Every readable response entry: (key, value, model, created) -- for cassettes."""
        if self._db is None:
            return
        rows = self._db.execute("SELECT key, value, model, created FROM responses ORDER BY key")
        for key, raw, model, created in rows.fetchall():
            try:
                yield str(key), json.loads(raw), model, float(created)
            except ValueError:
                continue  # a damaged entry: nothing to export

    def __len__(self) -> int:
        if self._db is None:
            return 0
        return int(self._db.execute("SELECT COUNT(*) FROM responses").fetchone()[0])

    def close(self) -> None:
        if self._db is not None:
            try:
                self._db.close()
            finally:
                self._db = None
