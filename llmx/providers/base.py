"""The interface every backend implements."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from llmx.core.documents import Chunk, Document
from llmx.core.results import Usage

if TYPE_CHECKING:
    from llmx.tasks import Task


@dataclass(slots=True)
class ChunkOutput:
    """What a backend returns for one chunk.

    Attributes:
        records: Record kind -> list of records, each a dict with the task schema's fields.
            A backend that already knows where a record is (the rules backend) may add
            ``_span`` / ``_evidence_span``: ``[start, end)`` offsets into ``chunk.text``;
            grounding verifies them instead of searching.
        usage: Tokens spent, summed over every HTTP attempt.
        attempts: HTTP requests made (0 for a cache hit or a local backend).
        cached: True when served from the response cache.
        mode: The output mode that produced it (tools / json_schema / json / md_json).
        warnings: Anything worth surfacing in ``meta.warnings``.
    """

    records: dict[str, list[dict[str, Any]]]
    usage: Usage = field(default_factory=Usage)
    attempts: int = 0
    cached: bool = False
    mode: str | None = None
    warnings: list[str] = field(default_factory=list)


class ChunkError(Exception):
    """A chunk failed for good (after retries); ``type`` classifies it for the output."""

    def __init__(
        self,
        type_: str,
        message: str,
        *,
        retryable: bool,
        usage: Usage,
        attempts: int,
        mode: str | None = None,
    ):
        super().__init__(message)
        self.mode = mode
        self.type = type_
        self.retryable = retryable
        self.usage = usage
        self.attempts = attempts
        self.leader: object = None  # the task whose requests these were (single-flight)

    def copy_without_usage(self) -> ChunkError:
        """The same failure for a caller that shared another's request (nothing spent)."""
        return ChunkError(
            self.type, str(self), retryable=self.retryable, usage=Usage(), attempts=0,
            mode=self.mode,
        )  # fmt: skip


class FatalEndpointError(Exception):
    """Retrying cannot help and no later document can succeed (wrong key, path or model, nothing
    listening, or the circuit breaker opened): the run stops; its message is one line that
    names the URL and the setting to check. Nothing about the document is written, so a re-run
    resumes where this one stopped."""


@runtime_checkable
class Backend(Protocol):
    """A source of records for a chunk of cleaned text."""

    name: str
    model: str | None
    max_chunk_chars: int | None  # None: the whole cleaned document is one chunk

    async def extract_chunk(self, task: Task, chunk: Chunk, doc: Document) -> ChunkOutput: ...

    async def aclose(self) -> None: ...
