"""Script views of a text for matching and scoring: simplified, half-width, same length.

Both views keep the length of their input, character for character, so an offset found in a
view is an offset in the text it was made from. They are for comparing strings only (model
output against the source, gold against predictions); llmx never reports text from them.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from opencc_purepy import OpenCC

# Han characters (BMP, extension A, compatibility ideographs and the supplementary planes):
# the one definition the text layer shares. Only stretches containing one can change under
# traditional -> simplified conversion.
HAN_CLASS = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
HAN = re.compile(f"[{HAN_CLASS}]")


def has_han(text: str) -> bool:
    """True when ``text`` holds at least one Han character."""
    return HAN.search(text) is not None


@cache
def _converter() -> OpenCC:
    from opencc_purepy import OpenCC  # ~0.1 s to build; only when first needed

    return OpenCC("t2s")


# opencc-purepy forks a multiprocessing Pool for texts of 1M+ chars; forking under an asyncio
# loop with signal handlers makes the workers' signals reach the parent (a run "interrupted" by
# its own pool). Converting in line-aligned blocks below that size never forks.
_BLOCK = 200_000


def _convert(text: str) -> str:
    if len(text) < _BLOCK:
        return str(_converter().convert(text))
    out: list[str] = []
    block: list[str] = []
    size = 0
    for line in text.splitlines(keepends=True):
        block.append(line)
        size += len(line)
        if size >= _BLOCK:
            out.append(str(_converter().convert("".join(block))))
            block, size = [], 0
    if block:
        out.append(str(_converter().convert("".join(block))))
    return "".join(out)


@cache
def _convert_char(ch: str) -> str:
    out = _convert(ch)
    return out if len(out) == 1 else ch


def to_simplified(text: str) -> str:
    """Convert traditional Chinese to simplified, keeping the length exactly.

    Uses OpenCC's phrase-aware ``t2s`` conversion (its t2s tables map every phrase to one of
    the same length). Should a conversion still change the length, that line falls back to
    character-by-character conversion, and a character whose conversion is not one character
    stays as it is.
    """
    if not has_han(text):
        return text
    converted = _convert(text)
    if len(converted) == len(text):
        return converted
    out: list[str] = []
    for line in text.splitlines(keepends=True):
        line_converted = _convert(line)
        if len(line_converted) != len(line):
            line_converted = "".join(_convert_char(ch) for ch in line)
        out.append(line_converted)
    return "".join(out)


class _HalfWidth(dict[int, int]):
    """``str.translate`` table filled on demand: a char -> its NFKC form when that is one char.

    NFKC folds full-width ASCII (``，３（Ａ``), the ideographic space, circled digits and
    compatibility ideographs; anything it would expand (``㎡`` -> ``m2``) stays as it is.
    """

    def __missing__(self, code: int) -> int:
        folded = unicodedata.normalize("NFKC", chr(code))
        value = ord(folded) if len(folded) == 1 else code
        self[code] = value
        return value


_HALF_WIDTH = _HalfWidth()


def to_half_width(text: str) -> str:
    """Fold full-width ASCII, digits, punctuation and spaces to half-width; same length."""
    if text.isascii():
        return text
    return text.translate(_HALF_WIDTH)


def normalize_for_matching(text: str) -> str:
    """Simplified + half-width view of ``text`` (same length), for matching and scoring only.

    Example: ``"協作培訓３２０人次（含）"`` -> ``"协作培训320人次(含)"``.
    """
    return to_simplified(to_half_width(text))
