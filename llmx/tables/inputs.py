"""Which results an export reads: JSONL output files, or folders of them (shards)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from llmx.core.results import DocResult
from llmx.output import read_results
from llmx.tables.build import TableError


def result_files(inputs: Iterable[str | Path]) -> list[Path]:
    """Files as given; a folder written by ``--engine ray`` (a manifest and its shards) as one
    run; any other folder stands for its ``*.jsonl`` files, sorted by name (hidden ones
    skipped)."""
    from llmx.engines.shards import is_sharded

    files: list[Path] = []
    for item in inputs:
        path = Path(item)
        if is_sharded(path):
            files.append(path)  # read_results reads the shards the manifest names
        elif path.is_dir():
            shards = sorted(p for p in path.glob("*.jsonl") if not p.name.startswith("."))
            if not shards:
                raise TableError(f"{path} holds no *.jsonl files")
            files.extend(shards)
        elif not path.exists():
            raise TableError(f"{path}: no such file or folder")
        else:
            files.append(path)
    return files


def read_runs(files: Iterable[Path]) -> list[DocResult]:
    """Every result of every file, in order.

    Raises:
        ValueError: a line that is not an llmx result (``path:line: ...``), or a doc_id that
            appears in two files (an export has one row per document).
        OSError / UnicodeDecodeError: a file cannot be read.
    """
    results: list[DocResult] = []
    first: dict[str, Path] = {}
    for path in files:
        for result in read_results(path):
            if result.doc_id in first:
                raise TableError(
                    f"doc_id {result.doc_id!r} is in both {first[result.doc_id]} and {path}; "
                    "export overlapping runs separately"
                )
            first[result.doc_id] = path
            results.append(result)
    return results
