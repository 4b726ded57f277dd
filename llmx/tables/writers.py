"""Tables -> CSV files, Parquet files or one DuckDB database.

Every file is written beside its final name first, and only once all are written are they
renamed over the old ones, so a failed export (a full disk) never leaves a half-written table,
nor new tables beside old ones. A DuckDB export replaces its tables in
one transaction and leaves any other table in the database alone.
"""

from __future__ import annotations

import contextlib
import csv
import importlib
import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from llmx.output import safe_text
from llmx.tables.build import Table
from llmx.tables.columns import ColumnType

FORMATS = ("csv", "parquet", "duckdb")
INSTALL = "pip install 'llmx[tables]'"


class MissingExtra(ImportError):
    """An optional table library is not installed; the message says what to install."""


def require(module: str, what: str) -> Any:
    """Import ``module`` or say, in one line, which extra brings it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingExtra(f"{what} needs {module.split('.')[0]}: {INSTALL}") from None


def check_extra(to: str) -> None:
    """Raise :class:`MissingExtra` now if format ``to`` needs a library that is missing."""
    if to == "parquet":
        require("pyarrow.parquet", "--to parquet")
    elif to == "duckdb":
        require("duckdb", "--to duckdb")
        require("pyarrow", "--to duckdb")


def write(tables: Mapping[str, Table], path: Path, to: str) -> list[Path]:
    """Write ``tables`` as format ``to``; returns the files written."""
    if to not in FORMATS:
        raise ValueError(f"unknown table format {to!r}; use one of {', '.join(FORMATS)}")
    if to == "duckdb":
        return [write_duckdb(tables, path)]
    writer: Callable[[Table, Path], None] = _write_csv if to == "csv" else _parquet_writer()
    if path.exists() and not path.is_dir():
        raise NotADirectoryError(20, "is a file, not a folder", str(path))
    path.mkdir(parents=True, exist_ok=True)
    finals = [path / f"{name}.{to}" for name in tables]
    tmps = [f.with_name(f".{f.name}.{os.getpid()}.tmp") for f in finals]
    try:
        for table, tmp in zip(tables.values(), tmps, strict=True):
            writer(table, tmp)
        for tmp, final in zip(tmps, finals, strict=True):
            os.replace(tmp, final)
    finally:
        for tmp in tmps:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
    return finals


# -- CSV ---------------------------------------------------------------------------------


def _write_csv(table: Table, path: Path) -> None:
    """UTF-8 (no BOM), a header row; lists and nested values as JSON text, null as ''."""
    kinds = [c.type for c in table.columns]
    with path.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow([safe_text(name) for name in table.names])
        for row in table.rows:
            out.writerow([_cell(v, k) for v, k in zip(row, kinds, strict=True)])


def _cell(value: Any, kind: ColumnType) -> str:
    if value is None:
        return ""
    if kind == "boolean":
        return "true" if value else "false"
    if kind.startswith("list<"):
        return safe_text(json.dumps(value, ensure_ascii=False))
    if kind == "float":
        return repr(float(value))
    return safe_text(str(value))


def _encodable(value: Any, kind: ColumnType) -> Any:
    """A lone surrogate (a JSONL text can carry one into the API's results) as ``\\xNN``
    escapes of its bytes, as llmx's JSONL output writes it: UTF-8 writers refuse it."""
    if value is None:
        return None
    if kind in ("string", "json"):
        return safe_text(value)
    if kind == "list<string>":
        return [safe_text(v) for v in value]
    return value


# -- Arrow: Parquet and DuckDB -----------------------------------------------------------


def arrow_table(table: Table) -> Any:
    """The table as a ``pyarrow.Table`` with the schema's types."""
    pa = require("pyarrow", "this format")
    types = {
        "string": pa.string(),
        "integer": pa.int64(),
        "float": pa.float64(),
        "boolean": pa.bool_(),
        "list<string>": pa.list_(pa.string()),
        "list<integer>": pa.list_(pa.int64()),
        "list<float>": pa.list_(pa.float64()),
        "json": pa.string(),
    }
    schema = pa.schema([pa.field(safe_text(c.name), types[c.type]) for c in table.columns])
    columns = list(zip(*table.rows, strict=True)) if table.rows else [()] * len(table.columns)
    arrays = [
        pa.array([_encodable(v, c.type) for v in values], type=types[c.type])
        for values, c in zip(columns, table.columns, strict=True)
    ]
    return pa.Table.from_arrays(arrays, schema=schema)


def _parquet_writer() -> Callable[[Table, Path], None]:
    pq = require("pyarrow.parquet", "--to parquet")

    def write_parquet(table: Table, path: Path) -> None:
        pq.write_table(arrow_table(table), path)

    return write_parquet


def write_duckdb(tables: Mapping[str, Table], path: Path) -> Path:
    """One table per entry in ``path`` (created if missing), replaced in one transaction."""
    duckdb = require("duckdb", "--to duckdb")
    require("pyarrow", "--to duckdb")
    if path.is_dir():
        raise IsADirectoryError(21, "is a folder, not a database file", str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(path))
    except duckdb.Error as exc:
        raise OSError(f"cannot open {path} with DuckDB: {_first_line(exc)}") from None
    try:
        con.execute("BEGIN TRANSACTION")
        for name, table in tables.items():
            con.register("llmx_export_source", arrow_table(table))
            con.execute(
                f"CREATE OR REPLACE TABLE {_ident(name)} AS SELECT * FROM llmx_export_source"
            )
            con.unregister("llmx_export_source")
        con.execute("COMMIT")
    except duckdb.Error as exc:
        with contextlib.suppress(duckdb.Error):
            con.execute("ROLLBACK")
        raise OSError(f"cannot write {path}: {_first_line(exc)}") from None
    finally:
        con.close()
    return path


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
