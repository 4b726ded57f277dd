"""The text a result's spans index into, for ``span_text`` / ``evidence_text`` -- or nothing.

A result carries offsets, not its document's text; :class:`llmx.text.lookup.TextFinder` finds
it again from the result's ``source`` (a file, or a ``path:line`` JSONL row), tried from the
current folder, then from the folder of the results file. The export keeps a text only when
its sha256 equals the result's ``meta.text_sha256``: a moved, edited or re-encoded source (or
a run with no hash) gives no text, never wrong text.
"""

from __future__ import annotations

from pathlib import Path

from llmx.core.results import DocResult
from llmx.text.lookup import TextFinder


class SourceTexts:
    """Verified texts of results, counting the ones that could not be recovered."""

    def __init__(self, bases: list[Path] | None = None) -> None:
        self._finder = TextFinder(bases=bases or [])
        self.missing = 0  # results whose text could not be recovered (or had no hash)

    def text(self, result: DocResult) -> str | None:
        found = self._finder.find(result)
        if found.state == "verified":
            return found.text
        self.missing += 1
        return None
