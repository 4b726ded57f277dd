"""Turn user inputs (files, folders, globs, JSONL, standard input) into documents, lazily.

Every problem (missing file, binary file, undecodable bytes, empty text, a broken JSONL
line, a file over the size limit) becomes a :class:`LoadProblem` in the stream and the rest
goes on; nothing here raises for bad input. The document text is exactly the decoded string
(no newline translation), because every span llmx reports indexes into it.
"""

from __future__ import annotations

import glob
import io
import json
import os
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from llmx.core.documents import Document, LoadProblem
from llmx.text.script import HAN

TEXT_SUFFIXES = frozenset({".txt", ".md", ".text"})
JSONL_SUFFIXES = frozenset({".jsonl"})
TABLE_SUFFIXES = frozenset({".parquet"})  # read by llmx.text.tables (pyarrow, llmx[tables])
DEFAULT_MAX_BYTES = 20_000_000

_GLOB_CHARS = re.compile(r"[*?\[]")
_SNIFF = 8192  # bytes looked at to tell binary from text
_BOM = b"\xef\xbb\xbf"  # UTF-8 byte-order mark


class DecodeError(ValueError):
    """Bytes that are not text llmx can read (binary, or no known encoding fits)."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name}: {reason}")
        self.name = name
        self.reason = reason


# --- decoding -----------------------------------------------------------------------------


def _looks_binary(data: bytes) -> bool:
    head = data[:_SNIFF]
    if b"\x00" in head:
        return True
    controls = sum(1 for b in head if b < 32 and b not in b"\t\n\r\x0b\x0c\x1b")
    return controls > max(4, len(head) // 20)


def _common_han(char: str) -> bool:
    """Is ``char`` a frequent Han character (GB2312 level 1 or Big5 level 1)?"""
    try:
        gb = char.encode("gb2312")
        if 0xB0 <= gb[0] <= 0xD7:
            return True
    except UnicodeEncodeError:
        pass
    try:
        big5 = char.encode("big5")
        return 0xA440 <= int.from_bytes(big5, "big") <= 0xC67E
    except UnicodeEncodeError:
        return False


def _plausibility(text: str) -> float:
    """Share of non-ASCII characters that are common Han characters or CJK punctuation."""
    sample = [c for c in text[:20_000] if not c.isascii()]
    if not sample:
        return 1.0
    good = 0
    for c in sample:
        code = ord(c)
        punctuation = (
            0x3000 <= code <= 0x303F or 0xFF00 <= code <= 0xFFEF or 0x2010 <= code <= 0x2027
        )
        if punctuation or (HAN.match(c) and _common_han(c)):
            good += 1
    return good / len(sample)


def decode_bytes(data: bytes, name: str) -> tuple[str, str, list[str]]:
    """Decode a file's bytes: UTF-8 first, else the most plausible Chinese legacy encoding.

    Returns ``(text, encoding, warnings)``. A UTF-8 byte-order mark is dropped (encoding
    ``utf-8-sig``); UTF-16 with a byte-order mark is read too. Otherwise GB18030 (GBK)
    and Big5 are tried strictly and the one whose characters are most often common Han
    characters wins; a warning names it.

    Raises:
        DecodeError: ``data`` looks binary, or no encoding decodes it plausibly.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16", [f"{name}: decoded as UTF-16 (BOM found)"]
        except UnicodeDecodeError as exc:
            raise DecodeError(name, "has a UTF-16 byte-order mark but is not UTF-16") from exc
    if _looks_binary(data):
        raise DecodeError(name, "looks like a binary file (NUL or control bytes), not text")
    if data.startswith(_BOM):
        try:
            return data.removeprefix(_BOM).decode("utf-8"), "utf-8-sig", []
        except UnicodeDecodeError:
            pass  # a stray BOM on non-UTF-8 bytes: fall through to the legacy codecs
    else:
        try:
            return data.decode("utf-8"), "utf-8", []
        except UnicodeDecodeError:
            pass

    best: tuple[float, str, str] | None = None
    for codec in ("gbk", "gb18030", "big5", "big5hkscs"):
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        score = _plausibility(text)
        if best is None or score > best[0]:
            best = (score, codec, text)
        if codec == "gbk" and score >= 0.9:
            break  # GB18030 only adds rare characters to GBK; no need to try it
    if best is None or best[0] < 0.5:
        raise DecodeError(
            name,
            "not UTF-8, and neither GB18030/GBK nor Big5 decodes it as plausible "
            "Chinese text; convert it to UTF-8",
        )
    score, codec, text = best
    label = {"gbk": "GBK", "gb18030": "GB18030", "big5": "Big5", "big5hkscs": "Big5-HKSCS"}
    return text, codec, [f"{name}: not UTF-8; decoded as {label[codec]} ({score:.0%} common)"]


# --- inputs -------------------------------------------------------------------------------


def _hidden(name: str) -> bool:
    return name.startswith(".")


def _walk(folder: Path) -> Iterator[Path]:
    """Text and JSONL files under ``folder``, recursively, sorted, hidden entries skipped."""
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not _hidden(d))
        for name in sorted(files):
            suffix = os.path.splitext(name)[1].lower()
            known = suffix in TEXT_SUFFIXES or suffix in JSONL_SUFFIXES or suffix in TABLE_SUFFIXES
            if not _hidden(name) and known:
                yield Path(root, name)


def _expand(item: str | Path) -> Iterator[tuple[Path, Path | None] | LoadProblem]:
    """Files named by one input, each with the folder it was found under (None if named)."""
    path = Path(item)
    if path.is_dir():
        found = False
        for file in _walk(path):
            found = True
            yield file, path
        if not found:
            yield LoadProblem(
                source=str(path),
                message="folder has no .txt/.md/.text/.jsonl/.parquet files",
                details={"kind": "empty_folder", "scope": "input"},
            )
    elif path.exists():
        yield path, None
    elif _GLOB_CHARS.search(str(item)):
        matches = sorted(glob.iglob(str(item), recursive=True))
        if not matches:
            yield LoadProblem(
                source=str(item),
                message="no files match this pattern",
                details={"kind": "glob", "scope": "input"},
            )
        for match in matches:
            if _hidden(os.path.basename(match)):
                continue
            if os.path.isdir(match):
                yield from _expand(match)
            else:
                yield Path(match), None
    else:
        yield LoadProblem(
            source=str(item),
            message="no such file or folder",
            details={"kind": "missing", "scope": "input"},
        )


class _Ids:
    """Hands out document ids, unique within one run."""

    def __init__(self) -> None:
        self._used: set[str] = set()

    def claim(self, *candidates: str) -> tuple[str, str | None]:
        """The first free candidate (else the first with ``~N``), and a note if renamed."""
        for candidate in candidates:
            if candidate not in self._used:
                break
        else:
            n = 2
            while f"{candidates[0]}~{n}" in self._used:
                n += 1
            candidate = f"{candidates[0]}~{n}"
        self._used.add(candidate)
        note = (
            None
            if candidate == candidates[0]
            else f"id {candidates[0]!r} already used; this document is {candidate!r}"
        )
        return candidate, note


def _relative_id(file: Path, root: Path | None) -> tuple[str, str]:
    """Path-based ids for a file: without and with its suffix."""
    try:
        rel = file.relative_to(root) if root is not None else file.resolve().relative_to(Path.cwd())
    except ValueError:
        rel = file
    return rel.with_suffix("").as_posix(), rel.as_posix()


def _too_large(source: str, size: int, max_bytes: int) -> LoadProblem:
    return LoadProblem(
        source=source,
        message=(
            f"{size / 1e6:.1f} MB is over the {max_bytes / 1e6:.1f} MB limit; raise max_bytes "
            f"(e.g. max_bytes={max(size + 1, 2 * max_bytes)}) to load it"
        ),
        details={"kind": "too_large", "size": str(size), "max_bytes": str(max_bytes)},
    )


def _load_text(file: Path, root: Path | None, ids: _Ids, max_bytes: int) -> Document | LoadProblem:
    source = str(file)
    try:
        size = file.stat().st_size
        if size > max_bytes:
            return _too_large(source, size, max_bytes)
        data = file.read_bytes()
    except OSError as exc:
        return LoadProblem(
            source=source, message=f"cannot read: {exc.strerror or exc}", details={"kind": "io"}
        )
    return _from_bytes(data, source, ids, file.stem, *_relative_id(file, root))


def _from_bytes(data: bytes, source: str, ids: _Ids, *id_candidates: str) -> Document | LoadProblem:
    """One text document from its bytes; the id is the first free candidate."""
    try:
        text, encoding, warnings = decode_bytes(data, source)
    except DecodeError as exc:
        return LoadProblem(source=source, message=exc.reason, details={"kind": "decode"})
    if not text.strip():
        return LoadProblem(source=source, message="empty (no text)", details={"kind": "empty"})
    doc_id, note = ids.claim(*id_candidates)
    if note:
        warnings.append(note)
    return Document(
        id=doc_id, text=text, source=source, encoding=encoding, warnings=tuple(warnings)
    )


@dataclass(frozen=True, slots=True)
class Fields:
    """Which keys of a JSONL row hold the document's id and text."""

    id: str = "id"
    text: str = "text"


def _load_jsonl(
    file: Path, ids: _Ids, max_bytes: int, fields: Fields
) -> Iterator[Document | LoadProblem]:
    """One document per JSONL row; a bad row is a problem, not fatal."""
    try:
        handle = file.open("rb")
    except OSError as exc:
        yield LoadProblem(
            source=str(file),
            message=f"cannot read: {exc.strerror or exc}",
            details={"kind": "io", "scope": "input"},
        )
        return
    with handle:
        yield from _jsonl_rows(handle, str(file), file.stem, ids, max_bytes, fields)


def _jsonl_rows(
    lines: Iterable[bytes],
    name: str,
    stem: str,
    ids: _Ids,
    max_bytes: int,
    fields: Fields,
    *,
    first: int = 1,
) -> Iterator[Document | LoadProblem]:
    """Documents from the rows of ``{id, text, ...}`` lines (``first``: the number of the first
    line, for a slice of a file); other keys go to ``fields``."""
    rows = 0
    for lineno, raw in enumerate(lines, start=first):
        source = f"{name}:{lineno}"
        if lineno == 1:
            raw = raw.removeprefix(_BOM)
        if not raw.strip():
            continue
        rows += 1
        if len(raw) > max_bytes:
            yield _too_large(source, len(raw), max_bytes)
            continue
        row = _parse_row(raw, source)
        if isinstance(row, LoadProblem):
            yield row
            continue
        yield row_document(row, source, stem, lineno, ids, fields)
    if not rows:
        yield LoadProblem(
            source=name, message="empty (no rows)", details={"kind": "empty", "scope": "input"}
        )


def row_document(
    row: dict[str, Any], source: str, stem: str, number: int, ids: _Ids, fields: Fields
) -> Document | LoadProblem:
    """Row ``number`` of table ``stem`` (JSONL, Parquet) as a document; keys other than the id
    and text go to ``fields``. A row without an id is named ``stem:number``."""
    text = row.get(fields.text)
    if not isinstance(text, str):
        return _no_text(row, source, fields)
    if not text.strip():
        return LoadProblem(source=source, message="empty (no text)", details={"kind": "empty"})
    row_id = row.get(fields.id)
    fallback_id = f"{stem}:{number}"
    if row_id is None or row_id == "":
        doc_id, note = ids.claim(fallback_id)
    else:
        doc_id, note = ids.claim(str(row_id), f"{stem}:{row_id}", fallback_id)
    return Document(
        id=doc_id,
        text=text,
        source=source,
        encoding="utf-8",
        warnings=(note,) if note else (),
        fields={k: v for k, v in row.items() if k not in (fields.id, fields.text)},
    )


def _parse_row(raw: bytes, source: str) -> dict[str, Any] | LoadProblem:
    try:
        row = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        return LoadProblem(
            source=source, message=f"not UTF-8: {exc.reason}", details={"kind": "decode"}
        )
    except json.JSONDecodeError as exc:
        return LoadProblem(
            source=source,
            message=f"invalid JSON: {exc.msg} (column {exc.colno})",
            details={"kind": "json"},
        )
    if not isinstance(row, dict):
        return LoadProblem(
            source=source, message="row is not a JSON object", details={"kind": "json"}
        )
    return row


def _no_text(row: dict[str, Any], source: str, fields: Fields) -> LoadProblem:
    """The row has no string under the text field: say which keys it does have."""
    value = row.get(fields.text)
    what = "missing" if value is None else f"of type {type(value).__name__}, not string"
    keys = ", ".join(str(k) for k in list(row)[:8]) + (", ..." if len(row) > 8 else "")
    hint = f" (row keys: {keys}; choose the text key with --text-field)" if row else ""
    return LoadProblem(
        source=source, message=f'"{fields.text}" is {what}{hint}', details={"kind": "json"}
    )


# --- standard input -----------------------------------------------------------------------

STDIN = "-"
STDIN_SOURCE = "<stdin>"


def _first_char(head: bytes) -> bytes:
    """The first non-blank byte (after a UTF-8 byte-order mark), or b"" if none yet."""
    return head.removeprefix(_BOM).lstrip()[:1]


def _read_some(stream: BinaryIO, size: int) -> bytes:
    """What is available now, up to ``size`` bytes (a pipe: without waiting for ``size``)."""
    read1 = getattr(stream, "read1", None)
    return bytes(read1(size) if read1 is not None else stream.read(size))


class _Prefixed(io.RawIOBase):
    """A stream that first returns bytes already read, then reads on from ``rest``."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self._head = memoryview(head)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data: bytes | memoryview
        if self._head:
            data, self._head = self._head[: len(buffer)], self._head[len(buffer) :]
        else:
            data = _read_some(self._rest, len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _load_stdin(
    stream: BinaryIO, ids: _Ids, max_bytes: int, fields: Fields
) -> Iterator[Document | LoadProblem]:
    """Standard input: JSONL rows if its first non-blank character is ``{``, else one text
    document with id ``stdin``. Rows are read one at a time (never the whole stream)."""
    head = b""
    while not _first_char(head):  # nothing but blanks so far: read on
        more = _read_some(stream, 65536)
        if not more:
            break
        head += more
    if _first_char(head) == b"{":
        reader = io.BufferedReader(_Prefixed(head, stream))
        yield from _jsonl_rows(reader, STDIN_SOURCE, "stdin", ids, max_bytes, fields)
        return
    data = head + stream.read(max(0, max_bytes + 1 - len(head)))
    if len(data) > max_bytes:
        yield _too_large(STDIN_SOURCE, len(data), max_bytes)
        return
    yield _from_bytes(data, STDIN_SOURCE, ids, "stdin")


def input_entries(
    inputs: Iterable[str | Path],
) -> Iterator[tuple[Path, Path | None] | LoadProblem | str]:
    """What the inputs name, in order: ``(file, its input folder or None)``, a problem, or
    :data:`STDIN`. A file reached twice (``seeds/`` and ``seeds/*.txt``) comes once."""
    seen: set[str] = set()
    for item in inputs:
        if str(item) == STDIN:
            yield STDIN
            continue
        for entry in _expand(item):
            if isinstance(entry, LoadProblem):
                yield entry
                continue
            key = os.path.realpath(entry[0])
            if key not in seen:
                seen.add(key)
                yield entry


def is_jsonl(file: Path) -> bool:
    return file.suffix.lower() in JSONL_SUFFIXES


def is_parquet(file: Path) -> bool:
    return file.suffix.lower() in TABLE_SUFFIXES


def load_documents(
    inputs: Iterable[str | Path],
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    id_field: str = "id",
    text_field: str = "text",
    stdin: BinaryIO | None = None,
) -> Iterator[Document | LoadProblem]:
    """Yield a document (or a problem report) per file / JSONL row, lazily.

    Args:
        inputs: Files, folders (searched recursively for ``*.txt *.md *.text *.jsonl
            *.parquet``, hidden files and folders skipped), glob patterns (``seeds/*.txt``,
            ``corpus/**/*.md``), JSONL files of ``{"id": ..., "text": ...}`` rows, Parquet
            files (one document per row; needs ``llmx[tables]``), and ``-``:
            standard input (JSONL if its first non-blank character is ``{``, else one text
            document with id ``stdin``).
        max_bytes: Files (and JSONL rows) larger than this are reported, not read.
        id_field, text_field: The keys of a JSONL row (columns of a Parquet file) that hold
            the id and the text; the row's other keys are carried to ``DocResult.fields``.
        stdin: Where ``-`` reads from (default ``sys.stdin.buffer``).

    Document ids are file stems (or JSONL row ids); a repeated one is replaced by the path
    relative to its input folder (then ``name~2``...), with a warning on the document. A
    file reached twice (through two inputs) is loaded once.
    """
    ids = _Ids()
    fields = Fields(id=id_field, text=text_field)
    for entry in input_entries(inputs):
        if isinstance(entry, LoadProblem):
            yield entry
        elif isinstance(entry, str):
            yield from _load_stdin(stdin or sys.stdin.buffer, ids, max_bytes, fields)
        elif is_jsonl(entry[0]):
            yield from _load_jsonl(entry[0], ids, max_bytes, fields)
        elif is_parquet(entry[0]):
            from llmx.text.tables import load_parquet

            yield from load_parquet(entry[0], ids, max_bytes, fields)
        else:
            yield _load_text(entry[0], entry[1], ids, max_bytes)
