"""Documents as read, cleaned views of them, and chunks.

Every offset llmx reports points into ``Document.text`` -- the text exactly as it was decoded
from the user's file. Cleaning and chunking produce *views* that carry a map back to it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Document:
    """One input document.

    Attributes:
        id: Stable identifier (file stem, or the ``id`` of a JSONL row).
        text: The text as read; every span in llmx's output indexes into this string.
        source: Where it came from (a path, or ``path:line`` for JSONL rows).
        encoding: The codec that decoded it.
        warnings: Anything the loader noticed (e.g. a non-UTF-8 encoding was guessed).
        fields: Other fields of the input (a JSONL row's ``url``, ``date``, ``source``...),
            carried unchanged to ``DocResult.fields``.
    """

    id: str
    text: str
    source: str
    encoding: str = "utf-8"
    warnings: tuple[str, ...] = ()
    fields: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Removal:
    """A stretch of the original text that cleaning dropped, and why."""

    start: int
    end: int
    reason: str  # e.g. "boilerplate", "pinyin", "duplicate", "whitespace"


@dataclass(frozen=True, slots=True)
class CleanedText:
    """A cleaned view of a document with a map back to the original.

    Attributes:
        text: The cleaned text (what the model sees).
        to_original: ``to_original[i]`` is the index in the original text of ``text[i]``;
            same length as ``text``.
        removed: What was dropped, in original coordinates.
        original_length: ``len`` of the original text (maps an end offset at the very end).
    """

    text: str
    to_original: Sequence[int]
    removed: tuple[Removal, ...] = ()
    original_length: int = 0

    @classmethod
    def identity(cls, text: str) -> CleanedText:
        """A view that changes nothing."""
        return cls(text=text, to_original=range(len(text)), original_length=len(text))

    def span_to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map a half-open ``[start, end)`` span of the cleaned text to the original text."""
        if not 0 <= start < end <= len(self.text):
            raise ValueError(f"span [{start}, {end}) outside cleaned text of {len(self.text)}")
        return self.to_original[start], self.to_original[end - 1] + 1


@dataclass(frozen=True, slots=True)
class Chunk:
    """A piece of the cleaned text sent to the model in one request.

    Attributes:
        index: Position of the chunk in the document.
        text: The chunk's text.
        start: Offset of ``text`` in the cleaned text.
        context: Tail of the previous chunk, shown to the model for reference only.
    """

    index: int
    text: str
    start: int
    context: str = ""

    @property
    def end(self) -> int:
        return self.start + len(self.text)


@dataclass(slots=True)
class LoadProblem:
    """A file or row that could not be turned into a document (reported, never fatal)."""

    source: str
    message: str
    skipped: bool = True
    details: dict[str, str] = field(default_factory=dict)
