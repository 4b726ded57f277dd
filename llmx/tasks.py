"""Tasks are data: a Pydantic schema (``schemas/<name>.py``) plus prompt templates and few-shot
examples (``prompts/<name>/``). This module finds and loads them; nothing task-specific lives in
``llmx/``.

Search order for a task: directories in ``$LLMX_TASK_PATH`` (``os.pathsep``-separated roots
holding ``schemas/`` and ``prompts/``), the current directory, then the built-in copy shipped
with llmx (the repository root in a checkout, ``llmx/_builtin`` in a wheel).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import sys
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from types import ModuleType
from typing import Any

import jinja2
from pydantic import BaseModel


class TaskError(Exception):
    """A task could not be found or is malformed."""


@dataclass(frozen=True, slots=True)
class RecordSpec:
    """How llmx grounds and links one record kind (declared in the schema's ``RECORDS``)."""

    kind: str
    quote: str
    anchor: str
    anchor_required: bool = True
    id: str | None = None
    link: str | None = None
    value: str | None = None  # numeric field checked against the quantity parsed from the anchor
    value_max: str | None = None  # upper bound of a range, checked the same way
    unit: str | None = None  # unit field, checked against the parsed quantity's unit


@dataclass(frozen=True)
class Task:
    """A loaded task.

    Attributes:
        name: Task name (``cooperation``).
        response_model: Pydantic model the model must fill for each chunk.
        records: Record kind -> how to ground it.
        system_template / user_template: Jinja2 templates rendering the chat messages.
        examples: Few-shot examples (``{"text": ..., "output": {...}}``), hand-written.
        prompt_version: Hash of the templates and examples (part of the cache key).
        schema_version: Declared ``VERSION`` plus a hash of the JSON schema.
        root: Where the task was found.
    """

    name: str
    response_model: type[BaseModel]
    records: dict[str, RecordSpec]
    system_template: jinja2.Template
    user_template: jinja2.Template
    examples: list[dict[str, Any]] = field(default_factory=list)
    prompt_version: str = ""
    schema_version: str = ""
    root: Path = Path()

    @cached_property
    def json_schema(self) -> dict[str, Any]:
        return self.response_model.model_json_schema()


def _builtin_roots() -> list[Path]:
    pkg = Path(__file__).resolve().parent
    return [pkg / "_builtin", pkg.parent]


def task_roots() -> list[Path]:
    """Directories searched for ``schemas/`` and ``prompts/``, in order."""
    env = [Path(p) for p in os.environ.get("LLMX_TASK_PATH", "").split(os.pathsep) if p]
    return [*env, Path.cwd(), *_builtin_roots()]


def _find_root(name: str) -> Path:
    for root in task_roots():
        if (root / "schemas" / f"{name}.py").is_file() and (root / "prompts" / name).is_dir():
            return root
    searched = ", ".join(str(r) for r in task_roots())
    raise TaskError(
        f"task {name!r} not found: need schemas/{name}.py and prompts/{name}/ under one of: "
        f"{searched} (set LLMX_TASK_PATH to add a root)"
    )


def _import_schema(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"llmx_task_schema_{name}", path)
    if spec is None or spec.loader is None:
        raise TaskError(f"cannot import schema {path}")
    module = importlib.util.module_from_spec(spec)
    # Registered before executing so Pydantic can resolve postponed annotations.
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # a user's schema file: report, don't explode
        del sys.modules[spec.name]
        raise TaskError(f"schema {path} failed to import: {exc}") from exc
    return module


def _digest(*parts: str) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()[:12]


@cache
def load_task(name: str = "cooperation") -> Task:
    """Find and load a task by name (cached per process)."""
    root = _find_root(name)
    schema_path = root / "schemas" / f"{name}.py"
    module = _import_schema(schema_path, name)
    model = getattr(module, "RESPONSE_MODEL", None)
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        raise TaskError(f"{schema_path}: RESPONSE_MODEL must be a Pydantic model class")
    raw_records = getattr(module, "RECORDS", None)
    if not isinstance(raw_records, dict) or not raw_records:
        raise TaskError(f"{schema_path}: RECORDS must map record kinds to grounding specs")
    records: dict[str, RecordSpec] = {}
    for kind, spec in raw_records.items():
        if kind not in model.model_fields:
            raise TaskError(f"{schema_path}: RECORDS names {kind!r}, not a field of the model")
        try:
            records[kind] = RecordSpec(kind=kind, **spec)
        except TypeError as exc:
            raise TaskError(f"{schema_path}: bad RECORDS[{kind!r}]: {exc}") from exc

    prompt_dir = root / "prompts" / name
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(prompt_dir),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,  # prompts are plain text, never HTML
    )
    # Chinese stays readable in prompts (Jinja's own tojson escapes it to \uXXXX, tripling tokens).
    env.filters["tojson"] = lambda value, indent=None: json.dumps(
        value, ensure_ascii=False, indent=indent
    )
    try:
        system = env.get_template("system.j2")
        user = env.get_template("user.j2")
    except jinja2.TemplateError as exc:
        raise TaskError(f"{prompt_dir}: {exc}") from exc
    examples_path = prompt_dir / "examples.json"
    examples = json.loads(examples_path.read_text("utf-8")) if examples_path.exists() else []
    for i, ex in enumerate(examples):
        try:
            model.model_validate(ex["output"])
        except Exception as exc:
            raise TaskError(f"{examples_path}: example {i} does not fit the schema: {exc}") from exc

    prompt_sources = [(prompt_dir / f).read_text("utf-8") for f in ("system.j2", "user.j2")] + [
        json.dumps(examples, ensure_ascii=False, sort_keys=True)
    ]
    schema_json = json.dumps(model.model_json_schema(), ensure_ascii=False, sort_keys=True)
    return Task(
        name=name,
        response_model=model,
        records=records,
        system_template=system,
        user_template=user,
        examples=examples,
        prompt_version=_digest(*prompt_sources),
        schema_version=f"{getattr(module, 'VERSION', '0')}-{_digest(schema_json)}",
        root=root,
    )
