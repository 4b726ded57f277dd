"""The text a result's spans index into, read back from its ``source`` -- or nothing.

A result carries offsets, not its document's text. To show the quoted text of each span,
the export reads the source again: a file path (decoded as ``llmx extract`` decodes it) or a
``path:line`` JSONL row. The text is used only when its sha256 equals the result's
``meta.text_sha256``, so a moved, edited or re-encoded source gives no text (``None``),
never wrong text. Relative sources are tried from the current folder, then from the folder of
the results file (where ``llmx extract`` is usually run).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

from llmx.core.results import DocResult
from llmx.output import text_hash

_ROW = re.compile(r"^(?P<path>.+\.jsonl):(?P<line>\d+)$", re.IGNORECASE)


class SourceTexts:
    """Looks up the text of each result's document (a JSONL input is read once)."""

    def __init__(self, bases: list[Path] | None = None) -> None:
        self.bases = [Path(), *(bases or [])]
        self._rows: dict[Path, list[bytes] | None] = {}
        self.missing = 0  # results whose text could not be recovered (or had no hash)

    def text(self, result: DocResult) -> str | None:
        expected = result.meta.text_sha256
        for candidate in self._candidates(result.source) if expected else ():
            if candidate is not None and text_hash(candidate) == expected:
                return candidate
        self.missing += 1
        return None

    def _candidates(self, source: str) -> Iterator[str | None]:
        row = _ROW.match(source)
        for base in self.bases:  # lazily: the first base usually has it
            if row:
                yield self._row_text(base / row["path"], int(row["line"]))
            else:
                yield _file_text(base / source)

    def _row_text(self, path: Path, line: int) -> str | None:
        key = path.resolve()
        if key not in self._rows:
            try:
                self._rows[key] = path.read_bytes().split(b"\n")  # as the loader splits
            except OSError:
                self._rows[key] = None
        rows = self._rows[key]
        if rows is None or not 0 < line <= len(rows):
            return None
        raw = rows[line - 1]
        if line == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        try:
            text = json.loads(raw.decode("utf-8")).get("text")
        except (ValueError, AttributeError):
            return None
        return text if isinstance(text, str) else None


def _file_text(path: Path) -> str | None:
    from llmx.text.loading import DecodeError, decode_bytes

    try:
        if not path.is_file():
            return None
        data = path.read_bytes()
        return decode_bytes(data, str(path))[0]
    except (OSError, DecodeError):
        return None
