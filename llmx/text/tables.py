"""Parquet inputs: one document per row, read in batches (never the whole file at once).

Needs pyarrow, the optional ``llmx[tables]`` extra; without it a Parquet input is one problem
line that says what to install, and the run goes on. Rows are read like JSONL rows: the text
and id columns are chosen by ``--text-field`` / ``--id-field``; the other columns go to
``DocResult.fields`` as JSON values (dates and times as ISO strings, decimals as strings).
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from llmx.core.documents import Document, LoadProblem
from llmx.text.loading import TABLE_SUFFIXES, Fields, _Ids, _too_large, row_document

PARQUET_SUFFIXES = TABLE_SUFFIXES  # the loader's list, by the name the Ray plan imports
_BATCH_ROWS = 256
_NEEDS = "reading Parquet needs pyarrow: pip install 'llmx[tables]'"


def count_rows(file: Path) -> int:
    """Rows in a Parquet file, from its footer (nothing else is read); 0 if unreadable."""
    try:
        import pyarrow.parquet as pq

        return int(pq.ParquetFile(file).metadata.num_rows)
    except Exception:  # no pyarrow, or not Parquet: the loader reports it, as one problem
        return 0


def load_parquet(
    file: Path, ids: _Ids, max_bytes: int, fields: Fields
) -> Iterator[Document | LoadProblem]:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        yield LoadProblem(
            source=str(file), message=_NEEDS, details={"kind": "io", "scope": "input"}
        )
        return
    try:
        table = pq.ParquetFile(file)
    except Exception as exc:  # pyarrow raises its own types for a damaged or foreign file
        yield LoadProblem(
            source=str(file),
            message=f"not a readable Parquet file: {exc}",
            details={"kind": "decode", "scope": "input"},
        )
        return
    if fields.text not in table.schema_arrow.names:
        columns = ", ".join(table.schema_arrow.names[:8])
        yield LoadProblem(
            source=str(file),
            message=f'no "{fields.text}" column (columns: {columns}; choose the text column '
            "with --text-field)",
            details={"kind": "json", "scope": "input"},
        )
        return
    number = 0
    for batch in table.iter_batches(batch_size=_BATCH_ROWS):
        for row in batch.to_pylist():
            number += 1
            yield parquet_row(row, file, number, ids, max_bytes, fields)
    if number == 0:
        yield LoadProblem(
            source=str(file), message="empty (no rows)", details={"kind": "empty", "scope": "input"}
        )


def parquet_row(
    row: dict[str, Any], file: Path, number: int, ids: _Ids, max_bytes: int, fields: Fields
) -> Document | LoadProblem:
    """Row ``number`` (from 1) of ``file`` as a document (the Ray engine's blocks use it too)."""
    source = f"{file}:{number}"
    text = row.get(fields.text)
    if isinstance(text, str) and len(text) > max_bytes // 4:  # cheap test first
        size = len(text.encode("utf-8", "surrogatepass"))
        if size > max_bytes:
            return _too_large(source, size, max_bytes)
    return row_document(_jsonable(row), source, file.stem, number, ids, fields)


def _jsonable(value: Any) -> Any:
    """A column value as JSON can carry it (the output line must serialise)."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return value
