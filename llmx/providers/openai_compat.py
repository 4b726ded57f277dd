"""Schema-constrained extraction from any OpenAI-compatible endpoint.

- ``openai.AsyncOpenAI`` speaks HTTP (its own retries off: tenacity owns them).
- ``instructor`` turns the task's Pydantic model into a request in the chosen mode
  (tools / json_schema / json / md_json), validates the reply and re-asks with the error.
- ``tenacity`` retries transport faults -- 429 (honouring Retry-After), 5xx, timeouts, resets --
  with bounded exponential backoff and jitter, inside the same loop, so usage is summed over
  every attempt.
- In ``auto`` mode the first mode a server rejects (a 4xx, or a 5xx that names the
  response format) is dropped for the rest of the run and the next one tried.
- Output cut at ``max_tokens`` (finish_reason=length) is reported as truncated, never retried.
"""

from __future__ import annotations

import asyncio
import contextvars
import re
from dataclasses import dataclass, field
from typing import Any

import instructor
import openai
from instructor.core.exceptions import IncompleteOutputException, InstructorRetryException
from pydantic import BaseModel
from tenacity import AsyncRetrying, RetryCallState
from tenacity.wait import wait_random_exponential

from llmx.cache import ResponseCache, cache_key
from llmx.config import Settings
from llmx.core.documents import Chunk, Document
from llmx.core.results import Usage
from llmx.prompting import render_messages
from llmx.providers.base import ChunkError, ChunkOutput
from llmx.quantities import find_quantities
from llmx.tasks import Task

MODE_ORDER = ("json_schema", "tools", "json", "md_json")
_INSTRUCTOR_MODES = {
    "json_schema": instructor.Mode.JSON_SCHEMA,
    "tools": instructor.Mode.TOOLS,
    "json": instructor.Mode.JSON,
    "md_json": instructor.Mode.MD_JSON,
}
_THINK = re.compile(r"<think>.*?</think>\s*", re.DOTALL)
_FORMAT_WORDS = re.compile(r"response_format|json_schema|json_object|tool|grammar|schema", re.I)


@dataclass
class _CallStats:
    """Per-call accounting, reached from instructor's hooks through a context variable."""

    usage: Usage = field(default_factory=Usage)  # usage.requests counts HTTP attempts
    transport_faults: int = 0
    parse_faults: int = 0


_STATS: contextvars.ContextVar[_CallStats] = contextvars.ContextVar("llmx_call_stats")


def _on_kwargs(*_args: Any, **_kwargs: Any) -> None:
    stats = _STATS.get(None)
    if stats is not None:
        stats.usage.requests += 1


def _on_response(response: Any) -> None:
    """Count usage of every reply, and strip ``<think>`` blocks before instructor parses."""
    stats = _STATS.get(None)
    usage = getattr(response, "usage", None)
    if stats is not None and usage is not None:
        stats.usage.add(
            Usage(
                prompt_tokens=usage.prompt_tokens or 0,
                completion_tokens=usage.completion_tokens or 0,
                total_tokens=usage.total_tokens or 0,
            )
        )
    for choice in getattr(response, "choices", None) or []:
        message = getattr(choice, "message", None)
        content = getattr(message, "content", None)
        if message is not None and isinstance(content, str) and "<think>" in content:
            message.content = _THINK.sub("", content)


def _is_transport_fault(exc: BaseException) -> bool:
    if isinstance(exc, openai.APITimeoutError | openai.APIConnectionError):
        return True
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code in (408, 409, 429) or exc.status_code >= 500
    return False


def _is_mode_rejection(exc: BaseException) -> bool:
    """A server saying it does not support the request's output format."""
    if not isinstance(exc, openai.APIStatusError):
        return False
    if exc.status_code in (400, 404, 415, 422, 501):
        return True
    return exc.status_code == 500 and bool(_FORMAT_WORDS.search(str(exc.message)))


def _retry_after(exc: BaseException | None) -> float | None:
    if not isinstance(exc, openai.APIStatusError):
        return None
    headers = exc.response.headers
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name)
        if value:
            try:
                return max(0.0, float(value) * scale)
            except ValueError:
                return None  # an HTTP-date; fall back to backoff
    return None


def _classify(exc: BaseException) -> tuple[str, bool]:
    """(error type, worth retrying later with --retry-failed)."""
    if isinstance(exc, IncompleteOutputException):
        return "truncated", False
    if isinstance(exc, openai.APITimeoutError):
        return "timeout", True
    if isinstance(exc, openai.APIConnectionError):
        return "connection", True
    if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
        return "auth", False
    if isinstance(exc, openai.RateLimitError):
        return "rate_limited", True
    if isinstance(exc, openai.APIStatusError):
        return ("server_error", True) if exc.status_code >= 500 else ("bad_request", False)
    return "invalid_output", True


def _describe(exc: BaseException) -> str:
    if isinstance(exc, IncompleteOutputException):
        return "output truncated at max_tokens (finish_reason=length); raise --max-tokens"
    if isinstance(exc, openai.APIStatusError):
        return f"HTTP {exc.status_code}: {str(exc.message)[:300]}"
    return f"{type(exc).__name__}: {str(exc)[:300]}"


class LLMBackend:
    """Extract records from a chunk through an OpenAI-compatible chat-completions endpoint."""

    name = "llm"

    def __init__(self, settings: Settings, cache: ResponseCache | None = None) -> None:
        if not settings.model:
            raise ValueError("no model configured: set LLMX_MODEL or pass --model")
        self.settings = settings
        self.model: str | None = settings.model
        self.max_chunk_chars: int | None = settings.chunk_chars
        self.cache = cache
        api_key = settings.resolved_api_key() or "not-needed"  # local servers ignore it
        self._http = openai.AsyncOpenAI(
            base_url=settings.base_url,
            api_key=api_key,
            timeout=settings.timeout,
            max_retries=0,  # tenacity owns retries
            http_client=_http_client(settings.concurrency),
        )
        self._wrapped: dict[type[BaseModel], type[BaseModel]] = {}
        self._modes = list(MODE_ORDER) if settings.mode == "auto" else [settings.mode]
        self._proven: set[str] = set()
        self._clients: dict[str, Any] = {}
        self.mode_notes: list[str] = []

    # -- plumbing ----------------------------------------------------------------------------

    def _client(self, mode: str) -> Any:
        if mode not in self._clients:
            client = instructor.from_openai(self._http, mode=_INSTRUCTOR_MODES[mode])
            client.on("completion:kwargs", _on_kwargs)
            client.on("completion:response", _on_response)
            self._clients[mode] = client
        return self._clients[mode]

    def _retrying(self, stats: _CallStats) -> AsyncRetrying:
        s = self.settings
        backoff = wait_random_exponential(multiplier=0.5, max=s.max_backoff)

        def should_retry(state: RetryCallState) -> bool:
            exc = state.outcome.exception() if state.outcome else None
            if exc is None or isinstance(exc, IncompleteOutputException):
                return False
            if _is_transport_fault(exc):
                if _is_mode_rejection(exc) and self._probing():
                    return False  # let extract_chunk fall back to the next mode instead
                stats.transport_faults += 1
                return stats.transport_faults <= s.max_retries
            if isinstance(exc, openai.APIError):
                return False  # 4xx other than 408/409/429: retrying cannot help
            stats.parse_faults += 1  # schema-invalid or malformed output: re-ask
            return stats.parse_faults <= s.validation_retries

        def wait(state: RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            if exc is None or not _is_transport_fault(exc):
                return 0.0  # a re-ask goes out at once
            hinted = _retry_after(exc)
            if hinted is not None:
                return min(hinted, s.max_backoff)
            return float(backoff(state))

        return AsyncRetrying(retry=should_retry, wait=wait, reraise=True)

    def _probing(self) -> bool:
        """True while ``auto`` mode has not yet seen the server accept any mode."""
        return self.settings.mode == "auto" and not self._proven

    def current_mode(self) -> str:
        return self._modes[0]

    # -- the call --------------------------------------------------------------------------

    async def extract_chunk(self, task: Task, chunk: Chunk, doc: Document) -> ChunkOutput:
        quantities = None
        if self.settings.show_quantities:
            quantities = list(
                dict.fromkeys(q.text for q in find_quantities(chunk.text) if q.is_metric)
            )
        messages = render_messages(task, chunk, quantities=quantities)
        key = ""
        if self.cache is not None:
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
            hit = self.cache.get(key)
            if hit is not None:
                return ChunkOutput(records=hit["records"], cached=True, mode=hit["mode"])

        stats = _CallStats()
        token = _STATS.set(stats)
        warnings: list[str] = []
        try:
            while True:
                mode = self.current_mode()
                try:
                    parsed = await self._call(self._wrap(task), messages, mode, stats)
                    self._proven.add(mode)
                    break
                except Exception as exc:
                    root = _root_cause(exc)
                    if _is_mode_rejection(root) and self._probing() and len(self._modes) > 1:
                        note = f"mode {mode} rejected by the server ({_describe(root)}); using "
                        if self._modes[0] == mode:  # concurrent chunks may have moved on already
                            self._modes.pop(0)
                            self.mode_notes.append(note + self._modes[0])
                        warnings.append(note + self.current_mode())
                        continue
                    type_, retryable = _classify(root)
                    raise ChunkError(
                        type_,
                        _describe(root),
                        retryable=retryable,
                        usage=stats.usage,
                        attempts=stats.usage.requests,
                        mode=mode,
                    ) from None
        finally:
            _STATS.reset(token)

        records = parsed.model_dump(mode="json")
        if self.cache is not None:
            self.cache.put(key, {"records": records, "mode": mode}, model=self.model)
        return ChunkOutput(
            records=records,
            usage=stats.usage,
            attempts=stats.usage.requests,
            mode=mode,
            warnings=warnings,
        )

    def _wrap(self, task: Task) -> type[BaseModel]:
        """The response model wrapped for instructor once per task (it would per call)."""
        model = task.response_model
        if model not in self._wrapped:
            wrapped = instructor.openai_schema(model)
            # instructor regenerates the JSON schema on every request (a quarter of llmx's CPU
            # per request in bench/); the wrapped class is ours, so answer from a cache.
            schema = wrapped.model_json_schema()
            original = wrapped.model_json_schema

            def model_json_schema(*args: Any, **kwargs: Any) -> dict[str, Any]:
                return schema if not (args or kwargs) else original(*args, **kwargs)

            wrapped.model_json_schema = model_json_schema  # type: ignore[method-assign]
            self._wrapped[model] = wrapped
        return self._wrapped[model]

    async def _call(
        self, model: type[BaseModel], messages: list[dict[str, Any]], mode: str, stats: _CallStats
    ) -> BaseModel:
        client = self._client(mode)
        parsed, _completion = await client.chat.completions.create_with_completion(
            model=self.model,
            messages=messages,
            response_model=model,
            max_retries=self._retrying(stats),
            temperature=self.settings.temperature,
            max_tokens=self.settings.max_tokens,
        )
        return parsed

    async def aclose(self) -> None:
        await self._http.close()


def _http_client(concurrency: int) -> Any:
    """openai's own HTTP client with a keep-alive pool as large as the concurrency.

    The default keeps 100 idle connections, so at concurrency 128 connections are reopened
    continually. The limits class is whatever HTTP library this openai release is built on.
    """
    from openai._base_client import DEFAULT_CONNECTION_LIMITS

    limits = type(DEFAULT_CONNECTION_LIMITS)(
        max_connections=max(concurrency + 8, 100),
        max_keepalive_connections=concurrency + 8,
        keepalive_expiry=30.0,
    )
    return openai.DefaultAsyncHttpxClient(limits=limits)


def _root_cause(exc: BaseException) -> BaseException:
    """Unwrap instructor's retry wrapper to the error that ended the attempts."""
    while isinstance(exc, InstructorRetryException) and exc.__cause__ is not None:
        exc = exc.__cause__
    if isinstance(exc, asyncio.CancelledError):
        raise exc
    return exc
