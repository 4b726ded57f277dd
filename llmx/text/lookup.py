"""Find each document's text again: the run stores offsets into it, never the text itself.

Two ways, tried in order: the inputs given on the command line (loaded as ``llmx extract``
loads them, so ids match), then the result's ``source`` (a path, or ``path:line`` for a JSONL
row), looked up as written and beside the run file. A text found is checked against the
run's ``meta.text_sha256`` before its spans are trusted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from llmx.core.documents import Document
from llmx.core.results import DocResult
from llmx.output import safe_text, text_hash
from llmx.text.loading import is_jsonl, load_documents

TextState = Literal["verified", "unverified", "changed", "missing"]
"""verified: the hash matches; unverified: the run has no hash to check (an old run);
changed: a text was found but differs from the one extracted; missing: none found."""


@dataclass(frozen=True, slots=True)
class FoundText:
    text: str | None
    state: TextState
    where: str = ""  # the file it came from


class TextFinder:
    """Texts by doc id from ``inputs``, else from each result's ``source``; files read once."""

    def __init__(self, inputs: Iterable[str | Path] = (), bases: Iterable[Path] = ()) -> None:
        self.problems: list[str] = []
        self._by_id: dict[str, Document] = {}
        for doc in load_documents(list(inputs)):
            if isinstance(doc, Document):
                self._by_id.setdefault(safe_text(doc.id), doc)  # as the run wrote the id
            else:
                self.problems.append(f"{doc.source}: {doc.message}")
        self._bases = [Path(), *bases]
        self._files: dict[Path, tuple[dict[str, Document], dict[str, Document]]] = {}

    def find(self, result: DocResult) -> FoundText:
        want = result.meta.text_sha256
        found: list[Document] = []
        for where in ("inputs", "source"):  # the source is read only when the inputs fail
            doc = self._by_id.get(result.doc_id) if where == "inputs" else self._from_source(result)
            if doc is None:
                continue
            if want is None:
                return FoundText(doc.text, "unverified", doc.source)
            if text_hash(doc.text) == want:
                return FoundText(doc.text, "verified", doc.source)
            found.append(doc)
        if found:
            return FoundText(None, "changed", found[0].source)
        return FoundText(None, "missing")

    def _from_source(self, result: DocResult) -> Document | None:
        source = result.source
        if not source:
            return None
        head, _, tail = source.rpartition(":")
        names = [(source, "")] + ([(head, tail)] if head and tail.isdigit() else [])
        for name, line in names:
            for base in self._bases:
                path = Path(name) if Path(name).is_absolute() else base / name
                docs, by_line = self._file(path)
                if not docs:
                    continue
                if not is_jsonl(path) and len(docs) == 1:
                    return next(iter(docs.values()))
                if result.doc_id in docs:
                    return docs[result.doc_id]
                if line in by_line:  # the row the run names (its id may have been renamed)
                    return by_line[line]
        return None

    def _file(self, path: Path) -> tuple[dict[str, Document], dict[str, Document]]:
        """A file's documents by id (as the run writes ids) and by JSONL line number."""
        key = path.resolve() if path.exists() else path
        if key not in self._files:
            docs: dict[str, Document] = {}
            lines: dict[str, Document] = {}
            if path.is_file():
                for doc in load_documents([path]):
                    if isinstance(doc, Document):
                        docs.setdefault(safe_text(doc.id), doc)
                        lines[doc.source.rpartition(":")[2]] = doc
            self._files[key] = (docs, lines)
        return self._files[key]
