"""What llmx writes: one ``DocResult`` per document, one JSON line each."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Qualifier = Literal[
    "exact", "more_than", "approx", "nearly", "less_than", "at_least", "at_most", "range"
]
"""Closed set of quantity qualifiers (余/多/逾/超过/以上 -> more_than, 约/左右 -> approx, ...)."""

Grounding = Literal["exact", "normalized", "fuzzy", "anchor_only", "ungrounded"]
"""How a record's evidence was located in the source (best first)."""


class Usage(BaseModel):
    """Token usage, summed over every HTTP attempt (retries included)."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    requests: int = 0

    def add(self, other: Usage) -> None:
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        self.total_tokens += other.total_tokens
        self.requests += other.requests


class DocError(BaseModel):
    """Why a document produced no records."""

    type: str
    message: str
    retryable: bool = True


class DocMeta(BaseModel):
    """Provenance and accounting for one document."""

    backend: str
    model: str | None = None
    mode: str | None = None
    task: str
    prompt_version: str | None = None
    schema_version: str | None = None
    usage: Usage = Field(default_factory=Usage)
    attempts: int = 0
    chunks: int = 0
    cached_chunks: int = 0
    warnings: list[str] = Field(default_factory=list)
    elapsed_s: float = 0.0
    chars_in: int = 0
    chars_clean: int = 0
    encoding: str = "utf-8"
    llmx_version: str = ""
    text_sha256: str | None = None  # of Document.text: resume redoes an id whose text changed


class DocResult(BaseModel):
    """One line of llmx's JSONL output.

    The record lists are top-level keys named by the task's record kinds; their items are
    plain dicts whose fields come from the task's schema, plus the grounding fields llmx
    computes: ``span`` (``[start, end)`` of the anchor, e.g. the
    quantity expression, in ``Document.text``), ``evidence_span`` and ``grounding``.
    """

    model_config = ConfigDict(extra="allow")

    doc_id: str
    source: str
    task: str
    status: Literal["ok", "error"] = "ok"
    error: DocError | None = None
    meta: DocMeta
    fields: dict[str, Any] = Field(default_factory=dict)
    """Other fields of the input document (``Document.fields``), carried unchanged."""

    @model_validator(mode="after")
    def _records_are_lists_of_objects(self) -> DocResult:
        """Every extra key is a record list: a string or a number there is not "no records"."""
        for kind, value in (self.model_extra or {}).items():
            if not isinstance(value, list):
                raise ValueError(f"{kind!r} is a {type(value).__name__}, not a list of records")
            for i, item in enumerate(value):
                if not isinstance(item, dict):
                    raise ValueError(f"{kind}[{i}] is a {type(item).__name__}, not an object")
        return self

    def records(self, kind: str) -> list[dict[str, Any]]:
        """The records of one kind (empty if the task produced none)."""
        value = (self.model_extra or {}).get(kind, [])
        return list(value) if isinstance(value, list) else []

    def set_records(self, kind: str, records: list[dict[str, Any]]) -> None:
        setattr(self, kind, records)


def record_kinds(results: Iterable[DocResult], declared: Iterable[str] = ()) -> list[str]:
    """``declared`` (a task's kinds), then every other record list the results carry (kinds an
    older task produced), in order of appearance."""
    kinds = dict.fromkeys(declared)
    for r in results:
        kinds.update(dict.fromkeys(r.model_extra or {}))
    return list(kinds)
