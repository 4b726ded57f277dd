"""The documents of one planned block, read on the worker that runs it.

Every row goes through the local loader's own code (``llmx.text.loading``), so a block yields
what ``load_documents`` yields for the same rows: text files through ``load_documents``; a JSONL
block (a byte range of the file) through its row reader, numbered from the block's first line;
a Parquet block (one row group) through its row rules (``id``, ``text``; the rest as fields).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from llmx.core.documents import Document, LoadProblem
from llmx.text.loading import Fields, _Ids, _jsonl_rows, load_documents
from llmx.text.tables import parquet_row

Item = Document | LoadProblem


def block_documents(block: dict[str, Any], max_bytes: int) -> Iterator[Item]:
    kind = block["kind"]
    if kind == "files":
        return load_documents(block["paths"], max_bytes=max_bytes)
    if kind == "jsonl":
        return _jsonl_range(
            Path(block["path"]), block["start"], block["end"], block["first_line"], max_bytes
        )
    if kind == "parquet":
        return _parquet_group(Path(block["path"]), block["row_group"], max_bytes)
    raise ValueError(f"unknown block kind {kind!r}")


def _jsonl_range(path: Path, start: int, end: int, first: int, max_bytes: int) -> Iterator[Item]:
    try:
        with path.open("rb") as fh:
            fh.seek(start)
            data = fh.read(end - start)
    except OSError as exc:
        yield LoadProblem(
            source=f"{path}:{first}",
            message=f"cannot read: {exc.strerror or exc}",
            details={"kind": "io"},
        )
        return
    lines = data.splitlines(keepends=True)
    yield from _jsonl_rows(lines, str(path), path.stem, _Ids(), max_bytes, Fields(), first=first)


def _parquet_group(path: Path, group: int, max_bytes: int) -> Iterator[Item]:
    import pyarrow.parquet as pq

    file = pq.ParquetFile(path)
    offset = sum(file.metadata.row_group(g).num_rows for g in range(group))
    ids, fields = _Ids(), Fields()
    for number, row in enumerate(file.read_row_group(group).to_pylist(), start=offset + 1):
        yield parquet_row(row, path, number, ids, max_bytes, fields)
