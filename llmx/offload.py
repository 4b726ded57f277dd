"""CPU-bound work on large inputs runs beside the event loop, so the loop stays responsive.

Signal handlers installed with ``loop.add_signal_handler`` (how ``llmx extract`` turns Ctrl-C
and SIGTERM into a clean stop) only run when the loop gets control. Cleaning, the rules
extractor or grounding of a multi-megabyte document would hold it for seconds; every other
document would wait too. Inputs above :data:`INLINE_CHARS` therefore run in a worker thread
while the loop awaits the result (small ones run inline: a thread hand-off would cost more
than the work).

The worker is a *daemon* thread started per call: when the awaiting task is cancelled the
work is abandoned (its result dropped) and it cannot keep the process alive at exit, so an
interrupted run exits promptly. Threads, not processes: nothing is forked under the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

INLINE_CHARS = 50_000  # ~15 ms of cleaning, ~0.1 s of rules extraction: fine inline


async def run_cpu(size: int, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """``fn(*args, **kwargs)``, in a worker thread when ``size`` (characters of input) is large."""
    if size <= INLINE_CHARS:
        return fn(*args, **kwargs)
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(result: T | None, error: BaseException | None) -> None:
        if future.done():  # cancelled meanwhile: the result is dropped
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)  # type: ignore[arg-type]

    def work() -> None:
        result: T | None = None
        error: BaseException | None = None
        try:
            result = fn(*args, **kwargs)
        except BaseException as exc:
            error = exc
        # A closed loop (the run was interrupted) raises RuntimeError: nobody waits any more.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(settle, result, error)

    threading.Thread(target=work, name="llmx-cpu", daemon=True).start()
    return await future


async def run_cpu_coroutine(size: int, coro: Coroutine[Any, Any, T]) -> T:
    """Await ``coro``, on a private loop in a worker thread when ``size`` is large.

    Only for coroutines that are CPU work in async clothing (the rules backend's call): they
    must not use a resource of the caller's loop.
    """
    if size <= INLINE_CHARS:
        return await coro
    return await run_cpu(size, asyncio.run, coro)
