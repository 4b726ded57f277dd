"""Turn user inputs (files, folders, globs, JSONL) into documents, lazily.

Every problem (missing file, binary file, undecodable bytes, empty text, a broken JSONL
line, a file over the size limit) becomes a :class:`LoadProblem` in the stream and the rest
goes on; nothing here raises for bad input. The document text is exactly the decoded string
(no newline translation), because every span llmx reports indexes into it.
"""

from __future__ import annotations

import glob
import json
import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from llmx.core.documents import Document, LoadProblem
from llmx.text.script import HAN

TEXT_SUFFIXES = frozenset({".txt", ".md", ".text"})
JSONL_SUFFIXES = frozenset({".jsonl"})
DEFAULT_MAX_BYTES = 20_000_000

_GLOB_CHARS = re.compile(r"[*?\[]")
_SNIFF = 8192  # bytes looked at to tell binary from text


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
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig", []
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
            if not _hidden(name) and (suffix in TEXT_SUFFIXES or suffix in JSONL_SUFFIXES):
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
                message="folder has no .txt/.md/.text/.jsonl files",
                details={"kind": "empty_folder"},
            )
    elif path.exists():
        yield path, None
    elif _GLOB_CHARS.search(str(item)):
        matches = sorted(glob.iglob(str(item), recursive=True))
        if not matches:
            yield LoadProblem(
                source=str(item), message="no files match this pattern", details={"kind": "glob"}
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
            source=str(item), message="no such file or folder", details={"kind": "missing"}
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
    try:
        text, encoding, warnings = decode_bytes(data, source)
    except DecodeError as exc:
        return LoadProblem(source=source, message=exc.reason, details={"kind": "decode"})
    if not text.strip():
        return LoadProblem(source=source, message="empty (no text)", details={"kind": "empty"})
    doc_id, note = ids.claim(file.stem, *_relative_id(file, root))
    if note:
        warnings.append(note)
    return Document(
        id=doc_id, text=text, source=source, encoding=encoding, warnings=tuple(warnings)
    )


def _load_jsonl(file: Path, ids: _Ids, max_bytes: int) -> Iterator[Document | LoadProblem]:
    """One document per ``{"id": ..., "text": ...}`` row; a bad row is a problem, not fatal."""
    try:
        handle = file.open("rb")
    except OSError as exc:
        yield LoadProblem(
            source=str(file), message=f"cannot read: {exc.strerror or exc}", details={"kind": "io"}
        )
        return
    rows = 0
    with handle:
        for lineno, raw in enumerate(handle, start=1):
            source = f"{file}:{lineno}"
            if lineno == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            if not raw.strip():
                continue
            rows += 1
            if len(raw) > max_bytes:
                yield _too_large(source, len(raw), max_bytes)
                continue
            try:
                row = json.loads(raw.decode("utf-8"))
            except UnicodeDecodeError as exc:
                yield LoadProblem(
                    source=source, message=f"not UTF-8: {exc.reason}", details={"kind": "decode"}
                )
                continue
            except json.JSONDecodeError as exc:
                yield LoadProblem(
                    source=source,
                    message=f"invalid JSON: {exc.msg} (column {exc.colno})",
                    details={"kind": "json"},
                )
                continue
            if not isinstance(row, dict):
                yield LoadProblem(
                    source=source, message="row is not a JSON object", details={"kind": "json"}
                )
                continue
            text = row.get("text")
            if not isinstance(text, str):
                what = "missing" if text is None else f"of type {type(text).__name__}, not string"
                yield LoadProblem(
                    source=source, message=f'"text" is {what}', details={"kind": "json"}
                )
                continue
            if not text.strip():
                yield LoadProblem(
                    source=source, message="empty (no text)", details={"kind": "empty"}
                )
                continue
            row_id = row.get("id")
            fallback = f"{file.stem}:{lineno}"
            if row_id is None or row_id == "":
                doc_id, note = ids.claim(fallback)
            else:
                doc_id, note = ids.claim(str(row_id), f"{file.stem}:{row_id}", fallback)
            yield Document(
                id=doc_id,
                text=text,
                source=source,
                encoding="utf-8",
                warnings=(note,) if note else (),
                fields={k: v for k, v in row.items() if k not in ("id", "text")},
            )
    if not rows:
        yield LoadProblem(source=str(file), message="empty (no rows)", details={"kind": "empty"})


def load_documents(
    inputs: Iterable[str | Path], *, max_bytes: int = DEFAULT_MAX_BYTES
) -> Iterator[Document | LoadProblem]:
    """Yield a document (or a problem report) per file / JSONL row, lazily.

    Args:
        inputs: Files, folders (searched recursively for ``*.txt *.md *.text *.jsonl``,
            hidden files and folders skipped), glob patterns (``seeds/*.txt``,
            ``corpus/**/*.md``) and JSONL files of ``{"id": ..., "text": ...}`` rows.
        max_bytes: Files (and JSONL rows) larger than this are reported, not read.

    Document ids are file stems (or JSONL row ids); a repeated one is replaced by the path
    relative to its input folder (then ``name~2``...), with a warning on the document. A
    file reached twice (through two inputs) is loaded once.
    """
    ids = _Ids()
    seen: set[str] = set()  # a file named twice (``seeds/`` and ``seeds/*.txt``) loads once
    for item in inputs:
        for entry in _expand(item):
            if isinstance(entry, LoadProblem):
                yield entry
                continue
            file, root = entry
            key = os.path.realpath(file)
            if key in seen:
                continue
            seen.add(key)
            if file.suffix.lower() in JSONL_SUFFIXES:
                yield from _load_jsonl(file, ids, max_bytes)
            else:
                yield _load_text(file, root, ids, max_bytes)
