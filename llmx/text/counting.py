"""How many documents the inputs hold, counted cheaply before (and while) a run reads them.

A text file is one document, a JSONL file one per non-blank line, a Parquet file one per row
(from its footer) -- the same units the loader yields, so progress can say ``done / total``.
Nothing is parsed or kept: JSONL files are scanned for newlines in 1 MiB blocks. Standard
input cannot be counted ahead, and a count that runs past its time budget stops; both give no
total and say why, rather than a wrong one.
"""

from __future__ import annotations

import stat
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from llmx.core.documents import LoadProblem
from llmx.text.loading import _BOM, input_entries, is_jsonl, is_parquet
from llmx.text.tables import count_rows

_BLOCK = 1 << 20


@dataclass(frozen=True, slots=True)
class Count:
    """``total`` documents, or None with ``why`` there is none."""

    total: int | None
    why: str | None = None


class _OutOfTime(Exception):
    pass


def count_documents(
    inputs: Iterable[str | Path], *, budget_s: float = 10.0, stop: threading.Event | None = None
) -> Count:
    """The number of documents (and unreadable files or rows) ``load_documents`` will yield.

    Gives up (no total) after ``budget_s`` seconds, or as soon as ``stop`` is set.
    """
    stop = stop or threading.Event()
    deadline = time.monotonic() + budget_s

    def out_of_time() -> bool:
        return stop.is_set() or time.monotonic() > deadline

    total = 0
    try:
        for entry in input_entries(inputs):
            if out_of_time():
                raise _OutOfTime
            if isinstance(entry, LoadProblem):
                continue  # a missing input or empty folder holds no documents
            if isinstance(entry, str):
                return Count(None, "standard input is not counted ahead")
            file = entry[0]
            if is_jsonl(file):
                if not _regular(file):
                    return Count(None, f"{file} is not a regular file")  # reading would eat it
                total += _count_rows(file, out_of_time)
            elif is_parquet(file):
                total += count_rows(file)  # the row count is in the file's footer
            else:
                total += 1
    except _OutOfTime:
        return Count(None, f"counting stopped after {budget_s:g} s")
    return Count(total)


def _regular(file: Path) -> bool:
    try:
        return stat.S_ISREG(file.stat().st_mode)
    except OSError:
        return True  # unreadable: counted as nothing, the loader reports it


def _count_rows(file: Path, out_of_time: Callable[[], bool]) -> int:
    """Non-blank lines of a JSONL file (what the loader yields a row for); 0 if unreadable."""
    rows = 0
    open_line = False  # the line the previous block ended in has text
    try:
        with file.open("rb") as fh:
            first = True
            while block := fh.read(_BLOCK):
                if first:
                    block, first = block.removeprefix(_BOM), False
                lines = block.split(b"\n")
                for i, line in enumerate(lines[:-1]):
                    rows += bool(line.strip()) or (i == 0 and open_line)
                if len(lines) > 1:
                    open_line = False
                open_line = open_line or bool(lines[-1].strip())
                if out_of_time():
                    raise _OutOfTime
    except OSError:
        return 0  # the loader reports it (as one problem for the whole file)
    return rows + open_line
