"""The ``rules`` backend: a task's own offline extractor, run with no model and no network.

A task provides it as the ``extract_offline(text) -> {kind: [record]}`` hook of its module;
records may carry ``_span`` / ``_evidence_span`` (``[start, end)`` into ``text``), which
grounding verifies instead of searching. The whole cleaned document is one chunk.
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
    max_chunk_chars: int | None = None

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
