"""``llmx extract``: documents in, one grounded JSON line per document out.

Exit codes: 0 every document done; 1 configuration or usage error; 3 some documents failed or
could not be read (the rest were written; ``--retry-failed`` redoes the failed ones);
4 the endpoint cannot serve this run (wrong key, path or model, nothing listening, or the
circuit breaker opened; one line says what to check; re-run to resume); 5 another run holds the
output file (one line names its pid, host and start); 6 the output cannot be written
(read-only place, a folder, disk full: one line says what to do; re-run the same command to
resume once fixed); 130 interrupted (re-run the same command to resume).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from llmx.commands import options

if TYPE_CHECKING:
    from llmx.ordering import Order
    from llmx.progress import RunProgress

EXIT_PARTIAL = 3
EXIT_ENDPOINT = 4
EXIT_LOCKED = 5
EXIT_STORAGE = 6
EXIT_INTERRUPTED = 130


@dataclass(frozen=True, slots=True)
class RunOptions:
    """How documents are read, ordered and reported (the CLI's own options)."""

    order: Order = "input"
    order_buffer: int | None = None
    progress_every: float = 10.0
    id_field: str = "id"
    text_field: str = "text"


def command(
    inputs: Annotated[
        list[str],
        typer.Argument(
            help="Files, folders, globs, JSONL files of {id, text}, or - for standard input "
            "(JSONL if it starts with {, else one text document with id stdin)."
        ),
    ],
    output: Annotated[
        str, typer.Option("--output", "-o", help="JSONL output path ('-' for stdout).")
    ] = "-",
    backend: Annotated[
        str | None,
        typer.Option(help="auto | llm | rules (auto: llm if an endpoint is set) [default: auto]."),
    ] = None,
    base_url: Annotated[str | None, typer.Option(help="OpenAI-compatible base URL.")] = None,
    model: options.Model = None,
    api_key_env: Annotated[
        str | None,
        typer.Option(help="Environment variable that holds the API key [default: OPENAI_API_KEY]."),
    ] = None,
    mode: Annotated[
        str | None,
        typer.Option(help="auto | tools | json_schema | json | md_json [default: auto]."),
    ] = None,
    task: Annotated[str | None, typer.Option(help="Task name (schemas/ + prompts/).")] = None,
    concurrency: Annotated[
        int | None, typer.Option(help="Requests in flight at once [default: 8].")
    ] = None,
    max_tokens: Annotated[
        int | None, typer.Option(help="Completion token limit [default: 4096].")
    ] = None,
    timeout: Annotated[
        float | None, typer.Option(help="Seconds per HTTP request [default: 120].")
    ] = None,
    retries: Annotated[
        int | None, typer.Option(help="Transport retries per request [default: 5].")
    ] = None,
    cache_dir: Annotated[
        Path | None, typer.Option(help="Cache directory [default: .llmx].")
    ] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Bypass the cache.")] = False,
    no_clean: Annotated[
        bool, typer.Option("--no-clean", help="Send the raw text (no boilerplate removal).")
    ] = False,
    quantity_hints: Annotated[
        bool | None,
        typer.Option(
            "--quantity-hints/--no-quantity-hints",
            help="List the quantities found in each chunk in the prompt [default: on].",
        ),
    ] = None,
    keep_ungrounded: Annotated[
        bool, typer.Option("--keep-ungrounded", help="Keep records that cannot be grounded.")
    ] = False,
    retry_failed: Annotated[
        bool, typer.Option("--retry-failed", help="Redo documents whose earlier result failed.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    order: Annotated[
        str,
        typer.Option(
            help="input: write documents in input order (deterministic); completion: as each "
            "finishes."
        ),
    ] = "input",
    order_buffer: Annotated[
        int | None,
        typer.Option(
            help="With --order input: documents started but not yet written, at most; beyond "
            "it no new document starts (default max(256, 16 x concurrency)).",
            min=1,
        ),
    ] = None,
    progress_every: Annotated[
        float,
        typer.Option(
            help="Seconds between plain progress lines when stderr is not a terminal (0: none).",
            min=0,
        ),
    ] = 10.0,
    id_field: Annotated[str, typer.Option(help="JSONL key holding the document id.")] = "id",
    text_field: Annotated[str, typer.Option(help="JSONL key holding the document text.")] = "text",
    engine: Annotated[
        str, typer.Option(help="local | ray (a Ray cluster; -o is then a folder of shards).")
    ] = "local",
    workers: Annotated[int, typer.Option(help="ray: worker actors.", min=1)] = 2,
    block_docs: Annotated[int, typer.Option(help="ray: documents per block.", min=1)] = 200,
    max_in_flight: Annotated[
        int | None,
        typer.Option(help="ray: requests in flight, whole cluster (default: concurrency)."),
    ] = None,
    record: options.Record = None,
    replay: options.Replay = None,
) -> None:
    """Extract a task's records from documents, grounded to character offsets.

    Options not given come from the environment (OPENAI_BASE_URL, LLMX_MODEL, ...), llmx.toml
    or [tool.llmx] in pyproject.toml, else the defaults shown.
    """
    from rich.console import Console

    from llmx.config import ConfigError, load_settings
    from llmx.locking import OutputLocked
    from llmx.ordering import ORDERS
    from llmx.output import StorageError
    from llmx.tasks import TaskError, load_task

    err = Console(stderr=True, soft_wrap=True)  # one message, one line (greppable)
    if Path(output).suffix.lower() in (".csv", ".parquet", ".duckdb"):  # would be JSONL inside
        err.print(
            f"llmx: extract writes JSONL; use -o {Path(output).with_suffix('.jsonl')}, then "
            f"llmx export {Path(output).with_suffix('.jsonl')} --to "
            f"{Path(output).suffix.lower()[1:]} -o OUT",
            highlight=False,
            markup=False,
        )
        raise typer.Exit(1)
    # instructor logs every failed attempt at ERROR; llmx reports failures itself, per document.
    logging.getLogger("instructor").setLevel(logging.CRITICAL)
    overrides: dict[str, Any] = {
        "backend": backend,
        "base_url": base_url,
        "model": model,
        "api_key_env": api_key_env,
        "mode": mode,
        "task": task,
        "concurrency": concurrency,
        "max_tokens": max_tokens,
        "timeout": timeout,
        "max_retries": retries,
        "cache_dir": cache_dir,
        "cache": False if no_cache else None,
        "clean": False if no_clean else None,
        "keep_ungrounded": keep_ungrounded or None,
        "show_quantities": quantity_hints,
        "record": record,
        "replay": replay,
    }
    try:
        if order not in ORDERS:
            raise ConfigError(f"--order must be one of {', '.join(ORDERS)}, not {order!r}")
        settings = load_settings(overrides)
        load_task(settings.task)  # an unknown or missing task is the first thing to say
        if settings.backend == "auto" and settings.effective_backend() == "rules":
            err.print(
                "llmx: no endpoint configured (set OPENAI_BASE_URL or --base-url, plus "
                "LLMX_MODEL); using the task's offline rules extractor",
                highlight=False,
            )
        if engine == "ray":
            from llmx.engines.ray_engine import RayOptions, run

            if id_field != "id" or text_field != "text" or "-" in inputs:
                raise ConfigError(
                    "--engine ray reads files (id/text rows); stdin, --id-field and --text-field "
                    "are for the local engine"
                )
            options = RayOptions(workers, block_docs, max_in_flight)
            say = lambda m: err.print(m, highlight=False, markup=False)  # noqa: E731
            code = run(
                settings,
                inputs,
                output,
                options,
                retry_failed=retry_failed,
                quiet=quiet,
                notice=say,
            )
        elif engine != "local":
            raise ConfigError(f"--engine {engine!r}: use local or ray")
        else:
            run_options = RunOptions(
                order=order,  # checked just above
                order_buffer=order_buffer,
                progress_every=0.0 if quiet else progress_every,
                id_field=id_field,
                text_field=text_field,
            )
            code = asyncio.run(
                _run(settings, inputs, output, retry_failed, quiet, err, run_options)
            )
    except (ConfigError, TaskError) as exc:
        err.print(f"llmx: {exc}", highlight=False, markup=False)
        raise typer.Exit(1) from None
    except OutputLocked as exc:
        err.print(
            f"llmx: {output} is in use by another llmx run ({exc}); wait for it to finish, "
            "or write to another -o",
            highlight=False,
            markup=False,
        )
        raise typer.Exit(EXIT_LOCKED) from None
    except StorageError as exc:
        err.print(f"llmx: {exc}", highlight=False, markup=False)
        raise typer.Exit(EXIT_STORAGE) from None
    raise typer.Exit(code)  # llmx.cli.main skips finalization if an abandoned worker still runs


async def _run(
    settings: Any,
    inputs: list[str],
    output: str,
    retry_failed: bool,
    quiet: bool,
    err: Any,
    opts: RunOptions,
) -> int:
    from llmx.output import ResultWriter
    from llmx.pipeline import Pipeline
    from llmx.progress import RunProgress
    from llmx.providers.base import FatalEndpointError
    from llmx.text.loading import load_documents

    def notice(message: str) -> None:
        err.print(message, highlight=False, markup=False)

    writer = ResultWriter(output, retry_failed=retry_failed, notice=notice)  # holds the lock
    try:
        pipeline = Pipeline(settings, notice=notice)
    except BaseException:
        writer.close()
        raise
    if settings.replay is not None:  # said once the run can start, before a request
        notice(f"llmx: replaying recorded replies from {settings.replay} (no network)")
    elif settings.effective_backend() == "llm":
        from llmx.providers.transport import describe_endpoint

        notice(describe_endpoint(settings))
        if settings.record is not None:
            notice(f"llmx: recording every reply to {settings.record}")
    progress = RunProgress(
        err,
        enabled=not quiet and err.is_terminal,
        kinds=list(pipeline.task.records),
        every=opts.progress_every,
        waiting=lambda: pipeline.waiting,
    )
    stop_counting = threading.Event()
    if not quiet:
        _count_in_background(inputs, progress, stop_counting)
    main = asyncio.current_task()
    loop = asyncio.get_running_loop()
    interrupted = False

    def on_signal() -> None:
        nonlocal interrupted
        interrupted = True
        if main is not None:
            main.cancel()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal)

    def sink(result: Any) -> None:
        writer.write(result)
        progress.advance(result)

    def skip(doc_id: str, text_sha256: str) -> bool:
        if writer.should_skip(doc_id, text_sha256):
            progress.skip()
            return True
        return False

    summary = None
    fatal: FatalEndpointError | None = None
    try:
        with progress:
            summary = await pipeline.run(
                load_documents(
                    inputs,
                    max_bytes=settings.max_bytes,
                    id_field=opts.id_field,
                    text_field=opts.text_field,
                ),
                sink,
                skip=skip,
                on_problem=progress.problem,
                order=opts.order,
                buffer=opts.order_buffer,
            )
    except asyncio.CancelledError:
        if not interrupted:
            raise
    except FatalEndpointError as exc:
        fatal = exc
    finally:
        stop_counting.set()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        try:
            writer.close()
        finally:
            await pipeline.aclose()
    if fatal is not None:
        done = len(writer.state.done) + len(writer.state.failed)
        err.print(
            f"llmx: {fatal} ({done} documents are in {output}; re-run to resume)",
            highlight=False,
            markup=False,
        )
        return EXIT_ENDPOINT
    if interrupted or summary is None:
        done = len(writer.state.done) + len(writer.state.failed)
        err.print(
            f"llmx: interrupted; {done} documents are in {output}. "
            "Re-run the same command to resume.",
            highlight=False,
        )
        return EXIT_INTERRUPTED
    progress.print_summary(summary, output, failed_in_output=len(writer.state.failed))
    return EXIT_PARTIAL if writer.state.failed or summary.problems else 0


def _count_in_background(inputs: list[str], progress: RunProgress, stop: threading.Event) -> None:
    """Count the input documents in a daemon thread (extraction starts at once); the total
    reaches the progress display on the event loop when known."""
    from llmx.text.counting import count_documents

    loop = asyncio.get_running_loop()

    def count() -> None:
        result = count_documents(inputs, stop=stop)
        if not stop.is_set():
            with contextlib.suppress(RuntimeError):  # the run (and its loop) ended meanwhile
                loop.call_soon_threadsafe(progress.set_count, result)

    threading.Thread(target=count, name="llmx-count", daemon=True).start()
