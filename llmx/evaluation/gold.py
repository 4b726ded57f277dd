"""Gold annotations: one JSON file per document under ``evals/<task>/gold/``.

The gold format is derived from the task, never restated: a gold file holds, for every record
kind, the fields of the task's record model (``RESPONSE_MODEL``'s list items) plus the spans
llmx would compute -- ``span`` (the anchor) and ``evidence_span`` (the quote), ``[start, end)``
into the document text *as read* (the file decoded, nothing cleaned) -- and an optional
``note``. Its JSON Schema comes from :func:`gold_json_schema`.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model, field_validator

from llmx.tasks import Task, load_task


class GoldDoc(BaseModel):
    """Hand annotations for one document; a task's gold model adds one list per record kind."""

    model_config = ConfigDict(extra="forbid")

    doc_id: str
    source: str  # path relative to the repository root, e.g. seeds/000_....txt
    text_sha256: str  # of the document text as read (UTF-8 encoded)
    annotator: str
    notes: list[str] = Field(default_factory=list)

    @field_validator("text_sha256")
    @classmethod
    def _hex(cls, v: str) -> str:
        if len(v) != 64:
            raise ValueError("text_sha256 must be a 64-char hex digest")
        return v

    def records(self, kind: str) -> list[dict[str, Any]]:
        """The gold records of one kind as plain dicts (empty for an unknown kind)."""
        return [r.model_dump() for r in getattr(self, kind, None) or []]


_SPAN_FIELDS: dict[str, Any] = {
    "span": (tuple[int, int], Field(description="[start, end) of the anchor in the text as read")),
    "evidence_span": (tuple[int, int], Field(description="[start, end) of the quote")),
    "note": (str | None, Field(default=None, description="the annotator's reasoning")),
}
"""What a gold record adds to the task's record model (after the task's own fields)."""


def _gold_record(item: type[BaseModel]) -> type[BaseModel]:
    namespace: dict[str, Any] = {
        "__module__": __name__,
        "__annotations__": {name: kind for name, (kind, _) in _SPAN_FIELDS.items()},
        "model_config": ConfigDict(extra="forbid"),
        **{name: info for name, (_, info) in _SPAN_FIELDS.items()},
    }
    return type(f"Gold{item.__name__}", (item,), namespace)


@cache
def gold_model(task: Task) -> type[GoldDoc]:
    """The gold file model of a task: :class:`GoldDoc` plus one list per record kind."""
    fields: dict[str, Any] = {}
    for kind in task.records:
        record = _gold_record(task.record_model(kind))
        fields[kind] = (list[record], Field(default_factory=list))  # type: ignore[valid-type]
    name = "".join(part.capitalize() for part in task.name.split("_")) + "Gold"
    return create_model(name, __base__=GoldDoc, **fields)


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _task(task: Task | str | None) -> Task:
    return task if isinstance(task, Task) else load_task(task)


def parse_gold(data: dict[str, Any], task: Task | str | None) -> GoldDoc:
    """Validate one gold document's data against the task's gold model."""
    return gold_model(_task(task)).model_validate(data)


def read_gold(path: str | Path, task: Task | str | None) -> GoldDoc:
    """Parse and validate one gold file."""
    return parse_gold(json.loads(Path(path).read_text(encoding="utf-8")), task)


def render_gold(doc: GoldDoc) -> str:
    """A gold file's text, in the one stable format every writer uses (small diffs, and
    regenerating an unchanged file is a no-op)."""
    return json.dumps(doc.model_dump(mode="json"), ensure_ascii=False, indent=2) + "\n"


def load_gold(directory: str | Path, task: Task | str | None) -> dict[str, GoldDoc]:
    """Load every ``*.json`` gold file in ``directory``, keyed by doc_id."""
    out: dict[str, GoldDoc] = {}
    for path in sorted(Path(directory).glob("*.json")):
        doc = read_gold(path, task)
        out[doc.doc_id] = doc
    return out


def gold_json_schema(task: Task | str | None) -> dict[str, Any]:
    """The JSON Schema of a task's gold file (written to ``evals/<task>/gold.schema.json``)."""
    return gold_model(_task(task)).model_json_schema()
