"""Find pinyin annotations glued after Han characters, e.g. ``協(xié)作`` or ``認(rèn)真``.

Some sites (and some scrapers) print a reading after each "hard" character. A parenthesised
run of Latin letters right after a Han character is only taken for pinyin when it really is
one: every syllable must be a pinyin syllable, and either it carries a tone mark or the
syllables are readings of the characters before it (pypinyin knows traditional characters
too). So ``數據(data)``, ``（2023）``, ``咖啡(café)`` and ``公司(Ltd)`` stay. After a
non-Han character (garbled scrapes such as ``運輸?shù)拳h(huán)節``) only tone-marked
syllables are taken.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache

from llmx.text.script import HAN_CLASS

# Latin letters with pinyin's diacritics, precomposed or combining.
_LETTERS = r"a-zA-Z\u00c0-\u024f\u1e00-\u1eff\u0300-\u036f"
# The bracket comes first and the check of the character before it second: a pattern that
# starts with a literal lets the regex engine jump from bracket to bracket (~4x faster).
_ANNOTATION = re.compile(
    rf"[(（](?<=[^\s(（\[【][(（])[ \t]*([{_LETTERS}]+(?:[ \t'’-]+[{_LETTERS}]+)*)[ \t]*[)）]"
)
_MAX_CHARS = 8  # an annotation covers at most this many preceding characters
# Any parenthesised run of Latin letters (accents and combining marks included) glued to the
# text: a loose, unverified match for matching views -- find_pinyin() is the verified one.
GLUED_LATIN = re.compile(r"\([a-zA-Z\u00c0-\u024f\u0300-\u036f]+\)")
_PRECEDING_HAN = re.compile(rf"[{HAN_CLASS}]{{1,{_MAX_CHARS}}}$")
_TONE_MARKS = "\u0300\u0301\u0304\u030c"  # grave, acute, macron, caron (NFD)
_SYLLABLE_BREAK = re.compile(r"[ \t'’-]+")


@lru_cache(maxsize=8192)  # a per-syllable fact; pinyin has ~1,600 toned syllables
def _toneless(syllable: str) -> str:
    decomposed = unicodedata.normalize("NFD", syllable.lower())
    bare = "".join(c for c in decomposed if c not in _TONE_MARKS)
    # pypinyin writes ü as "ü" (or "v" in its toneless styles); users write v, ü or u:.
    return unicodedata.normalize("NFC", bare).replace("ü", "v").replace("u:", "v")


def _has_tone_mark(text: str) -> bool:
    return any(c in _TONE_MARKS for c in unicodedata.normalize("NFD", text))


@cache
def _syllables() -> frozenset[str]:
    """Every toneless pinyin syllable pypinyin knows (~430)."""
    from pypinyin.pinyin_dict import pinyin_dict

    return frozenset(
        _toneless(reading) for value in pinyin_dict.values() for reading in value.split(",")
    )


@cache
def _readings(char: str) -> frozenset[str]:
    """Toneless readings of one character (all heteronyms), empty if unknown."""
    from pypinyin.pinyin_dict import pinyin_dict

    value = pinyin_dict.get(ord(char), "")
    return frozenset(_toneless(reading) for reading in value.split(",") if reading)


def _segmentations(word: str, chars: str) -> bool:
    """Can ``word`` be cut into the readings of the last characters of ``chars``, in order?"""
    if chars and word in _readings(chars[-1]):
        return True  # one character's reading (most glosses): the k = 1 case below, directly
    # Try each number k of covered characters; readings must follow each other exactly.
    for k in range(2, len(chars) + 1):
        tail = chars[-k:]
        positions = {0}
        for char in tail:
            readings = _readings(char)
            positions = {p + len(r) for p in positions for r in readings if word.startswith(r, p)}
            if not positions:
                break
        if len(word) in positions:
            return True
    return False


def _splits_into_syllables(word: str) -> bool:
    """Can ``word`` be cut into valid pinyin syllables (e.g. ``zhongguo``)?"""
    valid = _syllables()
    reachable = [True] + [False] * len(word)
    for end in range(1, len(word) + 1):
        reachable[end] = any(
            reachable[start] and word[start:end] in valid for start in range(max(0, end - 6), end)
        )
    return reachable[-1]


def is_pinyin_annotation(annotation: str, preceding: str) -> bool:
    """Decide whether ``annotation`` (the text inside the brackets) is pinyin for ``preceding``.

    ``preceding`` is the run of Han characters right before the bracket (nearest last).
    """
    tokens = [t for t in _SYLLABLE_BREAK.split(annotation) if t]
    bare = [_toneless(t) for t in tokens]
    if not bare or not all(t.isascii() and t.isalpha() for t in bare):
        return False
    if len(tokens) > 1:
        # One syllable per character: each must be a reading of its character.
        if len(tokens) <= len(preceding) and all(
            syllable in _readings(char)
            for syllable, char in zip(bare, preceding[-len(tokens) :], strict=True)
        ):
            return True
        return _has_tone_mark(annotation) and all(t in _syllables() for t in bare)
    word = bare[0]
    if _segmentations(word, preceding):
        return True
    # Tone-marked pinyin that does not fit the characters (a garbled scrape) still goes.
    return _has_tone_mark(annotation) and _splits_into_syllables(word)


def find_pinyin(text: str) -> list[tuple[int, int]]:
    """Return the ``(start, end)`` spans of pinyin annotations (brackets included) in ``text``."""
    spans: list[tuple[int, int]] = []
    for match in _ANNOTATION.finditer(text):
        before = _PRECEDING_HAN.search(text, max(0, match.start() - _MAX_CHARS), match.start())
        preceding = before.group() if before else ""
        annotation = match.group(1)
        # After a non-Han character (a garbled scrape: ``拳h(huán)節``) only tone-marked
        # syllables count: no reading can vouch for them.
        if not preceding and not _has_tone_mark(annotation):
            continue
        if is_pinyin_annotation(annotation, preceding):
            spans.append(match.span())
    return spans
