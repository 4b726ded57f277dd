"""The documents of one planned block, read on the worker that runs it.

Text files go through llmx's own loader (``load_documents``: encodings, binary and size checks).
A JSONL block is its byte range of the file; each row becomes a document by the local loader's
rules (``id``/``text``, other keys as ``fields``; ``path:line`` as source; a row without an id
is ``stem:line``); a bad row is a ``LoadProblem``, as locally. A Parquet block is one row group
(columns ``id``, ``text``; the rest as fields).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from llmx.core.documents import Document, LoadProblem

Item = Document | LoadProblem


def block_documents(block: dict[str, Any], max_bytes: int) -> Iterator[Item]:
    kind = block["kind"]
    if kind == "files":
        from llmx.text.loading import load_documents

        return load_documents(block["paths"], max_bytes=max_bytes)
    if kind == "jsonl":
        return _jsonl_range(
            Path(block["path"]), block["start"], block["end"], block["first_line"], max_bytes
        )
    if kind == "parquet":
        return _parquet_group(Path(block["path"]), block["row_group"], max_bytes)
    raise ValueError(f"unknown block kind {kind!r}")


def _problem(source: str, message: str, kind: str) -> LoadProblem:
    return LoadProblem(source=source, message=message, details={"kind": kind})


def _jsonl_range(path: Path, start: int, end: int, first: int, max_bytes: int) -> Iterator[Item]:
    try:
        with path.open("rb") as fh:
            fh.seek(start)
            data = fh.read(end - start)
    except OSError as exc:
        yield _problem(f"{path}:{first}", f"cannot read: {exc.strerror or exc}", "io")
        return
    used: set[str] = set()
    for lineno, raw in enumerate(data.splitlines(keepends=True), start=first):
        source = f"{path}:{lineno}"
        if lineno == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        if not raw.strip():
            continue
        if len(raw) > max_bytes:
            yield _problem(source, f"{len(raw) / 1e6:.1f} MB is over the size limit", "too_large")
            continue
        try:
            row = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            yield _problem(source, f"not UTF-8: {exc.reason}", "decode")
            continue
        except json.JSONDecodeError as exc:
            yield _problem(source, f"invalid JSON: {exc.msg} (column {exc.colno})", "json")
            continue
        if not isinstance(row, dict):
            yield _problem(source, "row is not a JSON object", "json")
            continue
        yield _row_document(row, source, f"{path.stem}:{lineno}", used)


def _row_document(
    row: dict[str, Any], source: str, fallback: str, used: set[str]
) -> Document | LoadProblem:
    text = row.get("text")
    if not isinstance(text, str):
        what = "missing" if text is None else f"of type {type(text).__name__}, not string"
        return _problem(source, f'"text" is {what}', "json")
    if not text.strip():
        return _problem(source, "empty (no text)", "empty")
    row_id = row.get("id")
    doc_id = fallback if row_id is None or row_id == "" else str(row_id)
    warnings: tuple[str, ...] = ()
    if doc_id in used:  # within this block; ids must be unique across the input
        warnings = (f"id {doc_id!r} already used; this document is {fallback!r}",)
        doc_id = fallback
    used.add(doc_id)
    fields = {k: _plain(v) for k, v in row.items() if k not in ("id", "text")}
    return Document(
        id=doc_id, text=text, source=source, encoding="utf-8", warnings=warnings, fields=fields
    )


def _plain(value: Any) -> Any:
    """A Parquet value as JSON can carry it (dates and decimals as text, NaN as null)."""
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return str(value)


def _parquet_group(path: Path, group: int, max_bytes: int) -> Iterator[Item]:
    import pyarrow.parquet as pq

    table = pq.ParquetFile(path).read_row_group(group)
    offset = sum(pq.ParquetFile(path).metadata.row_group(g).num_rows for g in range(group))
    used: set[str] = set()
    for i, row in enumerate(table.to_pylist()):
        source = f"{path}#{offset + i}"
        text = row.get("text")
        if isinstance(text, str) and len(text.encode("utf-8", "surrogatepass")) > max_bytes:
            yield _problem(source, "over the size limit", "too_large")
            continue
        yield _row_document(row, source, f"{path.stem}:{offset + i}", used)
