"""``Results``: the list of ``DocResult`` that :func:`llmx.extract` returns, as tables."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from llmx.core.results import DocResult
from llmx.tables.build import DOCUMENTS, Table, build_tables
from llmx.tables.sources import SourceTexts


class Results(list[DocResult]):
    """A ``list`` of :class:`DocResult` (one per document, in input order) that converts to
    the tables ``llmx export`` writes (schema: :mod:`llmx.tables`).

    ``to_frames()`` gives every table as a pandas DataFrame, ``to_pandas(kind)`` one of them
    and ``export(path)`` writes them as CSV, Parquet or DuckDB (pandas, pyarrow and duckdb
    come with ``pip install 'llmx[tables]'``). ``span_text`` / ``evidence_text`` come from
    the documents' texts: kept from the run for :func:`llmx.extract`, read back from each
    result's source (and checked against its hash) for :func:`llmx.read_results`.
    """

    def __init__(
        self,
        results: Iterable[DocResult] = (),
        *,
        texts: Mapping[str, str] | None = None,
        folders: Iterable[Path] = (),
        task: str | None = None,
    ) -> None:
        super().__init__(results)
        self._texts = dict(texts or {})
        self._folders = list(folders)
        self._task = task

    def tables(self) -> dict[str, Table]:
        """The tables as plain Python (columns and rows), ``documents`` first."""
        sources = SourceTexts(self._folders)

        def text_of(result: DocResult) -> str | None:
            text = self._texts.get(result.doc_id)
            return text if text is not None else sources.text(result)

        return build_tables(self, text_of=text_of, task=self._task)

    def to_frames(self) -> dict[str, Any]:
        """Table name -> ``pandas.DataFrame``: ``documents`` and one per record kind."""
        from llmx.tables.frames import frames

        return frames(self.tables())

    def to_pandas(self, kind: str = DOCUMENTS) -> Any:
        """One table as a ``pandas.DataFrame``: ``"documents"`` or a record kind."""
        from llmx.tables.frames import frame

        tables = self.tables()
        if kind not in tables:
            raise KeyError(f"no table {kind!r}; the tables are {', '.join(tables)}")
        return frame(tables[kind])

    def export(self, path: str | Path, *, to: str | None = None) -> list[Path]:
        """Write the tables as ``llmx export`` does (``to``: csv, parquet or duckdb; by
        default duckdb for a ``.duckdb``/``.db`` path, else csv); returns the files written."""
        from llmx.tables.writers import write

        out = Path(path)
        return write(self.tables(), out, to or default_format(out))


def default_format(path: Path) -> str:
    return "duckdb" if path.suffix.lower() in (".duckdb", ".db") else "csv"
