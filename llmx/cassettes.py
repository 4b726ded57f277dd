"""Cassettes: recorded model replies, one readable JSON file per chunk request.

``--record DIR`` saves what the endpoint answered for each chunk request -- every HTTP reply
in order (re-asks included), its token usage and latency -- under the request's cache key
(:func:`llmx.cache.cache_key`: model, messages, schema, mode, sampling, prompt and schema
versions). ``--replay DIR`` answers the same requests from those files with no network; the
replies go through the same decoding, validation, re-asks, grounding, merging and scoring as
live ones, so a replayed eval tests everything but the model.

A request that is not in the cassette is an explained failure: the file nearest to it (same
document and chunk first) is named with what differs -- model, prompt, schema, settings, or
the chunk itself. Nothing secret is written: the endpoint is kept as host and port only, and
every file's text passes through :func:`llmx.redaction.redact` (an echoed Authorization
header or ``?key=`` in a reply is masked).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from llmx.config import ConfigError
from llmx.redaction import redact

FORMAT = 1
LABEL_FILE = "cassette.json"  # optional: who recorded it, from which served model, when


class CassetteError(ConfigError):
    """A cassette folder cannot be used (missing, unreadable, a file that is not a cassette)."""


class CassetteMiss(Exception):
    """A request the cassette does not hold; the message says which and what differs."""


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True, slots=True)
class RequestFacts:
    """What determines one chunk request (its cache key) and where it came from."""

    key: str
    doc_id: str
    chunk: int
    task: str
    model: str
    prompt_version: str
    schema_version: str
    chunk_sha256: str  # the chunk's text
    context_sha256: str  # the previous chunk's tail shown as context
    system_sha256: str  # the rendered system message (templates, examples, field docs)
    user_sha256: str  # the rendered user message (template, text, context, quantity hints)
    schema_sha256: str
    settings: dict[str, Any] = field(default_factory=dict)  # mode, temperature, max_tokens...


def endpoint_host(url: str | None) -> str | None:
    """``host:port`` of an endpoint: no scheme, path, credentials or query."""
    if not url:
        return None
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        return f"{host}:{parts.port}" if parts.port else host
    except ValueError:
        return None


def _fields(obj: Any) -> dict[str, Any]:
    """A dataclass's fields as a dict: ``asdict`` without its deep copy, which cost more than
    the rest of an entry on every cached request (the dict is serialized at once)."""
    return {name: getattr(obj, name) for name in obj.__dataclass_fields__}


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text)[:60].strip("._") or "doc"


@dataclass(slots=True)
class Exchange:
    """One HTTP answer: a 2xx body (parsed JSON, or text when it is not JSON), an error
    status with the server's message, or a reply refused as too large."""

    status: int
    body: Any = None
    body_text: str | None = None
    message: str | None = None
    too_large: str | None = None
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in _fields(self).items() if v is not None}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Exchange:
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**known)

    def raw(self) -> bytes:
        if self.body_text is not None:
            return self.body_text.encode("utf-8", "surrogatepass")
        return json.dumps(self.body, ensure_ascii=False).encode("utf-8")


@dataclass(slots=True)
class Entry:
    """One cassette file."""

    path: Path
    facts: RequestFacts
    exchanges: list[Exchange]
    error: dict[str, Any] | None  # a chunk lost to transport faults: replayed as that error
    seconds: float
    recorded_at: str
    usage: dict[str, int] = field(default_factory=dict)


def _read_entry(path: Path) -> Entry:
    try:
        data = json.loads(path.read_text("utf-8"))
        if data.get("cassette") != FORMAT:
            raise ValueError(f"not a cassette file of format {FORMAT}")
        facts = RequestFacts(**data["request"])
        return Entry(
            path,
            facts,
            [Exchange.from_json(x) for x in data.get("exchanges", [])],
            data.get("error"),
            float(data.get("seconds", 0.0)),
            str(data.get("recorded_at", "")),
            dict(data.get("usage") or {}),
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CassetteError(f"{path}: cannot read cassette file ({exc})") from None


def _differences(want: RequestFacts, have: RequestFacts) -> list[str]:
    """What separates two requests, in words (empty: same in every recorded respect)."""
    out: list[str] = []
    if want.chunk_sha256 != have.chunk_sha256:
        out.append("chunk text")
    elif want.context_sha256 != have.context_sha256:
        out.append("chunk context (the previous chunk's tail)")
    if want.model != have.model:
        out.append(f"model ({have.model!r} recorded, {want.model!r} now)")
    if want.prompt_version != have.prompt_version or want.system_sha256 != have.system_sha256:
        out.append(
            f"prompt (prompt_version {have.prompt_version} recorded, {want.prompt_version} now)"
        )
    elif want.user_sha256 != have.user_sha256 and (want.chunk_sha256, want.context_sha256) == (
        have.chunk_sha256,
        have.context_sha256,
    ):
        out.append("prompt (the rendered user message; e.g. quantity hints)")
    if want.schema_version != have.schema_version or want.schema_sha256 != have.schema_sha256:
        out.append(f"schema ({have.schema_version} recorded, {want.schema_version} now)")
    changed = [
        f"{k} {have.settings.get(k)!r} → {want.settings.get(k)!r}"
        for k in sorted(set(want.settings) | set(have.settings))
        if want.settings.get(k) != have.settings.get(k)
    ]
    if changed:
        out.append("settings (" + ", ".join(changed) + ")")
    return out


class Cassette:
    """A folder of recorded requests, opened to ``record`` into or ``replay`` from."""

    def __init__(self, directory: str | Path, mode: str) -> None:
        if mode not in ("record", "replay"):
            raise ValueError(f"cassette mode must be record or replay, not {mode!r}")
        self.directory = Path(directory)
        self.mode = mode
        self.entries: dict[str, Entry] = {}
        self.used: set[str] = set()
        self.misses: list[str] = []
        self._lock = threading.Lock()
        if mode == "replay":
            if not self.directory.is_dir():
                raise CassetteError(f"no cassette folder {self.directory}")
            for entry in load_entries(self.directory):
                self.entries[entry.facts.key] = entry
            if not self.entries:
                raise CassetteError(f"{self.directory} holds no cassette files (*.json)")
        else:
            try:
                self.directory.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise CassetteError(f"cannot create {self.directory}: {exc.strerror}") from None

    def sole_model(self) -> str | None:
        """The model every entry was recorded from, if there is exactly one."""
        models = {e.facts.model for e in self.entries.values()}
        return models.pop() if len(models) == 1 else None

    # -- replay ----------------------------------------------------------------------------

    def lookup(self, facts: RequestFacts) -> Entry:
        entry = self.entries.get(facts.key)
        if entry is None:
            message = self.explain(facts)
            self.misses.append(message)
            raise CassetteMiss(message)
        self.used.add(facts.key)
        return entry

    def explain(self, facts: RequestFacts) -> str:
        where = f"{facts.doc_id} chunk {facts.chunk + 1}"
        head = f"cassette miss: no recorded reply for {where} (request {facts.key[:12]}) in " + str(
            self.directory
        )

        def distance(e: Entry) -> tuple[int, int, int]:
            same_text = e.facts.chunk_sha256 == facts.chunk_sha256
            same_place = (e.facts.doc_id, e.facts.chunk) == (facts.doc_id, facts.chunk)
            return (int(not same_text), len(_differences(facts, e.facts)), int(not same_place))

        nearest = min(self.entries.values(), key=distance, default=None)
        if nearest is None:
            return head + " (the cassette is empty)"
        diffs = _differences(facts, nearest.facts) or ["the request body in a respect not named"]
        what = f"{nearest.facts.doc_id} chunk {nearest.facts.chunk + 1}"
        if nearest.facts.chunk_sha256 != facts.chunk_sha256:
            return (
                f"{head}; no recorded request has this chunk's text (the document is new or "
                f"was cleaned or chunked differently); nearest: {nearest.path.name} ({what}), "
                f"which differs in: {'; '.join(diffs)}"
            )
        return (
            f"{head}; nearest recorded request {nearest.path.name} ({what}) differs in: "
            + "; ".join(diffs)
        )

    def player(self, entry: Entry) -> Callable[[bytes], Awaitable[bytes]]:
        """A stand-in for ``Transport.post`` that answers with the entry's replies in order."""
        from llmx.providers.transport import HTTPStatusError, ReplyTooLarge

        replies: Iterator[Exchange] = iter(entry.exchanges)

        async def post(_body: bytes) -> bytes:
            reply = next(replies, None)
            if reply is None:
                raise CassetteMiss(
                    f"cassette miss: {entry.path.name} holds {len(entry.exchanges)} replies "
                    f"for {entry.facts.doc_id} chunk {entry.facts.chunk + 1} and the replay "
                    "asked for more (a re-ask or retry the recording did not make)"
                )
            if reply.too_large is not None:
                raise ReplyTooLarge(reply.too_large)
            if reply.status >= 400:
                raise HTTPStatusError(reply.status, reply.message or "", {})
            return reply.raw()

        return post

    # -- record ----------------------------------------------------------------------------

    def write(self, data: dict[str, Any]) -> Path:
        """Write one entry (as :func:`entry_json` builds it), secrets masked, atomically."""
        facts = RequestFacts(**data["request"])
        text = redact(json.dumps(data, ensure_ascii=False, indent=1)) + "\n"
        name = f"{_slug(facts.doc_id)}.c{facts.chunk:03d}.{facts.key[:12]}.json"
        path = self.directory / name
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=self.directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        with self._lock:
            self.used.add(facts.key)
        return path


def entry_json(
    facts: RequestFacts,
    exchanges: list[Exchange],
    *,
    endpoint: str | None,
    usage: dict[str, int],
    error: dict[str, Any] | None = None,
    llmx_version: str = "",
    recorded_at: str | None = None,
) -> dict[str, Any]:
    """One cassette file's content (also kept in the response cache, for ``from-cache``)."""
    return {
        "cassette": FORMAT,
        "key": facts.key,
        "recorded_at": recorded_at or datetime.now(UTC).isoformat(timespec="seconds"),
        "model": facts.model,
        "endpoint": endpoint_host(endpoint),
        "llmx_version": llmx_version,
        "prompt_version": facts.prompt_version,
        "schema_version": facts.schema_version,
        "request": _fields(facts),
        "usage": usage,
        "seconds": round(sum(x.seconds for x in exchanges), 4),
        "exchanges": [x.to_json() for x in exchanges],
        "error": error,
    }


def recorder(
    post: Callable[[bytes], Awaitable[bytes]], *, readable: bool = True
) -> tuple[Callable[[bytes], Awaitable[bytes]], list[Exchange]]:
    """``post`` wrapped to keep every HTTP answer a replay needs (2xx replies, refusals,
    errors that are not retried); transport faults and retried statuses are not kept.
    ``readable``: parse each reply body into JSON for the file (the response cache keeps the
    text instead: no second parse per request on the hot path; see :func:`readable`)."""
    from llmx.providers.transport import HTTPStatusError, ReplyTooLarge

    kept: list[Exchange] = []

    async def recording(body: bytes) -> bytes:
        started = time.perf_counter()
        try:
            raw = await post(body)
        except HTTPStatusError as exc:
            if _kept_status(exc):
                kept.append(Exchange(exc.status, message=exc.message, seconds=_since(started)))
            raise
        except ReplyTooLarge as exc:
            kept.append(Exchange(200, too_large=str(exc), seconds=_since(started)))
            raise
        if readable:
            kept.append(_exchange(raw, _since(started)))
        else:
            text = raw.decode("utf-8", "surrogateescape")
            kept.append(Exchange(200, body_text=text, seconds=_since(started)))
        return raw

    return recording, kept


def readable(entry: dict[str, Any]) -> dict[str, Any]:
    """An entry whose reply bodies were kept as text, with the JSON ones parsed."""
    exchanges = []
    for x in entry.get("exchanges", []):
        text = x.get("body_text")
        try:
            body = None if text is None else json.loads(text)
        except ValueError:
            body = None  # not JSON: the text stays as it was
        if body is not None:
            x = {**{k: v for k, v in x.items() if k != "body_text"}, "body": body}
        exchanges.append(x)
    return {**entry, "exchanges": exchanges}


def _since(started: float) -> float:
    return round(time.perf_counter() - started, 4)


def _kept_status(exc: Any) -> bool:
    """A status the replay must see again: a refusal, or ``auto`` mode's format rejection --
    not a 429 / 5xx that was (or would be) retried."""
    from llmx.providers.openai_compat import _mode_rejection, _retryable_status

    return not _retryable_status(exc.status) or _mode_rejection(exc)


def _exchange(raw: bytes, seconds: float) -> Exchange:
    text = raw.decode("utf-8", "surrogateescape")
    try:
        return Exchange(200, body=json.loads(text), seconds=seconds)
    except ValueError:
        return Exchange(200, body_text=text, seconds=seconds)


def load_entries(directory: Path) -> list[Entry]:
    """Every cassette file under ``directory`` (the label file and temporary files aside)."""
    paths = sorted(
        p
        for p in directory.rglob("*.json")
        if p.name != LABEL_FILE and not p.name.startswith(".tmp-")
    )
    return [_read_entry(p) for p in paths]


def open_cassette(record: Path | None, replay: Path | None) -> Cassette | None:
    """The cassette settings name (``Settings`` already refuses record and replay at once)."""
    if replay is not None:
        return Cassette(replay, "replay")
    if record is not None:
        return Cassette(record, "record")
    return None
