"""Sharded output: one JSONL shard per input block, and a manifest that says which are done.

The commit protocol, which is what makes a cluster run exactly-once:

1. a worker writes its block's results to ``shards/<block>.jsonl.<unique>.tmp``, fsyncs it and
   renames it to ``shards/<block>.jsonl`` (atomic: a reader sees the whole shard or none);
2. the driver then appends the block's manifest line (one ``write`` of a whole line, fsynced).

A block is done only when its manifest line is there and its shard has the size that line
records. A worker killed before step 1 leaves only a ``.tmp`` (ignored, swept on resume); one
killed between 1 and 2 leaves a shard no manifest line names (ignored; the redone block
renames its own over it). A block is therefore redone, never doubled. Readers read the shards
the manifest names, nothing else. No Ray import here: ``llmx eval`` and ``llmx review`` read a
sharded output without Ray installed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from llmx.core.results import DocResult
from llmx.output import read_lines, write_all

MANIFEST = "manifest.jsonl"
SHARDS = "shards"


def is_sharded(path: str | Path) -> bool:
    return Path(path).is_dir() and (Path(path) / MANIFEST).is_file()


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_shard(out_dir: str | Path, block: str, lines: Iterable[bytes]) -> dict[str, Any]:
    """Write a block's result lines as its shard, atomically; its manifest entry (unwritten)."""
    folder = Path(out_dir) / SHARDS
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / f"{block}.jsonl"
    tmp = folder / f"{block}.jsonl.{uuid.uuid4().hex}.tmp"  # one per attempt: retries never mix
    digest = hashlib.sha256()
    size = docs = 0
    try:
        with tmp.open("wb") as fh:
            for line in lines:
                fh.write(line)
                digest.update(line)
                size += len(line)
                docs += 1
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, final)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_dir(folder)
    return {
        "block": block,
        "shard": f"{SHARDS}/{final.name}",
        "docs": docs,
        "bytes": size,
        "sha256": digest.hexdigest(),
    }


class Manifest:
    """``manifest.jsonl`` of an output folder; only the driver appends to it."""

    def __init__(self, out_dir: str | Path, *, repair: bool = True) -> None:
        self.dir = Path(out_dir)
        self.path = self.dir / MANIFEST
        self.entries: dict[str, dict[str, Any]] = {}
        self._load(repair)

    def _load(self, repair: bool) -> None:
        if not self.path.exists():
            return
        data = self.path.read_bytes()
        whole = data[: data.rfind(b"\n") + 1]  # a torn last line (driver killed mid-write)
        if repair and len(whole) != len(data):
            with self.path.open("r+b") as fh:  # cut it off: that block is simply redone
                fh.truncate(len(whole))
        for line in whole.splitlines():
            if line.strip():
                entry = json.loads(line)
                self.entries[entry["block"]] = entry  # a redone block: its last line counts

    def done(self, block: str) -> dict[str, Any] | None:
        """The block's entry if its shard is there, whole, as committed."""
        entry = self.entries.get(block)
        if entry is None:
            return None
        try:
            size = (self.dir / entry["shard"]).stat().st_size
        except OSError:
            return None
        return entry if size == entry["bytes"] else None

    def append(self, entry: dict[str, Any]) -> None:
        line = (json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            write_all(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)
        self.entries[entry["block"]] = entry

    def sweep_temporaries(self) -> int:
        """Remove ``.tmp`` files left by killed workers (called with the output locked)."""
        removed = 0
        for tmp in (self.dir / SHARDS).glob("*.tmp"):
            with contextlib.suppress(OSError):
                tmp.unlink()
                removed += 1
        return removed


def read_sharded(out_dir: str | Path) -> Iterator[DocResult]:
    """Every result of a sharded output, block by block, from the shards its manifest names.

    Raises ValueError (naming ``shard:line``) for a bad line or a doc_id seen twice, and
    OSError for a shard the manifest names that cannot be read, as ``read_results`` does.
    """
    manifest = Manifest(out_dir, repair=False)  # a reader never writes
    seen: dict[str, str] = {}
    for block in sorted(manifest.entries):
        entry = manifest.entries[block]
        shard = manifest.dir / entry["shard"]
        yield from read_lines(shard, seen, "ids must be unique across the input")
