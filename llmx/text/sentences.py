"""Split Chinese (and mixed) text into sentence spans.

A regex after sentence-final punctuation beats general-purpose splitters such as pysbd on
this genre (see NOTES.md): Chinese has no spaces after a full stop, and ``.`` is mostly a
decimal point (``1.2万``), so it is not treated as a sentence end.
"""

from __future__ import annotations

import re

# A boundary falls after: a run of sentence-final marks plus any closing quotes/brackets, or
# a line break; trailing spaces and further line breaks stay with the sentence before them.
_FINAL = "。！？!?；;…"
_CLOSING = r"”’」』）)》〉\]】"
_LINE_BREAK = r"\n\r\u2028\u2029\x0b\x0c\x1c-\x1e\x85"
# It starts with one class (a final mark or a line break; the lookbehind tells which) rather
# than an alternation, so ``re`` skips to candidate characters at C speed: 3x faster scans.
_BOUNDARY = re.compile(
    rf"[{_FINAL}{_LINE_BREAK}](?:(?<=[{_FINAL}])[{_FINAL}]*[{_CLOSING}]*)?[\s\u200b\ufeff]*"
)


def span_between(
    text: str, start: int, end: int, breaks: str, lo: int = 0, hi: int | None = None
) -> tuple[int, int]:
    """Widen ``[start, end)`` outwards to the nearest ``breaks`` characters (not included),
    staying inside ``[lo, hi)`` -- the clause or sentence around a quantity."""
    hi = len(text) if hi is None else hi
    while start > lo and text[start - 1] not in breaks:
        start -= 1
    while end < hi and text[end] not in breaks:
        end += 1
    return start, end


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Return half-open ``(start, end)`` spans of the sentences of ``text``.

    The spans are consecutive, non-empty and cover the whole text (``""`` gives ``[]``).
    A span ends after a run of ``。！？!?；;…`` with the closing quotes/brackets that follow
    it, or after a line break; whitespace after the boundary belongs to the span before it.
    """
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        end = match.end()
        if end > start:
            spans.append((start, end))
            start = end
    if start < len(text):
        spans.append((start, len(text)))
    return spans
