"""Results -> tables of plain Python rows (the schema is in :mod:`llmx.tables`).

Nothing here imports pandas or pyarrow: CSV needs no extra, and the writers and frame
builders only convert these rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from llmx.core.results import DocResult, record_kinds
from llmx.tables.columns import Column, ColumnType, convert, from_annotation, infer
from llmx.tasks import Task, TaskError, load_task

DOCUMENTS = "documents"
GROUNDING_KEYS = ("span", "evidence_span", "grounding")  # what llmx adds to every record
SPAN_COLUMNS: tuple[Column, ...] = (
    Column("span_start", "integer"),
    Column("span_end", "integer"),
    Column("evidence_start", "integer"),
    Column("evidence_end", "integer"),
    Column("grounding", "string"),
    Column("span_text", "string"),
    Column("evidence_text", "string"),
)
DOCUMENT_COLUMNS: tuple[Column, ...] = (
    Column("doc_id", "string"),
    Column("source", "string"),
    Column("task", "string"),
    Column("status", "string"),
    Column("error_type", "string"),
    Column("error_message", "string"),
    Column("error_retryable", "boolean"),
    Column("backend", "string"),
    Column("model", "string"),
    Column("mode", "string"),
    Column("prompt_version", "string"),
    Column("schema_version", "string"),
    Column("llmx_version", "string"),
    Column("attempts", "integer"),
    Column("chunks", "integer"),
    Column("cached_chunks", "integer"),
    Column("requests", "integer"),
    Column("prompt_tokens", "integer"),
    Column("completion_tokens", "integer"),
    Column("total_tokens", "integer"),
    Column("elapsed_s", "float"),
    Column("chars_in", "integer"),
    Column("chars_clean", "integer"),
    Column("encoding", "string"),
    Column("text_sha256", "string"),
    Column("warnings", "list<string>"),
)

TextOf = Callable[[DocResult], "str | None"]


class TableError(ValueError):
    """The results cannot form one set of tables (e.g. runs of two different tasks)."""


@dataclass(frozen=True, slots=True)
class Table:
    """A table as plain Python: typed columns and rows of values in column order."""

    name: str
    columns: tuple[Column, ...]
    rows: list[tuple[Any, ...]]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> list[Any]:
        i = self.names.index(name)
        return [row[i] for row in self.rows]

    def dicts(self) -> list[dict[str, Any]]:
        names = self.names
        return [dict(zip(names, row, strict=True)) for row in self.rows]


@dataclass(frozen=True, slots=True)
class _Field:
    key: str  # the record's key
    column: Column  # its column (renamed when the name is taken)


def build_tables(
    results: Sequence[DocResult], *, text_of: TextOf | None = None, task: str | None = None
) -> dict[str, Table]:
    """The ``documents`` table, then one table per record kind (the task's order: a kind
    after the kinds it links to). ``text_of`` gives a result's document text (for
    ``span_text``); ``task`` names the task when ``results`` is empty.

    Raises:
        TableError: the results come from more than one task.
    """
    names = sorted({r.task for r in results})
    if len(names) > 1:
        raise TableError(
            f"results of {len(names)} tasks ({', '.join(names)}); export one task at a time"
        )
    spec = _load(names[0] if names else task)
    kinds = record_kinds(results, spec.kinds if spec is not None else ())  # old kinds too
    fields = {kind: _record_fields(results, kind, spec) for kind in kinds}
    texts = _texts(results, kinds, text_of)
    tables = {DOCUMENTS: _documents(results, kinds)}
    taken = {DOCUMENTS}  # a kind called "documents" must not replace the documents table
    for kind in kinds:
        name = _unique(kind, taken)
        tables[name] = _records(name, results, kind, fields, spec, texts)
    return tables


def _load(name: str | None) -> Task | None:
    if name is None:
        return None
    try:
        return load_task(name)
    except TaskError:
        return None  # a task this install lacks: columns come from the records themselves


def _unique(name: str, taken: set[str]) -> str:
    """``name``, or ``name_2``, ``name_3``... when it is taken; marks it taken."""
    out, n = name, 1
    while out in taken:
        n += 1
        out = f"{name}_{n}"
    taken.add(out)
    return out


def _record_fields(results: Sequence[DocResult], kind: str, task: Task | None) -> list[_Field]:
    """The record fields of ``kind`` as columns: the model's fields in declaration order, then
    keys only the records carry (e.g. fields a task hook adds), in order of appearance."""
    declared: dict[str, ColumnType | None] = {}
    if task is not None and kind in task.records:
        try:
            model = task.record_model(kind)
            declared = {k: from_annotation(f.annotation) for k, f in model.model_fields.items()}
        except TaskError:
            pass
    keys = list(declared)
    for r in results:
        for rec in r.records(kind):
            keys.extend(k for k in rec if k not in keys and k not in GROUNDING_KEYS)
    taken = {"doc_id", "record_index", *(c.name for c in SPAN_COLUMNS)}
    out = []
    for key in keys:
        values = (rec.get(key) for r in results for rec in r.records(kind))
        out.append(_Field(key, Column(_unique(key, taken), infer(values, declared.get(key)))))
    return out


def _texts(
    results: Sequence[DocResult], kinds: list[str], text_of: TextOf | None
) -> dict[str, str | None]:
    if text_of is None:
        return {}
    return {
        r.doc_id: text_of(r) for r in results if any(r.records(kind) for kind in kinds)
    }  # only documents with records need their text


def _documents(results: Sequence[DocResult], kinds: list[str]) -> Table:
    taken = {c.name for c in DOCUMENT_COLUMNS}
    counts = [Column(_unique(f"n_{kind}", taken), "integer") for kind in kinds]
    keys: list[str] = []
    for r in results:
        keys.extend(k for k in r.fields if k not in keys)
    inputs: list[_Field] = []
    for key in keys:
        name = f"input_{key}" if key in taken else key  # e.g. a JSONL row's own "source"
        column = Column(_unique(name, taken), infer(r.fields.get(key) for r in results))
        inputs.append(_Field(key, column))
    rows = []
    for r in results:
        m, e = r.meta, r.error
        row: list[Any] = [
            r.doc_id, r.source, r.task, r.status,
            e.type if e else None, e.message if e else None, e.retryable if e else None,
            m.backend, m.model, m.mode, m.prompt_version, m.schema_version, m.llmx_version,
            m.attempts, m.chunks, m.cached_chunks, m.usage.requests, m.usage.prompt_tokens,
            m.usage.completion_tokens, m.usage.total_tokens, m.elapsed_s, m.chars_in,
            m.chars_clean, m.encoding, m.text_sha256, list(m.warnings),
        ]  # fmt: skip
        row += [len(r.records(kind)) for kind in kinds]
        row += [convert(r.fields.get(f.key), f.column.type) for f in inputs]
        rows.append(tuple(row))
    columns = (*DOCUMENT_COLUMNS, *counts, *(f.column for f in inputs))
    return Table(DOCUMENTS, columns, rows)


def _records(
    name: str,
    results: Sequence[DocResult],
    kind: str,
    fields: dict[str, list[_Field]],
    task: Task | None,
    texts: dict[str, str | None],
) -> Table:
    own = fields[kind]
    joins = _joins(kind, fields, task, {"doc_id", "record_index", *_names(own, SPAN_COLUMNS)})
    targets = {target for _, target, _ in joins}
    rows = []
    wanted = {t: [f for _, tt, picked in joins if tt == t for f in picked] for t in targets}
    for r in results:
        index = {t: _by_id(r, t, task, wanted[t]) for t in targets}
        text = texts.get(r.doc_id)
        for i, rec in enumerate(r.records(kind)):
            row: list[Any] = [r.doc_id, i]
            row += [convert(rec.get(f.key), f.column.type) for f in own]
            row += _grounding(rec, text)
            for link, target, picked in joins:
                key = _key(rec.get(link))
                linked = index[target].get(key, {}) if key is not None else {}
                row += [linked.get(f.key) for f in picked]
            rows.append(tuple(row))
    columns = [Column("doc_id", "string"), Column("record_index", "integer")]
    columns += [f.column for f in own]
    columns += SPAN_COLUMNS
    columns += [f.column for _, _, picked in joins for f in picked]
    return Table(name, tuple(columns), rows)


def _names(fields: Iterable[_Field], extra: Iterable[Column]) -> set[str]:
    return {f.column.name for f in fields} | {c.name for c in extra}


def _joins(
    kind: str, fields: dict[str, list[_Field]], task: Task | None, taken: set[str]
) -> list[tuple[str, str, list[_Field]]]:
    """Per link field of ``kind`` (RecordSpec.links): the linked kind and its fields joined
    here as ``<link>_<field>`` -- every field but its id and nested (json) ones."""
    if task is None or kind not in task.records:
        return []
    out = []
    for link, target in task.records[kind].links.items():
        id_field = task.records[target].id if target in task.records else None
        if id_field is None or target not in fields:
            continue  # nothing to look the link up by
        picked = [
            _Field(f.key, Column(_unique(f"{link}_{f.key}", taken), f.column.type))
            for f in fields[target]
            if f.key != id_field and f.column.type != "json"
        ]
        out.append((link, target, picked))
    return out


def _by_id(
    r: DocResult, kind: str, task: Task | None, fields: list[_Field]
) -> dict[str, dict[str, Any]]:
    """A document's records of ``kind`` by id: the ``fields`` joined from them, converted."""
    assert task is not None  # joins exist only for a loaded task
    id_field = task.records[kind].id
    out: dict[str, dict[str, Any]] = {}
    for rec in r.records(kind):
        key = _key(rec.get(id_field or ""))
        if key is not None:
            out.setdefault(key, {f.key: convert(rec.get(f.key), f.column.type) for f in fields})
    return out


def _key(value: Any) -> str | None:
    return None if value is None or isinstance(value, dict | list) else str(value)


def _grounding(rec: dict[str, Any], text: str | None) -> list[Any]:
    span, evidence = _pair(rec.get("span")), _pair(rec.get("evidence_span"))
    grounding = rec.get("grounding")
    return [
        *(span or (None, None)),
        *(evidence or (None, None)),
        grounding if isinstance(grounding, str) else None,
        _slice(text, span),
        _slice(text, evidence),
    ]


def _pair(value: Any) -> tuple[int, int] | None:
    ok = isinstance(value, list | tuple) and len(value) == 2
    if ok and all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        return int(value[0]), int(value[1])
    return None


def _slice(text: str | None, span: tuple[int, int] | None) -> str | None:
    if text is None or span is None or not 0 <= span[0] <= span[1] <= len(text):
        return None
    return text[span[0] : span[1]]
