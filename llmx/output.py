"""Write results as JSON lines, one per document, as the pipeline hands them over -- resumably.

``llmx extract`` hands them over in input order (:mod:`llmx.ordering`), so a killed run leaves
a prefix of the input and the resumed run appends the rest in order.

Each line goes out in one unbuffered ``write`` of a complete line, so a run killed at any
point leaves only whole lines (plus at most one torn last line, which the next run cuts off).
A write that fails (disk full, I/O error) is cut back to the last whole line before the error
is raised. ``fsync`` (which only matters for power loss) runs at most once a second and at
close: per line it cost ~5 ms and blocked the event loop (bench/README.md).

One run at a time per output (:mod:`llmx.locking`). Resume is keyed on doc id + the hash of the
document's text (:mod:`llmx.resume`): an id whose text changed is redone and its earlier line
set aside to ``<output>.rejected``, as are lines that cannot be read back.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import math
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from llmx.core.results import DocResult
from llmx.locking import OutputLock

Notice = Callable[[str], None]


class StorageError(Exception):
    """The output cannot be written; the message says what to do (one line)."""


def text_hash(text: str) -> str:
    """sha256 of a document's text (lone surrogates from a JSONL row hash as they are)."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def safe_text(s: str) -> str:
    """``s`` if it is valid Unicode, else with the undecodable bytes as ``\\xNN`` escapes.

    A file name with bytes that are not UTF-8 reaches Python as lone surrogates, which JSON
    writers refuse; the escaped form is stable, so resume still recognises the document.
    """
    try:
        s.encode("utf-8")
        return s
    except UnicodeEncodeError:
        try:
            raw = s.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:
            raw = s.encode("utf-8", "surrogatepass")
        return raw.decode("utf-8", "backslashreplace")


# -- reading ---------------------------------------------------------------------------------


def parse_line(raw: str | bytes) -> DocResult:
    """One output line as a ``DocResult``, its records checked; ValueError says what is wrong."""
    try:
        result = DocResult.model_validate_json(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise ValueError(
            f"not a DocResult line: {where + ': ' if where else ''}{err['msg']}"
        ) from None
    problem = record_problem(result)
    if problem:
        raise ValueError(problem)
    return result


def record_problem(result: DocResult) -> str | None:
    """A numeric field (as the task's RecordSpec names them) that is not a finite number."""
    specs = _specs(result.task)
    for kind, spec in specs.items():
        for i, rec in enumerate(result.records(kind)):
            for name in (spec.value, spec.value_max):
                if name is None or rec.get(name) is None:
                    continue
                v = rec[name]
                if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
                    return f"{kind}[{i}].{name} is {v!r}, not a finite number"
    return None


def _specs(task: str) -> dict[str, Any]:
    from llmx.tasks import TaskError, load_task

    try:
        return dict(load_task(task).records)
    except TaskError:
        return {}  # a task this install does not know: its records are taken as they are


def read_results(path: str | Path) -> Iterator[DocResult]:
    """The ``DocResult`` lines of a JSONL output file, in order (blank lines skipped).

    Raises:
        OSError / UnicodeDecodeError: the file cannot be read.
        ValueError: a line is not a valid ``DocResult`` (records not a list, a value that is
            not a number...) or repeats a doc_id; the message names ``path:line``.

    A folder written by ``llmx extract --engine ray`` (shards and a manifest) reads the same.
    """
    from llmx.engines.shards import is_sharded, read_sharded

    if is_sharded(path):
        yield from read_sharded(path)
        return
    yield from read_lines(
        Path(path),
        {},
        "keep one line per document (llmx extract on the same output does that when it resumes)",
    )


def read_lines(path: Path, seen: dict[str, str], unique: str) -> Iterator[DocResult]:
    """The ``DocResult`` lines of one JSONL file. ``seen`` (doc_id -> ``path:line``) may span
    several files (shards); a doc_id met twice is a ValueError ending with ``unique``."""
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            where = f"{path}:{n}"
            try:
                result = parse_line(line)
            except ValueError as exc:
                raise ValueError(f"{where}: {exc}") from None
            if result.doc_id in seen:
                first = seen[result.doc_id]
                same_file = first.rpartition(":")[0] == str(path)
                at = (
                    f"first on line {first.rpartition(':')[2]}" if same_file else f"also at {first}"
                )
                raise ValueError(
                    f"{where}: doc_id {result.doc_id!r} appears more than once ({at}); {unique}"
                )
            seen[result.doc_id] = where
            yield result


def write_results(results: Iterable[DocResult], path: str | Path) -> None:
    """Write results as JSONL in one go (the same line format as :class:`ResultWriter`)."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("wb") as fh:
        fh.writelines(result_line(r) for r in results)


def result_line(result: DocResult) -> bytes:
    result.doc_id, result.source = safe_text(result.doc_id), safe_text(result.source)
    try:
        return (result.model_dump_json() + "\n").encode("utf-8")
    except ValueError:  # a lone surrogate inside a record (a JSONL text carried one)
        clean = _escape_all(result.model_dump(mode="python"))
        return (DocResult.model_validate(clean).model_dump_json() + "\n").encode("utf-8")


def _escape_all(obj: Any) -> Any:
    if isinstance(obj, str):
        return safe_text(obj)
    if isinstance(obj, dict):
        return {safe_text(k): _escape_all(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_escape_all(v) for v in obj]
    return obj


# -- writing ---------------------------------------------------------------------------------


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def storage_error(path: Path, exc: OSError, *, written: int | None = None) -> StorageError:
    """The one line a user needs for a write failure, by cause."""
    what = exc.strerror or str(exc)
    kept = f" ({written} documents are safely in it)" if written is not None else ""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        hint = "no space left on the device: free space (or -o elsewhere) and re-run the same "
        return StorageError(f"cannot write {path}{kept}: {hint}command to resume")
    if exc.errno == errno.EFBIG:
        return StorageError(
            f"cannot write {path}{kept}: file too large for this system or limit (ulimit -f); "
            "raise the limit or split the input, then re-run the same command to resume"
        )
    if exc.errno == errno.EISDIR or path.is_dir():
        return StorageError(f"-o {path} is a folder; give a file path such as {path}/out.jsonl")
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return StorageError(f"cannot write {path}: {what}; choose a writable place with -o")
    return StorageError(f"cannot write {path}{kept}: {what}; fix that and re-run to resume")


def write_all(fd: int, data: bytes) -> None:
    """All of ``data`` to ``fd``, looping over short writes (the output, the shard manifest)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


class ResultWriter:
    """Append-only JSONL writer holding the output's lock; ``path=None``/``"-"``: stdout.

    Raises (from the constructor): :class:`llmx.locking.OutputLocked` when another run holds
    the output, :class:`StorageError` when it cannot be created or read.
    """

    def __init__(
        self, path: str | Path | None, *, retry_failed: bool = False, notice: Notice = _stderr
    ) -> None:
        from llmx.resume import ResumeState, open_for_resume

        self.path = None if path is None or str(path) == "-" else Path(path)
        self.notice = notice
        self.state = ResumeState()
        self.fsync_interval = 1.0
        self._synced = time.monotonic()
        self._changed: list[str] = []
        self._broken = False
        self._lock: OutputLock | None = None
        if self.path is None:
            self._fd = sys.stdout.buffer.fileno()
            sys.stdout.flush()
            return
        out = self.path
        try:
            if out.is_dir():
                raise IsADirectoryError(errno.EISDIR, "is a folder", str(out))
            out.parent.mkdir(parents=True, exist_ok=True)
            self._lock = OutputLock(out)
            self._lock.acquire()
            self.state = open_for_resume(out, retry_failed=retry_failed, notice=notice)
            self._fd = os.open(out, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        except OSError as exc:
            self._release()
            raise storage_error(out, exc) from None
        except BaseException:
            self._release()
            raise

    def should_skip(self, doc_id: str, text_sha256: str | None = None) -> bool:
        """Already in the output with the same text (with ``retry_failed``, failed lines are
        gone by now). An id whose text changed is redone, and said so."""
        doc_id = safe_text(doc_id)
        known = self.state.get(doc_id)
        if known is None:
            return False
        stored = known.text_sha256
        if stored is None or text_sha256 is None or stored == text_sha256:
            return True
        self._changed.append(doc_id)
        if len(self._changed) <= 10:
            self.notice(
                f"llmx: {doc_id}: text changed since it was written to {self.path} "
                f"(from {known.source}); extracting it again"
            )
        return False

    def write(self, result: DocResult) -> None:
        data = result_line(result)
        if self.path is None:
            write_all(self._fd, data)
            self.state.add(result)
            return
        start = os.lseek(self._fd, 0, os.SEEK_END)
        try:
            write_all(self._fd, data)
            if time.monotonic() - self._synced >= self.fsync_interval:
                os.fsync(self._fd)
                self._synced = time.monotonic()
        except OSError as exc:
            self._broken = True
            with contextlib.suppress(OSError):  # else the next run cuts the torn tail off
                os.ftruncate(self._fd, start)  # never leave a torn line behind
            raise storage_error(self.path, exc, written=len(self.state)) from None
        self.state.add(result)

    def close(self) -> None:
        """Sync, set aside the earlier lines of ids redone because their text changed, unlock."""
        if self.path is None:
            return
        try:
            os.fsync(self._fd)
            os.close(self._fd)
            if self._changed and not self._broken:
                from llmx.resume import set_aside_superseded

                set_aside_superseded(self.path, notice=self.notice)
        except OSError as exc:
            if not self._broken:
                raise storage_error(self.path, exc, written=len(self.state)) from None
        finally:
            self._release()
        if len(self._changed) > 10:
            self.notice(f"llmx: {len(self._changed)} documents in all had changed text; redone")

    def _release(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None
