"""The extraction pipeline: clean → chunk → call → ground → merge, for a stream of documents.

Documents stream through a bounded window of concurrent tasks (memory stays flat however large
the corpus); backend calls share one concurrency limit; each result is handed to the sink in
input order or as its document completes (:mod:`llmx.ordering`). A failure in one document
becomes an error result, never a crashed run.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from llmx._version import __version__
from llmx.cache import ResponseCache, cache_key
from llmx.config import ConfigError, Settings
from llmx.core.documents import Chunk, CleanedText, Document, LoadProblem
from llmx.core.results import DocError, DocMeta, DocResult, Usage
from llmx.grounding import Grounder, ground_chunk
from llmx.merging import Merger
from llmx.offload import run_cpu, run_cpu_coroutine
from llmx.ordering import Order, ResultOrder, default_buffer
from llmx.output import safe_text, text_hash
from llmx.providers.base import Backend, ChunkError, ChunkOutput, FatalEndpointError
from llmx.redaction import redact
from llmx.tasks import Task, load_task
from llmx.text.chunking import chunk_text
from llmx.text.cleaning import clean
from llmx.text.script import has_han


@dataclass(slots=True)
class RunSummary:
    """Totals for one run (printed by the CLI, returned by the API)."""

    backend: str
    model: str | None
    docs_ok: int = 0
    docs_failed: int = 0
    docs_skipped: int = 0
    problems: list[LoadProblem] = field(default_factory=list)
    records: dict[str, int] = field(default_factory=dict)
    usage: Usage = field(default_factory=Usage)
    chunks: int = 0
    cached_chunks: int = 0
    warnings: int = 0
    errors_by_type: dict[str, int] = field(default_factory=dict)
    mode_notes: list[str] = field(default_factory=list)
    elapsed_s: float = 0.0

    def add(self, result: DocResult) -> None:
        if result.status == "ok":
            self.docs_ok += 1
        else:
            self.docs_failed += 1
            etype = result.error.type if result.error else "unknown"
            self.errors_by_type[etype] = self.errors_by_type.get(etype, 0) + 1
        for kind in self.records:
            self.records[kind] += len(result.records(kind))
        self.usage.add(result.meta.usage)
        self.chunks += result.meta.chunks
        self.cached_chunks += result.meta.cached_chunks
        self.warnings += len(result.meta.warnings)


class CallLimiter(Protocol):
    """What bounds the backend calls in flight: entered around each chunk's call. The default
    is a local semaphore of ``concurrency``; ``llmx.engines.budget`` shares one budget across
    a cluster. A limiter may also have ``rate_limited(seconds)``, which the LLM backend calls
    on each 429 it will retry, so the limiter can slow every caller down."""

    async def __aenter__(self) -> Any: ...

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> Any: ...


def make_backend(settings: Settings, cache: ResponseCache | None) -> Backend:
    """The backend the settings ask for (``auto``: the LLM if an endpoint is configured)."""
    if settings.effective_backend() == "rules":
        from llmx.providers.offline import OfflineBackend

        return OfflineBackend()
    if not settings.model and settings.replay is None:  # a replay can name its own model
        raise ConfigError(
            "an endpoint is configured but no model: set LLMX_MODEL (or pass --model), "
            "or use --backend rules"
        )
    from llmx.providers.openai_compat import LLMBackend

    return LLMBackend(settings, cache)


class Pipeline:
    """Runs one task with one backend over documents."""

    def __init__(
        self,
        settings: Settings,
        *,
        backend: Backend | None = None,
        task: Task | None = None,
        cache: ResponseCache | None = None,
        notice: Callable[[str], None] | None = None,
        limiter: CallLimiter | None = None,
    ) -> None:
        self.settings = settings
        self.task = task or load_task(settings.task)
        if not settings.cache:
            cache = None
        elif cache is None and settings.effective_backend() == "llm":
            cache = ResponseCache(settings.cache_dir / "cache.sqlite", notice=notice)
        self.cache = cache
        self.backend = backend or make_backend(settings, cache)
        if self.backend.name == "rules" and self.task.offline_extractor is None:
            raise ConfigError(
                f"task {self.task.name!r} has no offline extractor: configure an endpoint "
                "(OPENAI_BASE_URL, LLMX_MODEL) or add `extract_offline` to its schema module"
            )
        self._calls: CallLimiter = limiter or asyncio.Semaphore(settings.concurrency)
        on_429 = getattr(limiter, "rate_limited", None)
        if on_429 is not None and hasattr(self.backend, "on_rate_limited"):
            self.backend.on_rate_limited = on_429
        self._order: ResultOrder | None = None  # the running run's, for progress displays

    @property
    def waiting(self) -> int:
        """Finished documents held back (input order) until an earlier one is written."""
        return self._order.waiting if self._order is not None else 0

    # -- one document ------------------------------------------------------------------------

    async def process(self, doc: Document, text_sha256: str | None = None) -> DocResult:
        started = time.perf_counter()
        text_sha256 = text_sha256 or text_hash(doc.text)
        meta = DocMeta(
            backend=self.backend.name,
            model=self.backend.model,
            task=self.task.name,
            prompt_version=self.task.prompt_version if self.backend.name == "llm" else None,
            schema_version=self.task.schema_version,
            chars_in=len(doc.text),
            encoding=doc.encoding,
            llmx_version=__version__,
            warnings=list(doc.warnings),
            text_sha256=text_sha256,
        )
        result = DocResult(
            doc_id=safe_text(doc.id),
            source=safe_text(doc.source),
            task=self.task.name,
            meta=meta,
            fields=dict(doc.fields),
        )
        key = self._result_key(text_sha256) if self.cache is not None else ""
        cached = self._cached_result(key, result) if key else None
        if cached is not None:
            cached.meta.elapsed_s = round(time.perf_counter() - started, 4)
            return cached
        try:
            await self._extract_into(doc, result)
        except (asyncio.CancelledError, FatalEndpointError):
            raise  # FatalEndpointError: no document can succeed; the run stops, unwritten
        except Exception as exc:  # one bad document never ends the run
            message = redact(f"{type(exc).__name__}: {exc}")
            self._fail(result, DocError(type="internal", message=message))
        meta.elapsed_s = round(time.perf_counter() - started, 4)
        if key and result.status == "ok":
            self._cache_result(key, result, loader_warnings=len(doc.warnings))
        return result

    # -- the grounded-result cache: a cached re-run skips clean, prompt, call and ground -------

    def _result_key(self, text_sha256: str) -> str:
        """Everything that shapes a document's records (not its id, source or timing)."""
        s, t = self.settings, self.task
        return cache_key(
            what="result",
            text_sha256=text_sha256,
            llmx=__version__,
            task=t.name,
            prompt_version=t.prompt_version,
            schema_version=t.schema_version,
            backend=self.backend.name,
            model=self.backend.model,
            mode=s.mode,
            temperature=s.temperature,
            max_tokens=s.max_tokens,
            chunk_chars=self.backend.max_chunk_chars,
            context_chars=s.context_chars,
            clean=s.clean,
            keep_ungrounded=s.keep_ungrounded,
            show_quantities=s.show_quantities,
        )

    def _cached_result(self, key: str, fresh: DocResult) -> DocResult | None:
        assert self.cache is not None
        line = self.cache.get_result(key)
        if line is None:
            return None
        try:
            hit = DocResult.model_validate_json(line)
        except ValueError:
            return None  # a damaged entry: extract again (the new result replaces it)
        meta = hit.meta
        meta.warnings = fresh.meta.warnings + meta.warnings  # this load's notes + the result's
        meta.encoding, meta.chars_in = fresh.meta.encoding, fresh.meta.chars_in
        meta.text_sha256 = fresh.meta.text_sha256
        meta.usage = type(meta.usage)()
        meta.attempts, meta.cached_chunks = 0, meta.chunks
        hit.doc_id, hit.source, hit.fields = fresh.doc_id, fresh.source, fresh.fields
        self.cache.hits += 1
        return hit

    def _cache_result(self, key: str, result: DocResult, *, loader_warnings: int) -> None:
        assert self.cache is not None
        stored = result.model_copy(deep=True)
        stored.meta.warnings = stored.meta.warnings[loader_warnings:]
        try:
            line = stored.model_dump_json()
        except ValueError:
            return  # a lone surrogate in a record: not cached (the writer escapes it)
        self.cache.put_result(key, line, model=self.backend.model)

    async def _extract_into(self, doc: Document, result: DocResult) -> None:
        meta = result.meta
        cleaned = (
            await run_cpu(len(doc.text), clean, doc.text)
            if self.settings.clean
            else CleanedText.identity(doc.text)
        )
        meta.chars_clean = len(cleaned.text)
        if not has_han(cleaned.text):
            meta.warnings.append("no Chinese characters in the document")
        limit = self.backend.max_chunk_chars
        chunks = (
            chunk_text(cleaned.text, max_chars=limit, context_chars=self.settings.context_chars)
            if limit
            else [Chunk(index=0, text=cleaned.text, start=0)]
        )
        meta.chunks = len(chunks)
        outputs = await asyncio.gather(
            *(self._call(chunk, doc) for chunk in chunks), return_exceptions=True
        )
        grounder = await run_cpu(len(cleaned.text), Grounder, cleaned, doc.text)
        merger = Merger(self.task)
        first_error: ChunkError | None = None
        for chunk, out in zip(chunks, outputs, strict=True):
            if isinstance(out, BaseException) and not isinstance(out, ChunkError):
                raise out
            meta.usage.add(out.usage)
            meta.attempts += out.attempts
            meta.mode = meta.mode or out.mode
            if isinstance(out, ChunkError):
                first_error = first_error or out
                continue
            meta.cached_chunks += int(out.cached)
            meta.warnings.extend(out.warnings)
            grounded, warnings = await run_cpu(
                len(cleaned.text),  # a large document's chunks are grounded off the loop
                ground_chunk,
                grounder,
                self.task,
                chunk,
                out.records,
                keep_ungrounded=self.settings.keep_ungrounded,
            )
            meta.warnings.extend(warnings)
            merger.add_chunk(grounded)
        if first_error is not None:
            # All or nothing per document: the finished chunks are cached, so a
            # --retry-failed run pays only for the chunks that failed.
            error = DocError(
                type=first_error.type, message=str(first_error), retryable=first_error.retryable
            )
            self._fail(result, error)
            return
        meta.warnings.extend(merger.warnings)
        for kind, records in merger.result().items():
            result.set_records(kind, records)

    def _fail(self, result: DocResult, error: DocError) -> None:
        result.status = "error"
        result.error = error
        for kind in self.task.records:
            result.set_records(kind, [])

    async def _call(self, chunk: Chunk, doc: Document) -> ChunkOutput:
        async with self._calls:
            call = self.backend.extract_chunk(self.task, chunk, doc)
            if getattr(self.backend, "cpu_bound", False):  # CPU only, no I/O: a large
                # document's chunks run off the loop, so signals are heard between them
                return await run_cpu_coroutine(len(doc.text), call)
            return await call

    # -- a stream of documents ---------------------------------------------------------------

    async def run(
        self,
        items: Iterable[Document | LoadProblem],
        sink: Callable[[DocResult], None],
        *,
        skip: Callable[[str, str], bool] = lambda _id, _sha: False,
        on_problem: Callable[[LoadProblem], None] = lambda _p: None,
        order: Order = "completion",
        buffer: int | None = None,
    ) -> RunSummary:
        """Process every document, handing each result to ``sink``.

        ``order="completion"``: each result as its document completes. ``order="input"``: in
        input order, each as soon as every earlier one is out; at most ``buffer`` documents
        (default :func:`llmx.ordering.default_buffer`) are started but not yet handed over --
        beyond that no new document starts until the earliest one finishes.
        """
        started = time.perf_counter()
        summary = RunSummary(
            backend=self.backend.name,
            model=self.backend.model,
            records={k: 0 for k in self.task.records},
        )
        window = max(2, self.settings.concurrency * 2)
        ordered = self._order = ResultOrder(
            sink, order=order, limit=buffer or default_buffer(self.settings.concurrency)
        )
        pending: dict[asyncio.Task[DocResult], int] = {}  # task -> its sequence number

        async def finish_some() -> None:
            done, _ = await asyncio.wait(pending, return_when="FIRST_COMPLETED")
            stop: BaseException | None = None
            for t in sorted(done, key=pending.__getitem__):
                seq = pending.pop(t)
                if t.exception() is not None:  # FatalEndpointError; read each, raise one
                    stop = stop or t.exception()
                    continue
                for result in ordered.finished(seq, t.result()):
                    summary.add(result)
            if stop is not None:
                raise stop

        try:
            for item in items:
                if isinstance(item, LoadProblem):
                    summary.problems.append(item)
                    on_problem(item)
                    continue
                sha = text_hash(item.text)
                if skip(item.id, sha):  # done already, with this very text
                    summary.docs_skipped += 1
                    continue
                pending[asyncio.ensure_future(self.process(item, sha))] = ordered.admit()
                # Room for the next document: a free slot, and (in input order) the reorder
                # buffer not full -- else wait, so memory stays bounded (back-pressure).
                while pending and (len(pending) >= window or ordered.full):
                    await finish_some()
            while pending:
                await finish_some()
        finally:
            for t in pending:
                t.cancel()
            await asyncio.gather(*pending, return_exceptions=True)  # let their requests end
            # Finished results still waiting on an earlier document are dropped: the output
            # stays a prefix of the input; their responses are cached for the re-run.
            summary.mode_notes = list(getattr(self.backend, "mode_notes", []))
            summary.elapsed_s = round(time.perf_counter() - started, 3)
        return summary

    async def aclose(self) -> None:
        await self.backend.aclose()
        if self.cache is not None:
            self.cache.close()
