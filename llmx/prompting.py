"""Render a task's templates into chat messages for one chunk."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from llmx.core.documents import Chunk
from llmx.tasks import Task


def _field_docs(task: Task) -> dict[str, dict[str, str]]:
    """Record kind -> field name -> description, read from the schema (one source of truth)."""
    docs: dict[str, dict[str, str]] = {}
    for kind in task.records:
        annotation = task.response_model.model_fields[kind].annotation
        item = getattr(annotation, "__args__", (None,))[0]
        if isinstance(item, type) and issubclass(item, BaseModel):
            docs[kind] = {name: f.description or name for name, f in item.model_fields.items()}
    return docs


_SYSTEM: dict[tuple[str, str, str], str] = {}


def _system_message(task: Task) -> str:
    """The system message, rendered once per task (it depends on templates, examples and
    schema only, which prompt_version and schema_version hash)."""
    key = (task.name, task.prompt_version, task.schema_version)
    if key not in _SYSTEM:
        _SYSTEM[key] = task.system_template.render(
            field_docs=_field_docs(task), examples=task.examples
        )
    return _SYSTEM[key]


def render_messages(
    task: Task, chunk: Chunk, *, quantities: list[str] | None = None
) -> list[dict[str, Any]]:
    """The chat messages for one chunk.

    Args:
        task: The loaded task.
        chunk: The chunk to extract from (its ``context`` is shown as reference only).
        quantities: Optional numbered list of the quantity expressions found in the chunk, so
            the model accounts for each and cannot cite a number the source lacks.
    """
    system = _system_message(task)
    user = task.user_template.render(
        text=chunk.text, context=chunk.context, quantities=quantities or []
    )
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]
