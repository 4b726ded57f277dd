"""``llmx export RUN.jsonl [RUN2.jsonl | DIR ...] --to csv|parquet|duckdb -o OUT``: tidy tables.

Writes the ``documents`` table and one table per record kind of the run's task (schema:
:mod:`llmx.tables`): ``--to csv`` / ``--to parquet`` one file per table in the folder OUT
(created if missing; files of the same name are replaced), ``--to duckdb`` one database file
OUT whose tables of those names are replaced in one transaction (other tables in it are kept).
Without ``--to``: duckdb for an OUT ending in ``.duckdb`` or ``.db``, else csv.

Exit codes: 0 written; 1 nothing to export or bad input (not an llmx output, runs of two tasks,
a doc_id in two files, an empty run, a missing extra: one line each); 6 OUT cannot be written
(a file where a folder is needed, a folder where a database is, not a DuckDB database, a
read-only place).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

EXIT_INPUT = 1
EXIT_STORAGE = 6


def command(
    runs: Annotated[
        list[Path], typer.Argument(help="llmx output JSONL files, or folders of *.jsonl shards.")
    ],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Folder (csv, parquet) or .duckdb file.")
    ],
    to: Annotated[
        str | None,
        typer.Option("--to", help="csv | parquet | duckdb (default: from -o's suffix)."),
    ] = None,
) -> None:
    """Export llmx results as tables: documents plus one table per record kind."""
    from rich.console import Console

    from llmx.tables.build import build_tables
    from llmx.tables.inputs import read_runs, result_files
    from llmx.tables.results import default_format
    from llmx.tables.sources import SourceTexts
    from llmx.tables.writers import FORMATS, MissingExtra, check_extra, write

    err = Console(stderr=True, soft_wrap=True)

    def fail(message: str, code: int) -> typer.Exit:
        err.print(f"llmx export: {message}", markup=False, highlight=False)
        return typer.Exit(code)

    fmt = to or default_format(output)
    if fmt not in FORMATS:
        raise fail(f"--to {fmt}: use one of {', '.join(FORMATS)}", EXIT_INPUT)
    if fmt != "duckdb" and output.suffix.lower() in (".csv", ".parquet"):
        folder = output.with_suffix("")
        raise fail(
            f"--to {fmt} writes one file per table: give -o a folder (e.g. {folder})", EXIT_INPUT
        )
    try:
        check_extra(fmt)  # before reading anything
    except MissingExtra as exc:
        raise fail(str(exc), EXIT_INPUT) from None
    try:
        files = result_files(runs)
        results = read_runs(files)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise fail(f"{exc}", EXIT_INPUT) from None
    if not results:
        raise fail(f"no results in {', '.join(map(str, files))}; nothing to export", EXIT_INPUT)
    sources = SourceTexts(sorted({f.parent for f in files}))
    try:
        tables = build_tables(results, text_of=sources.text)
        del results  # the tables hold what is written: halves the peak for a large run
        written = write(tables, output, fmt)
    except ValueError as exc:
        raise fail(str(exc), EXIT_INPUT) from None
    except OSError as exc:
        raise fail(_storage_message(output, fmt, exc), EXIT_STORAGE) from None
    counts = ", ".join(f"{name} {len(t.rows)}" for name, t in tables.items())
    where = output if fmt == "duckdb" else f"{output}/ ({len(written)} files)"
    err.print(f"llmx export: {counts} -> {where} ({fmt})", markup=False, highlight=False)
    if sources.missing:
        err.print(
            f"llmx export: span_text and evidence_text are empty for {sources.missing} "
            "documents: their source is not where the run read it (from here or from the "
            "results' folder), or its text changed since",
            markup=False,
            highlight=False,
        )


def _storage_message(output: Path, fmt: str, exc: OSError) -> str:
    if isinstance(exc, NotADirectoryError) and output.is_file():
        return f"-o {output} is a file; --to {fmt} writes one file per table into a folder"
    if isinstance(exc, IsADirectoryError):
        return f"-o {output} is a folder; --to duckdb writes one database file (e.g. run.duckdb)"
    if exc.strerror:
        return f"cannot write {exc.filename or output}: {exc.strerror}"
    return str(exc)
