"""Python API.

    from llmx import extract
    results = extract(["seeds/"], backend="rules")
    for r in results:
        for m in r.records("metrics"):  # records of a kind the task defines, as dicts
            print(m["subject"], m["value"], m["unit"], r.doc_id, m["span"])

Keyword arguments are :class:`llmx.config.Settings` fields (``base_url``, ``model``, ``mode``,
``api_key``, ``concurrency``, ``max_tokens``, ``cache_dir``, ...); anything not given comes from
the environment and config files, as for the CLI.
"""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from llmx.config import load_settings
from llmx.core.documents import Document, LoadProblem
from llmx.core.results import DocResult
from llmx.output import safe_text
from llmx.pipeline import Pipeline


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


async def aextract(
    inputs: Iterable[str | Path | Document] | str | Path,
    *,
    task: str | None = None,
    on_problem: Callable[[LoadProblem], None] | None = None,
    **settings: Any,
) -> list[DocResult]:
    """Extract records from files, folders, globs, JSONL files or ``Document`` objects.

    Returns one :class:`DocResult` per readable document, in input order (a document that
    failed has ``status == "error"``). Inputs that cannot be read (empty, binary, too large,
    a broken JSONL row) are reported to ``on_problem``; by default as a ``UserWarning``.
    """
    if isinstance(inputs, str | Path):
        inputs = [inputs]
    config = load_settings({"task": task, **settings})
    pipeline = Pipeline(config)
    results: list[DocResult] = []
    order: dict[str, int] = {}

    def numbered() -> Iterator[Document | LoadProblem]:
        for item in _items(inputs, config.max_bytes):
            if isinstance(item, Document):
                order.setdefault(safe_text(item.id), len(order))  # as the result carries it
            yield item

    try:
        await pipeline.run(numbered(), results.append, on_problem=on_problem or _warn)
    finally:
        await pipeline.aclose()
    return sorted(results, key=lambda r: order.get(r.doc_id, len(order)))


def extract(
    inputs: Iterable[str | Path | Document] | str | Path,
    *,
    task: str | None = None,
    on_problem: Callable[[LoadProblem], None] | None = None,
    **settings: Any,
) -> list[DocResult]:
    """Synchronous wrapper of :func:`aextract` (not for use inside a running event loop)."""
    return asyncio.run(aextract(inputs, task=task, on_problem=on_problem, **settings))


def _warn(problem: LoadProblem) -> None:
    warnings.warn(f"llmx skipped {problem.source}: {problem.message}", stacklevel=3)
