"""Write results as JSON lines, one per document, as each document completes -- resumably.

Each line goes out in a single ``write`` of a complete line and is flushed at once, so a run
killed at any point leaves only whole lines (plus at most one torn last line, which the next
run detects and cuts off). ``fsync`` (which only matters for power loss) runs at most once a
second and at close: per line it cost ~5 ms and blocked the event loop (bench/README.md).

Re-running skips every document already written; with ``retry_failed`` the error lines are
dropped (atomically: temp file + rename) and redone.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from llmx.core.results import DocResult


@dataclass(slots=True)
class ResumeState:
    """What an existing output file already holds."""

    done: set[str] = field(default_factory=set)
    failed: set[str] = field(default_factory=set)
    torn_bytes: int = 0


def read_results(path: str | Path) -> Iterator[DocResult]:
    """The ``DocResult`` lines of a JSONL output file, in order (blank lines skipped).

    Raises:
        OSError / UnicodeDecodeError: the file cannot be read.
        ValueError: a line is not a valid ``DocResult``; the message names ``path:line``.
    """
    with Path(path).open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                yield DocResult.model_validate_json(line)
            except ValueError as exc:
                first = str(exc).strip().splitlines()[0]
                raise ValueError(f"{path}:{n}: not a DocResult line: {first}") from exc


def write_results(results: Iterable[DocResult], path: str | Path) -> None:
    """Write results as JSONL in one go (the same line format as :class:`ResultWriter`)."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("wb") as fh:
        fh.writelines(_line(r) for r in results)


def _line(result: DocResult) -> bytes:
    return (result.model_dump_json() + "\n").encode("utf-8")


def read_resume_state(path: Path) -> ResumeState:
    state = ResumeState()
    if not path.exists():
        return state
    with path.open("rb") as fh:
        data = fh.read()
    good_end = data.rfind(b"\n") + 1  # everything after the last newline is a torn line
    state.torn_bytes = len(data) - good_end
    for raw in data[:good_end].splitlines():
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError:
            continue  # a corrupt line never blocks a resume; the doc is simply redone
        doc_id = obj.get("doc_id")
        if not isinstance(doc_id, str):
            continue
        (state.done if obj.get("status") == "ok" else state.failed).add(doc_id)
    state.failed -= state.done
    return state


class ResultWriter:
    """Append-only JSONL writer; ``path=None`` or ``"-"`` writes to stdout."""

    def __init__(self, path: str | Path | None, *, retry_failed: bool = False) -> None:
        self.path = None if path is None or str(path) == "-" else Path(path)
        self.state = ResumeState()
        self.fsync_interval = 1.0
        self._synced = time.monotonic()
        self._fh: IO[bytes]
        if self.path is None:
            self._fh = sys.stdout.buffer
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.state = read_resume_state(self.path)
        if self.state.torn_bytes:
            with self.path.open("r+b") as fh:
                fh.truncate(self.path.stat().st_size - self.state.torn_bytes)
        if retry_failed and self.state.failed:
            self._drop_lines(self.state.failed)
        self._fh = self.path.open("ab")

    def should_skip(self, doc_id: str) -> bool:
        """Already in the output (with ``retry_failed`` the failed lines are gone by now)."""
        return doc_id in self.state.done or doc_id in self.state.failed

    def write(self, result: DocResult) -> None:
        self._fh.write(_line(result))
        self._fh.flush()
        if self.path is not None and time.monotonic() - self._synced >= self.fsync_interval:
            os.fsync(self._fh.fileno())
            self._synced = time.monotonic()
        (self.state.done if result.status == "ok" else self.state.failed).add(result.doc_id)

    def close(self) -> None:
        if self.path is not None:
            self._fh.flush()
            os.fsync(self._fh.fileno())
            self._fh.close()

    def _drop_lines(self, doc_ids: set[str]) -> None:
        assert self.path is not None
        tmp = self.path.with_suffix(self.path.suffix + ".tmp")
        with self.path.open("rb") as src, tmp.open("wb") as dst:
            for raw in src:
                try:
                    if json.loads(raw).get("doc_id") in doc_ids:
                        continue
                except json.JSONDecodeError:
                    continue
                dst.write(raw)
            dst.flush()
            os.fsync(dst.fileno())
        os.replace(tmp, self.path)
        self.state.failed -= doc_ids
