"""Turn user inputs (files, folders, globs, JSONL) into documents.

PLACEHOLDER: UTF-8 only until the real loader lands (issue #3).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from llmx.core.documents import Document, LoadProblem


def load_documents(inputs: Iterable[str | Path]) -> Iterator[Document | LoadProblem]:
    """Yield a document (or a problem report) per file / JSONL row, lazily."""
    for item in inputs:
        path = Path(item)
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for f in files:
            try:
                yield Document(id=f.stem, text=f.read_bytes().decode("utf-8"), source=str(f))
            except (OSError, UnicodeDecodeError) as exc:
                yield LoadProblem(source=str(f), message=str(exc))
