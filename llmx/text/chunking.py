"""Split cleaned text into model-sized chunks on sentence boundaries, offsets kept.

Chunks are consecutive and non-overlapping, so every character is sent to the model exactly
once; each chunk also carries the tail of the previous one as read-only ``context`` (the
model sees who "该县" is, but is only asked about the chunk's own text).
"""

from __future__ import annotations

import bisect

from llmx.core.documents import Chunk
from llmx.text.sentences import split_sentences


def _pieces(text: str, max_chars: int) -> list[tuple[int, int]]:
    """Sentence spans, with any sentence longer than ``max_chars`` hard-split."""
    pieces: list[tuple[int, int]] = []
    for start, end in split_sentences(text):
        for cut in range(start, end, max_chars):
            pieces.append((cut, min(cut + max_chars, end)))
    return pieces


def _ends_paragraph(text: str, end: int) -> bool:
    return text[end - 1] in "\n\r\u2028\u2029"


def chunk_text(text: str, max_chars: int = 1500, context_chars: int = 200) -> list[Chunk]:
    """Cut ``text`` into consecutive chunks of at most ``max_chars`` characters.

    Cuts fall on sentence boundaries (preferring a paragraph end in the second half of a
    full chunk); a single sentence longer than ``max_chars`` is cut hard. Each chunk's
    ``context`` is the tail of the previous chunk, at most ``context_chars`` long, starting
    at a sentence boundary when one lies in that window. Empty text gives one empty chunk.
    """
    if max_chars < 1:
        raise ValueError(f"max_chars must be at least 1, got {max_chars}")
    if context_chars < 0:
        raise ValueError(f"context_chars must not be negative, got {context_chars}")
    if not text:
        return [Chunk(index=0, text="", start=0)]

    pieces = _pieces(text, max_chars)
    starts = [start for start, _ in pieces]

    # Greedy packing; ``bounds`` are the (start, end) of each chunk.
    bounds: list[tuple[int, int]] = []
    first = 0  # index of the first piece of the current chunk
    while first < len(pieces):
        chunk_start = pieces[first][0]
        last = first
        while last + 1 < len(pieces) and pieces[last + 1][1] - chunk_start <= max_chars:
            last += 1
        if last + 1 < len(pieces):
            # Not the final chunk: back up to a paragraph end if one is in the second half.
            for k in range(last, first - 1, -1):
                end = pieces[k][1]
                if end - chunk_start < max_chars // 2:
                    break
                if _ends_paragraph(text, end):
                    last = k
                    break
        bounds.append((chunk_start, pieces[last][1]))
        first = last + 1

    chunks: list[Chunk] = []
    for index, (start, end) in enumerate(bounds):
        context = ""
        if index and context_chars:
            prev_start = bounds[index - 1][0]
            window = max(prev_start, start - context_chars)
            # First sentence (or hard-split piece) start inside the window, else a raw cut.
            k = bisect.bisect_left(starts, window)
            ctx_start = starts[k] if k < len(starts) and starts[k] < start else window
            context = text[ctx_start:start]
        chunks.append(Chunk(index=index, text=text[start:end], start=start, context=context))
    return chunks
