"""Python API.

    from llmx import extract, extract_text
    results = extract(["seeds/"], backend="rules")
    for r in results:
        for m in r.records("metrics"):  # records of a kind the task defines, as dicts
            print(m["subject"], m["value"], m["unit"], r.doc_id, m["span"])
    frames = results.to_frames()  # {"documents": DataFrame, "programmes": ..., "metrics": ...}
    extract_text("广州市专家赴黔南州开展帮扶，培训320余人次。", backend="rules")

Keyword arguments are :class:`llmx.config.Settings` fields (``base_url``, ``model``, ``mode``,
``api_key``, ``concurrency``, ``max_tokens``, ``cache_dir``, ...); anything not given comes from
the environment and config files, as for the CLI.

``extract`` and ``extract_text`` also work where an event loop is already running (Jupyter,
an async web app): the run then goes on a private loop in a worker thread while the caller
waits, as jupyter_core's ``run_sync`` does, rather than patching asyncio (nest-asyncio).
Inside ``async`` code prefer ``await aextract(...)``, which does not block the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import os
import re
import threading
import warnings
from collections.abc import Callable, Coroutine, Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from llmx.config import load_settings
from llmx.core.documents import Document, LoadProblem
from llmx.core.results import DocResult
from llmx.errors import LLMXError
from llmx.output import safe_text
from llmx.pipeline import Pipeline
from llmx.tables.results import Results

T = TypeVar("T")
Inputs = Iterable[str | Path | Document] | str | Path


_SUFFIX = re.compile(r"\.[A-Za-z0-9]{1,8}$")  # a file name's suffix (not "320.5人次")


class InputError(LLMXError, ValueError):
    """An input is neither a readable path nor a Document (e.g. a text passed as a path)."""


def _items(
    inputs: Iterable[str | Path | Document], max_bytes: int
) -> Iterator[Document | LoadProblem]:
    from llmx.text.loading import load_documents

    paths: list[str | Path] = []
    for item in inputs:
        if isinstance(item, Document):
            if paths:
                yield from load_documents(paths, max_bytes=max_bytes)
                paths = []
            yield item
        else:
            paths.append(item)
    if paths:
        yield from load_documents(paths, max_bytes=max_bytes)


def _looks_like_text(item: str) -> bool:
    """A string that is no path and reads as document text: a newline, or Han characters
    with no file suffix or folder separator. Such a string would otherwise be skipped as a
    missing file, and the caller would get no results and only a warning."""
    try:
        if os.path.lexists(item):
            return False
    except (OSError, ValueError):  # too long for a path, or a NUL inside
        return True
    if "\n" in item:
        return True
    han = any("\u3400" <= c <= "\u9fff" or "\uf900" <= c <= "\ufaff" for c in item)
    pathlike = "/" in item or os.sep in item or _SUFFIX.search(item)
    return han and not pathlike


def _check_inputs(inputs: list[str | Path | Document]) -> None:
    for item in inputs:
        if isinstance(item, str) and _looks_like_text(item):
            preview = item if len(item) <= 30 else item[:30] + "…"
            raise InputError(
                f"{preview!r} is not a file, folder or glob; to extract from a string use "
                "llmx.extract_text(text) (or pass llmx.Document(id=..., text=..., source=...))"
            )


async def aextract(
    inputs: Inputs,
    *,
    task: str | None = None,
    on_problem: Callable[[LoadProblem], None] | None = None,
    **settings: Any,
) -> Results:
    """Extract records from files, folders, globs, JSONL files or ``Document`` objects.

    Returns a :class:`Results` (a ``list`` of :class:`DocResult`, one per readable document,
    in input order; a document that failed has ``status == "error"``), which converts to
    pandas with ``to_frames()``. Inputs that cannot be read (empty, binary, too large, a broken
    JSONL row) are reported to ``on_problem``; by default as a ``UserWarning``.

    Raises:
        InputError: a string input is not a path but looks like document text (use
            :func:`extract_text`).
    """
    items: list[str | Path | Document] = (
        [inputs] if isinstance(inputs, str | Path) else list(inputs)
    )
    _check_inputs(items)
    config = load_settings({"task": task, **settings})
    pipeline = Pipeline(config)
    results: list[DocResult] = []
    texts: dict[str, str] = {}

    def remembered() -> Iterator[Document | LoadProblem]:
        for item in _items(items, config.max_bytes):
            if isinstance(item, Document):  # for span_text in the tables, by the result's id
                texts.setdefault(safe_text(item.id), item.text)
            yield item

    try:
        await pipeline.run(
            remembered(), results.append, on_problem=on_problem or _warn, order="input"
        )
    finally:
        await pipeline.aclose()
    return Results(results, texts=texts, task=config.task)


def extract(
    inputs: Inputs,
    *,
    task: str | None = None,
    on_problem: Callable[[LoadProblem], None] | None = None,
    **settings: Any,
) -> Results:
    """Synchronous :func:`aextract`; also callable where an event loop is running (Jupyter)."""
    return run_sync(lambda: aextract(inputs, task=task, on_problem=on_problem, **settings))


def extract_text(
    texts: str | Iterable[str],
    *,
    ids: Iterable[str] | None = None,
    task: str | None = None,
    **settings: Any,
) -> Results:
    """Extract records from strings of document text (one document per string).

    Ids are ``ids`` if given, else ``text_0``, ``text_1``...; each result's ``source`` is
    ``<text>``. Spans index into the string as given. Keyword arguments as for :func:`extract`.
    """
    items = [texts] if isinstance(texts, str) else list(texts)
    names = [f"text_{i}" for i in range(len(items))] if ids is None else list(ids)
    if len(names) != len(items):
        raise InputError(f"{len(names)} ids for {len(items)} texts")
    for i, text in enumerate(items):
        if not isinstance(text, str):
            raise InputError(f"texts[{i}] is a {type(text).__name__}, not a string")
    docs = [Document(id=n, text=t, source="<text>") for n, t in zip(names, items, strict=True)]
    return extract(docs, task=task, **settings)


def read_results(paths: str | Path | Iterable[str | Path]) -> Results:
    """Results from llmx output JSONL files (or folders of ``*.jsonl`` shards), as
    :class:`Results`; ``span_text`` is read back from each result's source when it is
    still there unchanged.

    Raises:
        ValueError: a line is not an llmx result (``path:line: ...``), a doc_id repeats, a
            folder holds no ``*.jsonl``, a path does not exist.
        OSError: a file cannot be read.
    """
    from llmx.tables.inputs import read_runs, result_files

    files = result_files([paths] if isinstance(paths, str | Path) else paths)
    return Results(read_runs(files), folders=sorted({f.parent for f in files}))


def run_sync(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run the coroutine ``make()`` to completion from synchronous code.

    With no loop running in this thread: ``asyncio.run``. With one (Jupyter, an async app):
    on a fresh loop in a worker thread, the caller blocked until it ends; Ctrl-C in the
    caller cancels the run and waits for it to stop, so no request is left behind.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make())
    outcome: dict[str, Any] = {}
    started, done = threading.Event(), threading.Event()
    context = contextvars.copy_context()  # settings in context variables follow the call

    async def main() -> T:
        outcome["task"] = asyncio.current_task()
        outcome["loop"] = asyncio.get_running_loop()
        started.set()
        return await make()

    def worker() -> None:
        try:
            outcome["value"] = asyncio.run(main())
        except BaseException as exc:  # handed to the caller's thread
            outcome["error"] = exc
        finally:
            started.set()
            done.set()

    # Waits on an Event, not Thread.join: an interrupted join can mark a running thread as
    # finished (CPython gh-90882), and short waits see an interrupt that no signal woke.
    threading.Thread(target=lambda: context.run(worker), name="llmx-run", daemon=True).start()
    try:
        while not done.wait(0.1):
            pass
    except KeyboardInterrupt:
        started.wait()
        if "task" in outcome:
            with contextlib.suppress(RuntimeError):  # its loop already closed: nothing to stop
                outcome["loop"].call_soon_threadsafe(outcome["task"].cancel)
        while not done.wait(0.1):
            pass
        raise
    if "error" in outcome:
        raise outcome["error"]
    value: T = outcome["value"]
    return value


def _warn(problem: LoadProblem) -> None:
    warnings.warn(f"llmx skipped {problem.source}: {problem.message}", stacklevel=3)
