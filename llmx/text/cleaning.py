"""Clean scraped Chinese news text while keeping a map back to the original offsets.

Cleaning only ever *deletes* characters, so the cleaned text is a subsequence of the
original and ``original[cleaned.to_original[i]] == cleaned.text[i]`` for every ``i``. The
steps, each recorded in ``CleanedText.removed`` with its reason:

1. ``pinyin``: readings glued after characters, ``協(xié)作`` -> ``協作`` (:mod:`.pinyin`).
2. ``duplicate``: a second copy of the article body (character 5-gram containment >= 0.8
   against everything above it, over a run of lines long enough to be a body, not a phrase).
3. ``boilerplate``: navigation, meta, footer, contact, share, related-reading and caption
   lines (:mod:`.boilerplate`); a line that is both boilerplate and a copy counts as
   boilerplate.
4. ``whitespace``: indentation and trailing spaces go, a run of spaces keeps its first
   character, a run of line breaks and blank lines keeps one line break.

Full-width -> half-width and traditional -> simplified are *not* applied here (they would
change characters, not delete them); see :mod:`llmx.text.script` for those views.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Iterator, Sequence

from llmx.core.documents import CleanedText, Removal
from llmx.text.boilerplate import find_boilerplate
from llmx.text.pinyin import find_pinyin

REASONS = ("pinyin", "boilerplate", "duplicate", "whitespace")
_CODE = {reason: code for code, reason in enumerate(REASONS, start=1)}
# bytes.translate tables that turn 0 (kept) into a reason's code and leave other codes alone.
_ZERO_TO = {code: bytes([code]) + bytes(range(1, 256)) for code in _CODE.values()}

_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"  # what str.splitlines() splits on
_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
_SPACE_RUN = re.compile(rf"[\s{_ZERO_WIDTH}]+")
_STRIP = " \t\u3000\xa0" + _BREAKS + _ZERO_WIDTH

# Duplicate detection.
_GRAM = 5
_CONTAINMENT = 0.8  # share of a line's 5-grams already seen above it
_MIN_DUPLICATE_CHARS = 80  # a run of copied lines shorter than this is left alone
_FULL_GRAMS_UP_TO = 300_000  # beyond this many chars, sample 5-grams to bound memory


def _runs(mask: bytearray, pattern: bytes) -> Iterator[re.Match[bytes]]:
    return re.finditer(pattern, mask)


def _kept(text: str, mask: bytearray) -> tuple[str, array[int]]:
    """The characters whose mask is 0, and their original positions."""
    parts: list[str] = []
    positions: array[int] = array("i")
    for run in _runs(mask, rb"\x00+"):
        start, end = run.span()
        parts.append(text[start:end])
        positions.extend(range(start, end))
    return "".join(parts), positions


def _lines(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each line, line break included (as ``str.splitlines`` cuts)."""
    spans = []
    start = 0
    for line in text.splitlines(keepends=True):
        spans.append((start, start + len(line)))
        start += len(line)
    return spans


def _line_view(text: str, mask: bytearray, start: int, end: int) -> str:
    """A line's characters not yet removed, stripped of surrounding whitespace."""
    if not any(mask[start:end]):
        return text[start:end].strip(_STRIP)
    kept = _runs(mask[start:end], rb"\x00+")
    return "".join(text[start + run.start() : start + run.end()] for run in kept).strip(_STRIP)


def _mark(mask: bytearray, start: int, end: int, code: int) -> None:
    """Give ``code`` to the characters of ``[start, end)`` not removed yet."""
    if not any(mask[start:end]):
        mask[start:end] = bytes([code]) * (end - start)
    else:  # keep the earlier reasons (pinyin): only zeros change
        mask[start:end] = mask[start:end].translate(_ZERO_TO[code])


def _grams(line: str, sample: int) -> set[str]:
    compact = "".join(line.split())
    if sample == 1:
        return {compact[i : i + _GRAM] for i in range(len(compact) - _GRAM + 1)}
    # Content-based sampling: both copies of a text keep the same grams.
    grams = (compact[i : i + _GRAM] for i in range(len(compact) - _GRAM + 1))
    return {g for g in grams if (ord(g[0]) * 31 + ord(g[-1])) % sample == 0}


def find_duplicate_lines(lines: Sequence[str]) -> list[bool]:
    """Flag the lines that repeat text above them (a second copy of the article body).

    A line is a copy when at least 80 % of its character 5-grams occur in the lines above
    it. Copies are only flagged in runs (blank and very short lines may sit inside a run)
    holding at least 80 characters of copied text, so a repeated phrase or heading stays.
    """
    total = sum(len(line) for line in lines)
    sample = 1 if total <= _FULL_GRAMS_UP_TO else -(-total // _FULL_GRAMS_UP_TO)
    seen: set[str] = set()
    copied: list[bool | None] = []  # None: too short to tell
    for line in lines:
        grams = _grams(line, sample)
        if not grams:
            copied.append(None)
            continue
        copied.append(len(grams & seen) / len(grams) >= _CONTAINMENT)
        seen |= grams

    flags = [False] * len(lines)
    i = 0
    while i < len(lines):
        if not copied[i]:
            i += 1
            continue
        j = i  # extend the run over copies and too-short lines; end it on the last copy
        last = i
        while j + 1 < len(lines) and copied[j + 1] is not False:
            j += 1
            if copied[j]:
                last = j
        if sum(len(lines[k]) for k in range(i, last + 1) if copied[k]) >= _MIN_DUPLICATE_CHARS:
            for k in range(i, last + 1):
                flags[k] = True
        i = last + 1
    return flags


def _collapse_whitespace(text: str, mask: bytearray) -> None:
    """Mark removable whitespace in the not-yet-removed text (see the module docstring)."""
    kept, positions = _kept(text, mask)
    code = _CODE["whitespace"]
    for run in _SPACE_RUN.finditer(kept):
        start, end = run.span()
        keep = -1
        if start > 0 and end < len(kept):
            chunk = run.group()
            if any(c in _BREAKS for c in chunk):
                keep = chunk.find("\n")
                if keep < 0:
                    keep = next(k for k, c in enumerate(chunk) if c in _BREAKS)
            else:
                keep = next((k for k, c in enumerate(chunk) if c not in _ZERO_WIDTH), -1)
        for k in range(start, end):
            if k - start != keep:
                mask[positions[k]] = code


def clean(
    text: str,
    *,
    pinyin: bool = True,
    duplicates: bool = True,
    boilerplate: bool = True,
    whitespace: bool = True,
) -> CleanedText:
    """Return a cleaned view of ``text`` with a cleaned -> original offset map.

    The keyword flags switch single steps off (all on by default). ``to_original`` is an
    ``array('i')`` (compact for multi-megabyte texts); it indexes like a list.
    """
    mask = bytearray(len(text))  # 0 = kept, else the code of the reason it was removed

    if pinyin:
        for start, end in find_pinyin(text):
            mask[start:end] = bytes([_CODE["pinyin"]]) * (end - start)  # nothing marked yet

    if duplicates or boilerplate:
        spans = _lines(text)
        views = [_line_view(text, mask, start, end) for start, end in spans]
        copies = find_duplicate_lines(views) if duplicates else [False] * len(views)
        labels = find_boilerplate(views, dropped=copies) if boilerplate else [None] * len(views)
        for (start, end), copy, label in zip(spans, copies, labels, strict=True):
            if label is None and not copy:
                continue
            code = _CODE["boilerplate"] if label is not None else _CODE["duplicate"]
            _mark(mask, start, end, code)

    if whitespace:
        _collapse_whitespace(text, mask)

    cleaned, positions = _kept(text, mask)
    removed = tuple(
        Removal(start=run.start(), end=run.end(), reason=REASONS[run.group()[0] - 1])
        for run in _runs(mask, rb"([\x01-\x04])\1*")
    )
    return CleanedText(
        text=cleaned, to_original=positions, removed=removed, original_length=len(text)
    )
