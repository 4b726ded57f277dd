"""Gold annotations: one JSON file per document under ``evals/<task>/gold/``.

A gold file holds the same record fields llmx writes (see ``schemas/cooperation.py``) plus
hand-checked spans into the document text *as read* (the file decoded, nothing cleaned).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator


class GoldProgramme(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    name: str
    donors: list[str] = Field(default_factory=list)
    recipients: list[str] = Field(default_factory=list)
    domains: list[str] = Field(default_factory=list)
    start_date: str | None = None
    end_date: str | None = None
    evidence: str
    span: tuple[int, int]  # the name (or the evidence when the name is not verbatim)
    evidence_span: tuple[int, int]
    note: str | None = None


class GoldMetric(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subject: str
    value: float
    value_max: float | None = None
    unit: str
    qualifier: str = "exact"
    value_text: str
    evidence: str
    programme: str | None = None
    span: tuple[int, int]  # the quantity expression (value_text)
    evidence_span: tuple[int, int]
    note: str | None = None


class GoldDoc(BaseModel):
    """Hand annotations for one document."""

    model_config = ConfigDict(extra="forbid")

    doc_id: str
    source: str  # path relative to the repository root, e.g. seeds/000_....txt
    text_sha256: str  # of the document text as read (UTF-8 encoded)
    annotator: str
    programmes: list[GoldProgramme] = Field(default_factory=list)
    metrics: list[GoldMetric] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)

    @field_validator("text_sha256")
    @classmethod
    def _hex(cls, v: str) -> str:
        if len(v) != 64:
            raise ValueError("text_sha256 must be a 64-char hex digest")
        return v

    def records(self, kind: str) -> list[dict[str, Any]]:
        return [r.model_dump() for r in getattr(self, kind)]


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def read_gold(path: str | Path) -> GoldDoc:
    """Parse and validate one gold file."""
    return GoldDoc.model_validate(json.loads(Path(path).read_text(encoding="utf-8")))


def render_gold(doc: GoldDoc) -> str:
    """A gold file's text, in the one stable format every writer uses (small diffs, and
    regenerating an unchanged file is a no-op)."""
    return json.dumps(doc.model_dump(mode="json"), ensure_ascii=False, indent=2) + "\n"


def load_gold(directory: str | Path) -> dict[str, GoldDoc]:
    """Load every ``*.json`` gold file in ``directory``, keyed by doc_id."""
    out: dict[str, GoldDoc] = {}
    for path in sorted(Path(directory).glob("*.json")):
        doc = read_gold(path)
        out[doc.doc_id] = doc
    return out


def gold_json_schema() -> dict[str, Any]:
    """The JSON Schema of a gold file (written to ``evals/<task>/gold.schema.json``)."""
    return GoldDoc.model_json_schema()
