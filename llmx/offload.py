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

An abandoned worker may be inside native code that released the GIL (the Rust place scan,
OpenCC). Interpreter finalization ends such a thread with ``pthread_exit`` when it takes the
GIL back, and that forced unwind through Rust or C++ frames aborts the whole process ("FATAL:
exception not rethrown", SIGABRT). :func:`exit_now_if_workers_run` therefore skips finalization
while any worker still runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

INLINE_CHARS = 50_000  # ~15 ms of cleaning, ~0.1 s of rules extraction: fine inline
_WORKER = "llmx-cpu"  # the worker threads' name: threading's own list says which still run


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

    threading.Thread(target=work, name=_WORKER, daemon=True).start()
    return await future


async def run_cpu_coroutine(size: int, coro: Coroutine[Any, Any, T]) -> T:
    """Await ``coro``, on a private loop in a worker thread when ``size`` is large.

    Only for coroutines that are CPU work in async clothing (the rules backend's call): they
    must not use a resource of the caller's loop.
    """
    if size <= INLINE_CHARS:
        return await coro
    return await run_cpu(size, asyncio.run, coro)


def workers_running() -> bool:
    """Whether a worker is still computing (e.g. one abandoned by an interrupted run)."""
    return any(t.name == _WORKER for t in threading.enumerate())  # listed once start() returns


def exit_now_if_workers_run(code: int) -> None:
    """Exit with ``code`` at once, skipping interpreter finalization, if a worker still runs
    (see the module docstring); else return and let the caller exit normally. Everything the
    run writes must be closed before this is called."""
    if not workers_running():
        return
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)
