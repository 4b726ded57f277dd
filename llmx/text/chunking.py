"""Split cleaned text into model-sized chunks on sentence boundaries, offsets kept.

PLACEHOLDER: fixed-size chunks until the sentence-aware chunker lands (issue #3).
"""

from __future__ import annotations

from llmx.core.documents import Chunk


def chunk_text(text: str, max_chars: int = 1500, context_chars: int = 200) -> list[Chunk]:
    """Cut ``text`` into chunks of at most ``max_chars`` characters.

    Each chunk carries the tail (``context_chars``) of the previous one as context.
    """
    chunks: list[Chunk] = []
    start = 0
    while start < len(text) or not chunks:
        piece = text[start : start + max_chars]
        context = text[max(0, start - context_chars) : start]
        chunks.append(Chunk(index=len(chunks), text=piece, start=start, context=context))
        start += max(1, len(piece))
        if not piece:
            break
    return chunks
