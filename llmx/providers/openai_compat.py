"""Schema-constrained extraction from any OpenAI-compatible endpoint.

- ``transport.py`` speaks HTTP: one aiohttp pool sized to the concurrency, a total deadline
  per request (``timeout``), a cap on the reply size.
- ``structured.py`` holds instructor's request shape per mode (serialised once per task),
  validates replies in one pass and formats re-asks with instructor.
- Here: retries of transport faults -- 429 (honouring Retry-After), 5xx, timeouts, resets --
  with bounded exponential backoff and jitter; re-asks after invalid output; usage summed over
  every attempt; ``auto`` mode dropping the first mode a server rejects; identical requests in
  flight sent once; and the run stopped (:class:`FatalEndpointError`) where retrying cannot
  help: a rejected key (401/403), a wrong path or model (404), nothing listening, or a circuit
  breaker after a run of chunks that failed for transport reasons with no answer in between.
- Output cut at ``max_tokens`` is ``truncated``; ``content_filter`` is its own error; neither is
  retried.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from llmx._version import __version__
from llmx.cache import ResponseCache, cache_key
from llmx.cassettes import (
    Cassette,
    CassetteMiss,
    Exchange,
    RequestFacts,
    entry_json,
    open_cassette,
    recorder,
    sha256_text,
)
from llmx.config import Settings
from llmx.core.documents import Chunk, Document
from llmx.core.results import Usage
from llmx.prompting import render_messages
from llmx.providers import structured as so
from llmx.providers.base import ChunkError, ChunkOutput
from llmx.providers.guard import EndpointGuard
from llmx.providers.singleflight import SingleFlight
from llmx.providers.transport import (
    DeadlineExceeded,
    HTTPStatusError,
    ReplyTooLarge,
    Transport,
    TransportError,
    endpoint_base_url,
    reply_cap,
)
from llmx.quantities import find_quantities
from llmx.redaction import redact
from llmx.tasks import Task

MODE_ORDER = ("json_schema", "tools", "json", "md_json")
_FORMAT_WORDS = re.compile(r"response_format|json_schema|json_object|tool|grammar|schema", re.I)


@dataclass
class _Attempts:
    """Per-chunk accounting across every HTTP attempt."""

    usage: Usage = field(default_factory=Usage)  # usage.requests counts HTTP attempts
    transport_faults: int = 0
    parse_faults: int = 0


class _ModeRejected(Exception):
    """The server refused this mode's request format while ``auto`` mode is still probing."""

    def __init__(self, mode: str, why: str) -> None:
        super().__init__(why)
        self.mode = mode


def _retryable_status(status: int) -> bool:
    return status in (408, 409, 429) or status >= 500


def _mode_rejection(exc: HTTPStatusError) -> bool:
    """A server saying it does not support the request's output format."""
    if exc.status in (400, 415, 422, 501):
        return True
    return exc.status == 500 and bool(_FORMAT_WORDS.search(exc.message))


def _retry_after(exc: BaseException) -> float | None:
    if not isinstance(exc, HTTPStatusError):
        return None
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = exc.headers.get(name)
        if value:
            try:
                return max(0.0, float(value) * scale)
            except ValueError:
                return None  # an HTTP-date; fall back to backoff
    return None


def _status_type(status: int) -> tuple[str, bool]:
    if status == 429:
        return "rate_limited", True
    if status >= 500 or status in (408, 409):
        return "server_error", True
    return "bad_request", False


class LLMBackend:
    """Extract records from a chunk through an OpenAI-compatible chat-completions endpoint."""

    name = "llm"

    def __init__(self, settings: Settings, cache: ResponseCache | None = None) -> None:
        # Replies recorded to / replayed from a cassette (llmx/cassettes.py); a replay with
        # no model named uses the one model its cassette was recorded from.
        self.cassette: Cassette | None = open_cassette(settings.record, settings.replay)
        model = settings.model
        if not model and self.cassette is not None and self.cassette.mode == "replay":
            model = self.cassette.sole_model()
        if not model:
            raise ValueError("no model configured: set LLMX_MODEL or pass --model")
        self.settings = settings
        self.model: str | None = model
        self.request_seconds: list[float] = []  # per chunk request (recorded ones on replay)
        self._digests: dict[tuple[str, str, str], tuple[str, str]] = {}
        self.max_chunk_chars: int | None = settings.chunk_chars
        self.cache = cache
        self._transport = Transport(
            endpoint_base_url(settings),
            settings.resolved_api_key(),
            concurrency=settings.concurrency,
            deadline=settings.timeout,
            max_reply_bytes=reply_cap(settings.max_tokens),
        )
        self.url = self._transport.shown_url.rstrip("/")
        self._wrapped: dict[type[BaseModel], type[BaseModel]] = {}
        self._templates: dict[tuple[str, str, str], so.RequestTemplate] = {}
        self._modes = list(MODE_ORDER) if settings.mode == "auto" else [settings.mode]
        self._proven: set[str] = set()
        self._flights: SingleFlight[ChunkOutput] = SingleFlight()
        self._guard = EndpointGuard(
            self.url,
            key_env=settings.api_key_env,
            model=self.model,
            breaker_at=max(3, settings.concurrency),
        )
        self.mode_notes: list[str] = []
        # Told of each 429 about to be retried (with the wait), so a limiter shared by many
        # workers can slow all of them down (set by the pipeline from its limiter).
        self.on_rate_limited: Callable[[float], None] | None = None

    def current_mode(self) -> str:
        return self._modes[0]

    def _probing(self) -> bool:
        """True while ``auto`` mode has not yet seen the server accept any mode."""
        return self.settings.mode == "auto" and not self._proven

    # -- one chunk -------------------------------------------------------------------------

    async def extract_chunk(self, task: Task, chunk: Chunk, doc: Document) -> ChunkOutput:
        self._guard.check()
        quantities = None
        if self.settings.show_quantities:
            quantities = list(
                dict.fromkeys(q.text for q in find_quantities(chunk.text) if q.is_reported_amount)
            )
        messages = render_messages(task, chunk, quantities=quantities)
        key = ""
        if self.cache is not None or self.cassette is not None:
            key = cache_key(
                model=self.model,
                messages=messages,
                schema=task.json_schema,
                mode=self.settings.mode,
                temperature=self.settings.temperature,
                max_tokens=self.settings.max_tokens,
                prompt_version=task.prompt_version,
                schema_version=task.schema_version,
            )
        if self.cassette is not None:
            return await self._cassette_chunk(key, task, chunk, doc, messages)
        if self.cache is not None:
            hit = self.cache.get(key)
            if hit is not None:
                return ChunkOutput(records=hit["records"], cached=True, mode=hit["mode"])
        # Identical requests in flight at once (a duplicated article) are sent once.
        flight = (task.name, *(str(m["content"]) for m in messages))
        # The cache keeps the replies themselves too, so a cassette can be made from it.
        post: Callable[[bytes], Awaitable[bytes]] = self._transport.post
        kept: list[Exchange] = []
        if self.cache is not None:
            post, kept = recorder(self._transport.post, readable=False)
        try:
            out, sent = await self._flights.run(flight, lambda: self._extract(task, messages, post))
        except ChunkError as exc:
            if exc.leader is not asyncio.current_task():  # another caller's request failed:
                raise exc.copy_without_usage() from None  # its usage is counted there
            raise
        if not sent:  # another caller's request: no usage of its own
            return ChunkOutput(records=out.records, cached=True, mode=out.mode)
        if self.cache is not None:
            facts = self._facts(key, task, chunk, doc, messages)
            reply = self._entry(facts, kept, out.usage)
            value = {"records": out.records, "mode": out.mode, "cassette": reply}
            self.cache.put(key, value, model=self.model)
        return out

    # -- cassettes: the recorded replies stand in for the transport, nothing else changes ------

    def _facts(
        self, key: str, task: Task, chunk: Chunk, doc: Document, messages: list[dict[str, Any]]
    ) -> RequestFacts:
        s = self.settings
        digests = (task.name, task.prompt_version, task.schema_version)
        fixed = self._digests.get(digests)
        if fixed is None:  # the system message and schema are the same for every chunk
            fixed = (
                sha256_text(str(messages[0]["content"])),
                sha256_text(json.dumps(task.json_schema, sort_keys=True)),
            )
            self._digests[digests] = fixed
        return RequestFacts(
            key=key,
            doc_id=doc.id,
            chunk=chunk.index,
            task=task.name,
            model=self.model or "",
            prompt_version=task.prompt_version,
            schema_version=task.schema_version,
            chunk_sha256=sha256_text(chunk.text),
            context_sha256=sha256_text(chunk.context),
            system_sha256=fixed[0],
            user_sha256=sha256_text(str(messages[-1]["content"])),
            schema_sha256=fixed[1],
            settings={
                "mode": s.mode,
                "temperature": s.temperature,
                "max_tokens": s.max_tokens,
                "show_quantities": s.show_quantities,
            },
        )

    async def _cassette_chunk(
        self, key: str, task: Task, chunk: Chunk, doc: Document, messages: list[dict[str, Any]]
    ) -> ChunkOutput:
        assert self.cassette is not None
        facts = self._facts(key, task, chunk, doc, messages)
        if self.cassette.mode == "replay":
            try:
                return await self._replay(facts, task, messages)
            except CassetteMiss as miss:  # not recorded, or fewer replies than asked for
                raise ChunkError("cassette_miss", str(miss), retryable=False, usage=Usage(),
                                 attempts=0) from None  # fmt: skip
        post, kept = recorder(self._transport.post)
        started = time.perf_counter()
        try:
            out = await self._extract(task, messages, post)
        except ChunkError as exc:
            lost: dict[str, Any] | None = None
            if not kept:  # no answer to replay: the error itself is
                lost = {"type": exc.type, "message": str(exc), "retryable": exc.retryable,
                        "attempts": exc.attempts, "mode": exc.mode}  # fmt: skip
            self._save(facts, kept, exc.usage, lost)
            raise
        finally:
            self.request_seconds.append(round(time.perf_counter() - started, 4))
        self._save(facts, kept, out.usage, None)
        return out

    async def _replay(
        self, facts: RequestFacts, task: Task, messages: list[dict[str, Any]]
    ) -> ChunkOutput:
        assert self.cassette is not None
        entry = self.cassette.lookup(facts)
        self.request_seconds.append(entry.seconds)
        if entry.error is not None:  # lost to transport faults when recorded
            gone = entry.error
            raise ChunkError(
                gone["type"], gone["message"], retryable=bool(gone.get("retryable", True)),
                usage=Usage(**entry.usage), attempts=int(gone.get("attempts", 0)),
                mode=gone.get("mode"),
            )  # fmt: skip
        return await self._extract(task, messages, self.cassette.player(entry))

    def _save(
        self, facts: RequestFacts, kept: list[Any], usage: Usage, lost: dict[str, Any] | None
    ) -> None:
        assert self.cassette is not None
        self.cassette.write(self._entry(facts, kept, usage, lost))

    def _entry(
        self, facts: RequestFacts, kept: list[Any], usage: Usage, lost: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """One cassette entry of this backend's request: for a cassette file or the cache."""
        return entry_json(
            facts, kept, endpoint=self.url, usage=usage.model_dump(), error=lost,
            llmx_version=__version__,
        )  # fmt: skip

    async def _extract(
        self,
        task: Task,
        messages: list[dict[str, Any]],
        post: Callable[[bytes], Awaitable[bytes]] | None = None,
    ) -> ChunkOutput:
        attempts = _Attempts()
        warnings: list[str] = []
        while True:
            mode = self.current_mode()
            try:
                parsed = await self._request(task, messages, mode, attempts, post)
            except _ModeRejected as rejected:
                note = f"mode {mode} rejected by the server ({rejected}); using "
                if self._modes[0] == mode:  # concurrent chunks may have moved on already
                    self._modes.pop(0)
                    self.mode_notes.append(note + self._modes[0])
                warnings.append(note + self.current_mode())
                continue
            except ChunkError as exc:
                exc.usage, exc.attempts, exc.mode = attempts.usage, attempts.usage.requests, mode
                exc.leader = asyncio.current_task()
                self._guard.on_chunk_lost(exc.type, str(exc))
                raise
            finally:
                self._guard.release()  # whatever became of the first request, the rest may go
            self._proven.add(mode)
            return ChunkOutput(
                records=parsed.model_dump(mode="json"),
                usage=attempts.usage,
                attempts=attempts.usage.requests,
                mode=mode,
                warnings=warnings,
            )

    def _template(
        self, task: Task, mode: str, messages: list[dict[str, Any]]
    ) -> so.RequestTemplate:
        head = messages[:-1]
        key = (mode, task.name, "".join(str(m["content"]) for m in head))
        template = self._templates.get(key)
        if template is None:
            model = task.response_model
            if model not in self._wrapped:
                self._wrapped[model] = so.wrap_model(model)
            template = so.RequestTemplate(
                self._wrapped[model],
                mode,
                head,
                model=self.model,
                temperature=self.settings.temperature,
                max_tokens=self.settings.max_tokens,
            )
            self._templates[key] = template
        return template

    async def _request(
        self,
        task: Task,
        messages: list[dict[str, Any]],
        mode: str,
        attempts: _Attempts,
        post: Callable[[bytes], Awaitable[bytes]] | None = None,
    ) -> BaseModel:
        """One chunk in one mode: send, retry transport faults, re-ask invalid output."""
        post = post or self._transport.post
        template = self._template(task, mode, messages)
        user = str(messages[-1]["content"])
        body = template.body(user)
        kwargs: dict[str, Any] | None = None  # built only when a re-ask changes the request
        s = self.settings
        while True:
            await self._guard.admit()
            attempts.usage.requests += 1
            try:
                raw = await post(body)
            except (TransportError, HTTPStatusError) as exc:
                self._guard.on_fault(exc)
                if self._rejects_mode(exc):
                    raise _ModeRejected(mode, str(exc)) from None  # gate stays: next mode
                self._guard.release()
                retryable = not isinstance(exc, HTTPStatusError) or _retryable_status(exc.status)
                if retryable and attempts.transport_faults < s.max_retries:
                    attempts.transport_faults += 1
                    wait = self._wait(exc, attempts.transport_faults)
                    limited = isinstance(exc, HTTPStatusError) and exc.status == 429
                    if limited and self.on_rate_limited is not None:
                        self.on_rate_limited(wait)
                    await asyncio.sleep(wait)
                    continue
                raise self._error(exc) from None
            except ReplyTooLarge as exc:
                self._guard.on_answer()
                raise ChunkError(
                    "response_too_large", str(exc), retryable=False, usage=attempts.usage,
                    attempts=attempts.usage.requests,
                ) from None  # fmt: skip
            self._guard.on_answer()
            self._guard.release()
            reply: so.Reply | None = None
            try:
                reply = so.decode(raw)
                usage = attempts.usage
                usage.prompt_tokens += reply.usage[0]
                usage.completion_tokens += reply.usage[1]
                usage.total_tokens += reply.usage[2]
                return so.parse(reply, template)
            except so.Truncated:
                raise self._chunk_error(
                    "truncated",
                    "output truncated at max_tokens (finish_reason=length); raise --max-tokens",
                    attempts,
                ) from None
            except so.ContentFiltered:
                raise self._chunk_error(
                    "content_filter",
                    "the provider withheld the output (finish_reason=content_filter)",
                    attempts,
                ) from None
            except (so.InvalidOutput, ValidationError, ValueError) as exc:
                if attempts.parse_faults >= s.validation_retries:
                    message = f"{type(exc).__name__}: {str(exc)[:300]}"
                    raise self._chunk_error("invalid_output", message, attempts, True) from None
                attempts.parse_faults += 1
                if reply is None:
                    continue  # a garbled envelope: nothing to quote back, ask again
                base = kwargs if kwargs is not None else template.kwargs_for(user)
                asked = so.reask(base, template, reply, exc)
                if asked is not None:
                    kwargs, body = asked, so.encode(asked)

    def _rejects_mode(self, exc: Exception) -> bool:
        """While ``auto`` probes, a server refusing the output format: try the next mode."""
        return (
            isinstance(exc, HTTPStatusError)
            and _mode_rejection(exc)
            and self._probing()
            and len(self._modes) > 1
        )

    def _wait(self, exc: BaseException, faults: int) -> float:
        cap = self.settings.max_backoff
        hinted = _retry_after(exc)
        if hinted is not None:
            return min(hinted, cap)
        return random.uniform(0, min(cap, 0.5 * 2**faults))  # full jitter

    # -- errors ----------------------------------------------------------------------------

    @staticmethod
    def _chunk_error(
        type_: str, message: str, attempts: _Attempts, retryable: bool = False
    ) -> ChunkError:
        return ChunkError(
            type_, redact(message), retryable=retryable, usage=attempts.usage,
            attempts=attempts.usage.requests,
        )  # fmt: skip

    def _error(self, exc: TransportError | HTTPStatusError) -> ChunkError:
        if isinstance(exc, HTTPStatusError):
            type_, retryable = _status_type(exc.status)
        elif isinstance(exc, DeadlineExceeded):
            type_, retryable = "timeout", True
        else:
            type_, retryable = "connection", True
        return ChunkError(type_, redact(str(exc)), retryable=retryable, usage=Usage(), attempts=0)

    async def aclose(self) -> None:
        await self._transport.aclose()
