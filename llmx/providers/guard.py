"""When to stop a run instead of retrying: the endpoint guard.

- A rejected key (401/403), a wrong path or model (404), or nothing listening before the
  endpoint ever answered: no retry and no later document can succeed.
- The circuit breaker: ``breaker_at`` chunks in a row lost to transport faults (timeouts,
  connection errors, 5xx, after every retry) with no HTTP answer in between.
- Until the endpoint first answers, one request goes alone and the others wait at the gate, so
  a wrong key or URL costs one request (not one per concurrency slot) and ``auto`` mode probes
  the server once.

Any of these makes every later call raise :class:`FatalEndpointError` with one line naming the
URL and what to check.
"""

from __future__ import annotations

import asyncio
from typing import Any

from llmx.providers.base import FatalEndpointError
from llmx.providers.transport import ConnectFailed, HTTPStatusError
from llmx.redaction import redact

BREAKER_FAULTS = frozenset({"timeout", "connection", "server_error"})


class EndpointGuard:
    def __init__(self, url: str, *, key_env: str, model: str | None, breaker_at: int) -> None:
        self.url = url
        self.key_env = key_env
        self.model = model
        self.breaker_at = breaker_at
        self.answered = False  # the endpoint has sent an HTTP answer in this run
        self._lost_in_a_row = 0
        self._fatal: str | None = None
        self._gate = asyncio.Event()
        self._holder: asyncio.Task[Any] | None = None

    def check(self) -> None:
        """Raise if the run must stop (each raise is a fresh exception: no shared traceback)."""
        if self._fatal is not None:
            raise FatalEndpointError(self._fatal)

    def _stop(self, why: str) -> None:
        self._fatal = self._fatal or redact(why)
        self._gate.set()  # the waiters learn the run is over
        self.check()

    # -- the gate ----------------------------------------------------------------------------

    async def admit(self) -> None:
        """Before each HTTP attempt: the first request goes, the rest wait for its answer."""
        if not self._gate.is_set():
            me = asyncio.current_task()
            if self._holder is None or self._holder.done():
                self._holder = me
            if self._holder is not me:
                await self._gate.wait()
        self.check()

    def release(self) -> None:
        """The holder's request has its outcome (or was given up): open the gate."""
        if self._holder is asyncio.current_task():
            self._gate.set()

    # -- outcomes ----------------------------------------------------------------------------

    def on_answer(self) -> None:
        """Any HTTP answer: the endpoint is alive."""
        self.answered = True
        self._lost_in_a_row = 0

    def on_fault(self, exc: Exception) -> None:
        """A failed attempt: raise FatalEndpointError where retrying cannot help."""
        if isinstance(exc, HTTPStatusError):
            self.answered = True
            if exc.status in (401, 403):
                self._stop(
                    f"the endpoint {self.url} rejected the API key (HTTP {exc.status}: "
                    f"{exc.message[:120]}); check {self.key_env} (or --api-key-env)"
                )
            if exc.status == 404:
                self._stop(
                    f"HTTP 404 from {self.url}/chat/completions ({exc.message[:120]}): wrong "
                    "base URL or model? check --base-url / OPENAI_BASE_URL and --model / "
                    f"LLMX_MODEL ({self.model})"
                )
        elif isinstance(exc, ConnectFailed) and not self.answered:
            self._stop(
                f"nothing answers at {self.url} ({exc}); check --base-url / OPENAI_BASE_URL "
                "and that the server is running"
            )

    def on_chunk_lost(self, error_type: str, message: str) -> None:
        """A chunk failed for good; the breaker opens after ``breaker_at`` in a row."""
        if error_type not in BREAKER_FAULTS:
            self.check()
            return
        self._lost_in_a_row += 1
        if self._lost_in_a_row >= self.breaker_at:
            self._stop(
                f"{self._lost_in_a_row} chunks in a row failed against {self.url} after every "
                f"retry (last: {error_type}: {message[:120]}); stopping the run -- check the "
                "server, then re-run the same command to resume"
            )
