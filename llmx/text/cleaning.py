"""Clean scraped Chinese news text while keeping a map back to the original offsets.

PLACEHOLDER: identity cleaning until the real cleaner lands (issue #3).
"""

from __future__ import annotations

from llmx.core.documents import CleanedText


def clean(text: str) -> CleanedText:
    """Return a cleaned view of ``text`` with a cleaned->original offset map."""
    return CleanedText.identity(text)
