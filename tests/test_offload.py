"""CPU work on large inputs runs beside the event loop; small inputs run inline."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
import time

import pytest

from llmx.offload import INLINE_CHARS, run_cpu, run_cpu_coroutine

BIG = INLINE_CHARS + 1


def _thread_name() -> str:
    return threading.current_thread().name


async def test_small_inputs_run_inline_and_large_ones_in_a_worker_thread() -> None:
    assert await run_cpu(10, _thread_name) == threading.current_thread().name
    assert await run_cpu(BIG, _thread_name) == "llmx-cpu"


async def test_keyword_arguments_and_errors_come_back() -> None:
    assert await run_cpu(BIG, int, "ff", base=16) == 255
    with pytest.raises(ValueError, match="invalid literal"):
        await run_cpu(BIG, int, "not a number")


async def test_the_loop_keeps_running_while_the_worker_computes() -> None:
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.01)

    beat = asyncio.create_task(ticker())
    await run_cpu(BIG, time.sleep, 0.3)  # stands in for seconds of pure-Python work
    beat.cancel()
    assert ticks >= 10


async def test_cancelling_drops_the_result_without_an_error() -> None:
    task = asyncio.create_task(run_cpu(BIG, time.sleep, 0.2))
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.sleep(0.3)  # the worker finishes and finds nobody waiting: no error


async def test_a_cpu_only_coroutine_runs_on_a_private_loop_when_large() -> None:
    async def work() -> str:
        return _thread_name()

    assert await run_cpu_coroutine(10, work()) == threading.current_thread().name
    assert await run_cpu_coroutine(BIG, work()) == "llmx-cpu"


def test_a_worker_outliving_its_loop_neither_blocks_exit_nor_prints() -> None:
    code = (
        "import asyncio, time\n"
        "from llmx.offload import INLINE_CHARS, run_cpu\n"
        "async def main():\n"
        "    task = asyncio.ensure_future(run_cpu(INLINE_CHARS + 1, time.sleep, 30))\n"
        "    await asyncio.sleep(0.1)\n"
        "    task.cancel()\n"
        "asyncio.run(main())\n"
        "print('exited')\n"
    )
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=20)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "exited"
    assert proc.stderr == ""
    assert time.monotonic() - start < 10


async def test_an_abandoned_worker_is_seen_until_it_ends() -> None:
    """The CLI skips interpreter finalization while a worker still runs: finalization would
    end it with pthread_exit inside native code and abort the process (SIGABRT)."""
    from llmx.offload import workers_running

    release = threading.Event()
    task = asyncio.ensure_future(run_cpu(INLINE_CHARS + 1, release.wait, 10))
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert workers_running()  # abandoned, still computing
    release.set()
    deadline = time.monotonic() + 5
    while workers_running() and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    assert not workers_running()


def test_every_cli_exit_skips_finalization_while_a_worker_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # An error exit (here: an unknown task, exit 1) left interpreter finalization to tear the
    # worker down inside native code (SIGABRT); only extract's normal exit skipped it.
    from llmx import cli, offload

    release = threading.Event()
    worker = threading.Thread(target=release.wait, name=offload._WORKER, daemon=True)
    worker.start()
    exits: list[int] = []
    monkeypatch.setattr(offload.os, "_exit", exits.append)
    monkeypatch.setattr(sys, "argv", ["llmx", "extract", "--task", "no-such-task", "x.txt"])
    try:
        with pytest.raises(SystemExit) as raised:
            cli.main()
    finally:
        release.set()
        worker.join()
    assert raised.value.code == 1
    assert exits == [1]
