"""The ``rules`` backend: a task's own offline extractor, run with no model and no network.

A task provides it as the ``extract_offline(text) -> {kind: [record]}`` hook of its module;
records may carry ``_span`` / ``_evidence_span`` (``[start, end)`` into ``text``), which
grounding verifies instead of searching. A cleaned document up to 20,000 characters (any
news article) is one chunk; a longer one is cut at sentence boundaries.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from llmx.core.documents import Chunk, Document
from llmx.providers.base import ChunkOutput

if TYPE_CHECKING:
    from llmx.tasks import Task


class OfflineBackend:
    """Runs the task's ``extract_offline`` hook on each document."""

    name = "rules"
    model: str | None = None
    cpu_bound = True  # no I/O: the pipeline runs a large document's calls off the event loop
    # Rules read a whole article at once (links, sections); a huge document is cut into
    # pieces of this size at sentence boundaries so no extractor's cost can run away on it.
    max_chunk_chars: int | None = 20_000

    async def extract_chunk(self, task: Task, chunk: Chunk, doc: Document) -> ChunkOutput:
        """Extract records from ``chunk.text`` (offsets in ``_span`` index into it)."""
        extractor = task.offline_extractor
        if extractor is None:
            raise ValueError(
                f"task {task.name!r} has no offline extractor (an `extract_offline` function "
                "in its schema module); configure an endpoint or pick --backend llm"
            )
        return ChunkOutput(records=extractor(chunk.text), mode="rules")

    async def aclose(self) -> None:
        """Nothing to release."""
