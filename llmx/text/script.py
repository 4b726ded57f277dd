"""Script views of a text for matching and scoring: simplified, half-width, same length.

Both views keep the length of their input, character for character, so an offset found in a
view is an offset in the text it was made from. They are for comparing strings only (model
output against the source, gold against predictions); llmx never reports text from them.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llmx.text import _script_facts as facts

if TYPE_CHECKING:
    from opencc import OpenCC

# Han characters (BMP, extension A, compatibility ideographs and the supplementary planes):
# the one definition the text layer shares. Only stretches containing one can change under
# traditional -> simplified conversion.
HAN_CLASS = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
HAN = re.compile(f"[{HAN_CLASS}]")
# Every character outside the BMP. Classes of generated facts list BMP characters and add this
# whole range (a superset): ``re`` would test many astral ranges one by one for each character.
_ASTRAL = "\U00010000-\U0010ffff"


def has_han(text: str) -> bool:
    """True when ``text`` holds at least one Han character."""
    return HAN.search(text) is not None


@cache
def _converter() -> OpenCC:
    # The compiled OpenCC (C++, ~50 MB/s, never forks). ``opencc-python-reimplemented`` installs
    # under the same import name with a different API: only the ``opencc`` wheel is supported.
    from opencc import OpenCC

    return OpenCC("t2s")


# Work per call is bounded whatever the line breaks: text is converted in pieces of at most
# _PIECE characters, cut after a non-Han character (OpenCC's phrase keys are Han only, so such a
# cut changes nothing) or, in an unbroken run of Han, hard at _PIECE.
_PIECE = 64_000
_SAFE_CUT = re.compile(f"[^{HAN_CLASS}]")


def _pieces(text: str) -> list[str]:
    pieces: list[str] = []
    start = 0
    while len(text) - start > _PIECE:
        end = start + _PIECE
        lo = end - _PIECE // 4
        cut = end
        for m in _SAFE_CUT.finditer(text, lo, end):  # the last non-Han char in the window
            cut = m.end()
        pieces.append(text[start:cut])
        start = cut
    pieces.append(text[start:])
    return pieces


_SURROGATE = re.compile("([\ud800-\udfff])")


def _convert_piece(piece: str) -> str:
    try:
        return str(_converter().convert(piece))
    except UnicodeEncodeError:  # a lone surrogate (JSON "\ud800"): convert around it
        return "".join(
            part if _SURROGATE.fullmatch(part) else str(_converter().convert(part))
            for part in _SURROGATE.split(piece)
        )


def _convert(text: str) -> str:
    """OpenCC ``t2s`` on ``text``, one bounded piece at a time."""
    if len(text) <= _PIECE:
        return _convert_piece(text)
    return "".join(_convert_piece(piece) for piece in _pieces(text))


def opencc_files() -> list[Path]:
    """The t2s config the converter loaded, then each dictionary it names, in order."""
    config = Path(_converter().config)
    names: list[str] = []

    def collect(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("file"), str):
                names.append(node["file"])
            node = list(node.values())
        if isinstance(node, list):
            for value in node:
                collect(value)

    collect(json.loads(config.read_text(encoding="utf-8")))
    return [config, *(config.parent / name for name in names)]


def opencc_digest() -> str | None:
    """SHA-256 of the OpenCC version and the t2s config and dictionaries in use (None when one
    cannot be read): whether ``_script_facts``' t2s entries describe this converter."""
    try:
        from opencc import __version__

        digest = hashlib.sha256(f"opencc {__version__}\n".encode())
        for path in opencc_files():
            data = path.read_bytes()
            digest.update(f"{path.name} {len(data)}\n".encode())
            digest.update(data)
    except (ImportError, AttributeError, TypeError, OSError, ValueError):
        return None  # not the opencc wheel's usual layout: convert everything, as before
    return digest.hexdigest()


_Phrases = dict[str, list[tuple[str, int]]]


@cache
def _t2s_facts() -> tuple[re.Pattern[str], re.Pattern[str], _Phrases] | None:
    """(any character worth a look, a character t2s changes alone, changing phrases by each
    character that differs in them with its offset), or None when the OpenCC in use is not the
    one ``_script_facts`` was read from. Astral characters all count as changing."""
    if opencc_digest() != facts.OPENCC_DIGEST:
        return None
    around: _Phrases = {}
    for key, value in facts.T2S_CHANGING_PHRASES.items():
        for offset, char in enumerate(key):
            if len(key) != len(value) or char != value[offset]:
                around.setdefault(char, []).append((key, offset))
    changing = f"{facts.T2S_CHANGING_BMP_CLASS}{_ASTRAL}"
    look = re.compile(f"[{changing}{''.join(map(re.escape, around))}]")
    return look, re.compile(f"[{changing}]"), around


def _t2s_leaves_alone(text: str) -> bool:
    """True when OpenCC t2s would return ``text`` unchanged (False when unsure).

    OpenCC copies each character that no dictionary key matches and writes the entry's value
    for a match, so text holding no key whose value differs comes back as it was: no changing
    character, and no changing phrase (each holds one of its differing characters).
    """
    known = _t2s_facts()
    if known is None:
        return False
    look, changing, around = known
    for match in look.finditer(text):
        if changing.match(match.group()):
            return False
        at = match.start()
        for key, offset in around[match.group()]:
            if at >= offset and text.startswith(key, at - offset):
                return False
    return True


@cache
def _convert_char(ch: str) -> str:
    out = _convert(ch)
    return out if len(out) == 1 else ch


def to_simplified(text: str) -> str:
    """Convert traditional Chinese to simplified, keeping the length exactly.

    Uses OpenCC's phrase-aware ``t2s`` conversion (its t2s tables map every phrase to one of
    the same length). Should a conversion still change the length, that line (or piece of a
    long line) falls back to character-by-character conversion, and a character whose
    conversion is not one character stays as it is.
    """
    if not has_han(text) or _t2s_leaves_alone(text):
        return text  # t2s would copy it: skip OpenCC (slow on cold caches even then)
    converted = _convert(text)
    if len(converted) == len(text):
        return converted
    out: list[str] = []
    for line in text.splitlines(keepends=True):
        for piece in _pieces(line):
            piece_converted = _convert(piece)
            if len(piece_converted) != len(piece):
                piece_converted = "".join(_convert_char(ch) for ch in piece)
            out.append(piece_converted)
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

# Runs of the characters NFKC folds (listed for one Unicode version) and of astral ones:
# translating only those runs skips str.translate's per-character dict lookup on the rest.
_FOLDABLE = (
    re.compile(f"[{facts.HALF_WIDTH_BMP_CLASS}{_ASTRAL}]+")
    if unicodedata.unidata_version == facts.UNIDATA_VERSION
    else None
)


def _fold_run(match: re.Match[str]) -> str:
    return match.group().translate(_HALF_WIDTH)


def to_half_width(text: str) -> str:
    """Fold full-width ASCII, digits, punctuation and spaces to half-width; same length."""
    if text.isascii():
        return text
    if _FOLDABLE is None:
        return text.translate(_HALF_WIDTH)
    return _FOLDABLE.sub(_fold_run, text)


def normalize_for_matching(text: str) -> str:
    """Simplified + half-width view of ``text`` (same length), for matching and scoring only.

    Example: ``"協作培訓３２０人次（含）"`` -> ``"协作培训320人次(含)"``.
    """
    return to_simplified(to_half_width(text))
