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
import logging
import signal
from pathlib import Path
from typing import Annotated, Any

import typer

EXIT_PARTIAL = 3
EXIT_ENDPOINT = 4
EXIT_LOCKED = 5
EXIT_STORAGE = 6
EXIT_INTERRUPTED = 130


def command(
    inputs: Annotated[
        list[str], typer.Argument(help="Files, folders, globs, or JSONL files of {id, text}.")
    ],
    output: Annotated[
        str, typer.Option("--output", "-o", help="JSONL output path ('-' for stdout).")
    ] = "-",
    backend: Annotated[
        str | None, typer.Option(help="auto | llm | rules (auto: llm if an endpoint is set).")
    ] = None,
    base_url: Annotated[str | None, typer.Option(help="OpenAI-compatible base URL.")] = None,
    model: Annotated[str | None, typer.Option(help="Model name.")] = None,
    api_key_env: Annotated[
        str | None, typer.Option(help="Environment variable that holds the API key.")
    ] = None,
    mode: Annotated[
        str | None, typer.Option(help="auto | tools | json_schema | json | md_json.")
    ] = None,
    task: Annotated[str | None, typer.Option(help="Task name (schemas/ + prompts/).")] = None,
    concurrency: Annotated[int | None, typer.Option(help="Requests in flight at once.")] = None,
    max_tokens: Annotated[int | None, typer.Option(help="Completion token limit.")] = None,
    timeout: Annotated[float | None, typer.Option(help="Seconds per HTTP request.")] = None,
    retries: Annotated[int | None, typer.Option(help="Transport retries per request.")] = None,
    cache_dir: Annotated[Path | None, typer.Option(help="Cache directory.")] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Bypass the cache.")] = False,
    no_clean: Annotated[
        bool, typer.Option("--no-clean", help="Send the raw text (no boilerplate removal).")
    ] = False,
    quantity_hints: Annotated[
        bool | None,
        typer.Option(
            "--quantity-hints/--no-quantity-hints",
            help="List the quantities found in each chunk in the prompt (default on).",
        ),
    ] = None,
    keep_ungrounded: Annotated[
        bool, typer.Option("--keep-ungrounded", help="Keep records that cannot be grounded.")
    ] = False,
    retry_failed: Annotated[
        bool, typer.Option("--retry-failed", help="Redo documents whose earlier result failed.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    record: Annotated[
        Path | None, typer.Option(help="Write each model reply to this cassette folder.")
    ] = None,
    replay: Annotated[
        Path | None, typer.Option(help="Answer from this cassette folder; no network.")
    ] = None,
) -> None:
    """Extract a task's records from documents, grounded to character offsets."""
    from rich.console import Console

    from llmx.config import ConfigError, load_settings
    from llmx.locking import OutputLocked
    from llmx.output import StorageError
    from llmx.tasks import TaskError, load_task

    err = Console(stderr=True, soft_wrap=True)  # one message, one line (greppable)
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
        settings = load_settings(overrides)
        load_task(settings.task)  # an unknown or missing task is the first thing to say
        if settings.backend == "auto" and settings.effective_backend() == "rules":
            err.print(
                "llmx: no endpoint configured (set OPENAI_BASE_URL or --base-url, plus "
                "LLMX_MODEL); using the task's offline rules extractor",
                highlight=False,
            )
        code = asyncio.run(_run(settings, inputs, output, retry_failed, quiet, err))
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
    raise typer.Exit(code)


async def _run(
    settings: Any, inputs: list[str], output: str, retry_failed: bool, quiet: bool, err: Any
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
        err, enabled=not quiet and err.is_terminal, kinds=list(pipeline.task.records)
    )
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

    summary = None
    fatal: FatalEndpointError | None = None
    try:
        with progress:
            summary = await pipeline.run(
                load_documents(inputs, max_bytes=settings.max_bytes),
                sink,
                skip=writer.should_skip,
                on_problem=progress.problem,
            )
    except asyncio.CancelledError:
        if not interrupted:
            raise
    except FatalEndpointError as exc:
        fatal = exc
    finally:
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
