"""What an existing output already holds, and tidying it before a run appends to it.

Called with the output's lock held (:mod:`llmx.locking`), so rewriting the file cannot drop
another run's lines. A line that does not read back as a ``DocResult`` (cut in half, garbage,
a hand edit gone wrong) and an earlier line of a doc id that appears again later are moved to
``<output>.rejected`` -- written and synced there before the output is replaced, so a kill at
any moment loses nothing. A torn last line (a run killed mid-write) is simply cut off.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from llmx.core.results import DocResult
from llmx.output import parse_line


@dataclass(frozen=True, slots=True)
class Entry:
    status: str
    text_sha256: str | None
    source: str


@dataclass(slots=True)
class ResumeState:
    """Doc id -> the latest line written for it."""

    entries: dict[str, Entry] = field(default_factory=dict)

    def get(self, doc_id: str) -> Entry | None:
        return self.entries.get(doc_id)

    def add(self, result: DocResult) -> None:
        self.entries[result.doc_id] = _entry(result)

    @property
    def done(self) -> list[str]:
        return [k for k, e in self.entries.items() if e.status == "ok"]

    @property
    def failed(self) -> list[str]:
        return [k for k, e in self.entries.items() if e.status != "ok"]

    def __len__(self) -> int:
        return len(self.entries)


def _entry(result: DocResult) -> Entry:
    return Entry(result.status, result.meta.text_sha256, result.source)


def rejected_path(output: Path) -> Path:
    return output.with_name(output.name + ".rejected")


def open_for_resume(
    path: Path, *, retry_failed: bool, notice: Callable[[str], None]
) -> ResumeState:
    """Read ``path`` (if any), set aside what cannot be kept, and return what is done."""
    state = ResumeState()
    if not path.exists():
        return state
    data = path.read_bytes()
    good_end = data.rfind(b"\n") + 1  # everything after the last newline is a torn line
    keep: dict[str, tuple[bytes, Entry]] = {}  # doc id -> its last line (records not kept)
    unreadable: list[tuple[int, bytes, str]] = []
    superseded: list[bytes] = []
    for n, raw in enumerate(data[:good_end].splitlines(keepends=True), 1):
        if not raw.strip():
            continue
        try:
            result = parse_line(raw)
        except ValueError as exc:
            unreadable.append((n, raw, str(exc)))
            continue
        earlier = keep.pop(result.doc_id, None)
        if earlier is not None:
            superseded.append(earlier[0])
        keep[result.doc_id] = (raw, _entry(result))
    dropped = 0
    if retry_failed:
        for doc_id in [k for k, (_raw, e) in keep.items() if e.status != "ok"]:
            del keep[doc_id]  # redone by this run
            dropped += 1
    state.entries = {doc_id: entry for doc_id, (_raw, entry) in keep.items()}
    if unreadable or superseded or dropped or good_end < len(data):
        aside = [raw for _n, raw, _why in unreadable] + superseded
        _rewrite(path, [raw for raw, _r in keep.values()], aside)
    if unreadable or superseded:
        parts = []
        if unreadable:
            n, _raw, why = unreadable[0]
            parts.append(
                f"{len(unreadable)} unreadable line(s) (first: line {n}: {why[:80]}); "
                "those documents are redone"
            )
        if superseded:
            parts.append(f"{len(superseded)} earlier line(s) of documents written again later")
        notice(
            f"llmx: set aside {' and '.join(parts)} -- moved from {path} to {rejected_path(path)}"
        )
    return state


def set_aside_superseded(path: Path, *, notice: Callable[[str], None]) -> None:
    """After a run that redid changed documents: keep only the last line of each doc id."""
    data = path.read_bytes()
    last: dict[str, int] = {}
    lines = data.splitlines(keepends=True)
    ids: list[str | None] = []
    for i, raw in enumerate(lines):
        try:
            doc_id: str | None = parse_line(raw).doc_id if raw.strip() else None
        except ValueError:
            doc_id = None
        ids.append(doc_id)
        if doc_id is not None:
            last[doc_id] = i
    latest = [doc_id is None or last[doc_id] == i for i, doc_id in enumerate(ids)]
    aside = [raw for raw, keep_it in zip(lines, latest, strict=True) if not keep_it]
    if not aside:
        return
    keep = [raw for raw, keep_it in zip(lines, latest, strict=True) if keep_it]
    _rewrite(path, keep, aside)
    notice(
        f"llmx: {len(aside)} earlier result(s) of documents whose text changed moved from "
        f"{path} to {rejected_path(path)}"
    )


def _rewrite(path: Path, keep: list[bytes], aside: list[bytes]) -> None:
    if aside:
        with rejected_path(path).open("ab") as fh:
            fh.writelines(raw if raw.endswith(b"\n") else raw + b"\n" for raw in aside)
            fh.flush()
            os.fsync(fh.fileno())
    tmp = path.with_name(path.name + ".tmp")
    try:
        with tmp.open("wb") as fh:
            fh.writelines(keep)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)  # the output itself is untouched
        raise
