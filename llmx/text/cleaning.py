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
from collections.abc import Sequence
from functools import cache
from itertools import accumulate
from types import ModuleType
from typing import Any

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
_NUMPY_GRAMS_FROM = 600  # fewer characters: a Python set per line is quicker than numpy
_BLOCK = 1 << 20  # characters per numpy block when selecting the kept text


def _numpy() -> ModuleType:
    """numpy, imported on first use: ``import llmx`` (and the CLI's start-up) stays without it."""
    import numpy

    return numpy


def _codes(text: str) -> Any:
    """The code points of ``text`` as a numpy uint32 array (lone surrogates included)."""
    np = _numpy()
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), np.uint32)


def _kept(text: str, mask: bytearray) -> tuple[str, array[int]]:
    """The characters whose mask is 0, and their original positions."""
    # numpy selects the kept characters and their positions in C; per-run slices and
    # array.extend(range(...)) cost ~40 ns a character. Blocks bound the temporaries.
    np = _numpy()
    flags = np.frombuffer(mask, np.uint8)
    parts: list[str] = []
    positions: array[int] = array("i")
    for start in range(0, len(text), _BLOCK):
        kept = np.flatnonzero(flags[start : start + _BLOCK] == 0)
        codes = _codes(text[start : start + _BLOCK])
        parts.append(codes[kept].tobytes().decode("utf-32-le", "surrogatepass"))
        positions.frombytes((kept + start).astype(np.intc).tobytes())
    return "".join(parts), positions


def _lines(text: str) -> tuple[list[str], list[tuple[int, int]]]:
    """The lines of ``text`` (as ``str.splitlines`` cuts, breaks kept) and their spans."""
    lines = text.splitlines(keepends=True)
    ends = list(accumulate(map(len, lines)))
    return lines, list(zip([0, *ends][:-1], ends, strict=True))


def _untouched(mask: bytearray, start: int, end: int) -> bool:
    """Nothing in ``[start, end)`` is removed yet (counted in C, no slice copied)."""
    return mask.count(0, start, end) == end - start


def _line_view(text: str, mask: bytearray, start: int, end: int) -> str:
    """A line's characters not yet removed, stripped of surrounding whitespace."""
    if _untouched(mask, start, end):
        return text[start:end].strip(_STRIP)
    kept = re.finditer(rb"\x00+", mask[start:end])
    return "".join(text[start + run.start() : start + run.end()] for run in kept).strip(_STRIP)


def _mark(mask: bytearray, start: int, end: int, code: int) -> None:
    """Give ``code`` to the characters of ``[start, end)`` not removed yet."""
    if _untouched(mask, start, end):
        mask[start:end] = bytes([code]) * (end - start)
    else:  # keep the earlier reasons (pinyin): only zeros change
        mask[start:end] = mask[start:end].translate(_ZERO_TO[code])


def _grams(compact: str, sample: int) -> set[str]:
    if sample == 1:
        return {compact[i : i + _GRAM] for i in range(len(compact) - _GRAM + 1)}
    # Content-based sampling: both copies of a text keep the same grams.
    grams = (compact[i : i + _GRAM] for i in range(len(compact) - _GRAM + 1))
    return {g for g in grams if (ord(g[0]) * 31 + ord(g[-1])) % sample == 0}


def _copied_by_sets(compacts: list[str], sample: int) -> list[bool | None]:
    """Per line: are >= 80 % of its (distinct) 5-grams in the lines above? None: no grams."""
    seen: set[str] = set()
    copied: list[bool | None] = []
    for compact in compacts:
        grams = _grams(compact, sample)
        if not grams:
            copied.append(None)
            continue
        copied.append(len(grams & seen) / len(grams) >= _CONTAINMENT)
        seen |= grams
    return copied


def _radix_order(keys: Any, bits: int) -> Any:
    """``argsort(keys, kind="stable")`` for keys below ``2**bits``, as an LSD radix sort on
    16-bit digits: numpy radix-sorts 16-bit integers, and merge-sorting the 64-bit keys of a
    page cost twice as much."""
    np = _numpy()
    order = np.argsort(keys.astype(np.uint16), kind="stable")
    for shift in range(16, bits, 16):
        digit = (keys[order] >> np.uint64(shift)).astype(np.uint16)
        order = order[np.argsort(digit, kind="stable")]
    return order


def _copied_by_sorting(compacts: list[str]) -> list[bool | None] | None:
    """What :func:`_copied_by_sets` answers (all grams, no sampling), from two numpy sorts
    instead of a Python string per gram (~3x faster on a seed page). None when the page has
    too many distinct characters (over 7,131) to pack a 5-gram exactly into 64 bits."""
    np = _numpy()
    codes = _codes("".join(compacts))
    n = len(codes) - _GRAM + 1  # gram start positions (some straddle two lines)
    if n <= 0:
        return [None] * len(compacts)
    # Dense character ids 0..alphabet-1: a gram is then one exact base-`alphabet` number.
    # (Stable sorts: a radix sort for 16-bit codes, a merge sort otherwise; both beat the
    # default quicksort here.)
    narrow = codes.astype(np.uint16) if codes.max() < 1 << 16 else codes
    order = np.argsort(narrow, kind="stable")
    new = np.empty(len(codes), bool)
    new[0] = True
    ranked = narrow[order]
    np.not_equal(ranked[1:], ranked[:-1], out=new[1:])
    alphabet = int(new.sum())
    if alphabet**_GRAM > 2**64:
        return None
    ids = np.empty(len(codes), np.uint64)
    ids[order] = np.cumsum(new) - 1
    keys = ids[:n].copy()
    for k in range(1, _GRAM):
        keys *= np.uint64(alphabet)
        keys += ids[k : n + k]
    lengths = np.fromiter(map(len, compacts), np.int64, len(compacts))
    line = np.repeat(np.arange(len(compacts)), lengths)[:n]
    inside = np.arange(_GRAM, n + _GRAM) <= np.cumsum(lengths)[line]  # not straddling
    keys, line = keys[inside], line[inside]
    # Stable sort by gram: each gram's occurrences end up together, in line order.
    order = _radix_order(keys, (alphabet**_GRAM - 1).bit_length())
    keys, line = keys[order], line[order]
    first = np.empty(len(keys), bool)  # first occurrence of a gram in the page
    first[:1] = True
    np.not_equal(keys[1:], keys[:-1], out=first[1:])
    first_line = line[first][np.cumsum(first) - 1]  # the line each gram first occurs in
    distinct = first.copy()  # first occurrence of a gram in its line
    distinct[1:] |= line[1:] != line[:-1]
    lines = line[distinct]
    total = np.bincount(lines, minlength=len(compacts)).tolist()
    above = np.bincount(lines[first_line[distinct] < lines], minlength=len(compacts)).tolist()
    return [None if t == 0 else a / t >= _CONTAINMENT for t, a in zip(total, above, strict=True)]


def find_duplicate_lines(lines: Sequence[str]) -> list[bool]:
    """Flag the lines that repeat text above them (a second copy of the article body).

    A line is a copy when at least 80 % of its character 5-grams occur in the lines above
    it. Copies are only flagged in runs (blank and very short lines may sit inside a run)
    holding at least 80 characters of copied text, so a repeated phrase or heading stays.
    """
    total = sum(len(line) for line in lines)
    sample = 1 if total <= _FULL_GRAMS_UP_TO else -(-total // _FULL_GRAMS_UP_TO)
    compacts = ["".join(line.split()) for line in lines]
    copied = None
    if sample == 1 and total >= _NUMPY_GRAMS_FROM:
        copied = _copied_by_sorting(compacts)
    if copied is None:
        copied = _copied_by_sets(compacts, sample)

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


@cache
def _space_table() -> Any:
    """Per BMP code point: 0, or 1 if ``_SPACE_RUN`` takes it (2 if zero-width). No code
    point above the BMP is whitespace (a test checks)."""
    np = _numpy()
    table = np.zeros(0x10000, np.uint8)
    every = "".join(map(chr, range(0x10000)))
    for run in _SPACE_RUN.finditer(every):  # the regex itself decides, so both agree
        table[run.start() : run.end()] = 1
    table[[ord(c) for c in _ZERO_WIDTH]] = 2
    return table


def _space_runs(kept: str) -> list[tuple[int, int]]:
    """The runs ``_SPACE_RUN.finditer(kept)`` finds, less the single space or line break
    between text (most of them: they stay as they are)."""
    # numpy finds the runs: the regex scan alone cost ~15 ns a character.
    np = _numpy()
    if not kept:
        return []
    table = _space_table()
    kinds = np.empty(len(kept), np.uint8)
    for start in range(0, len(kept), _BLOCK):
        codes = _codes(kept[start : start + _BLOCK])
        kinds[start : start + len(codes)] = table[np.minimum(codes, 0xFFFF)]
    space = kinds != 0
    bounds = np.concatenate(([0], np.flatnonzero(space[1:] != space[:-1]) + 1, [len(kept)]))
    starts, ends = bounds[:-1], bounds[1:]
    wanted = space[starts] & (
        (ends - starts > 1) | (starts == 0) | (ends == len(kept)) | (kinds[starts] == 2)
    )
    return list(zip(starts[wanted].tolist(), ends[wanted].tolist(), strict=True))


def _collapse_whitespace(text: str, mask: bytearray) -> tuple[str, array[int]]:
    """Mark removable whitespace in the not-yet-removed text (see the module docstring) and
    return what :func:`_kept` then returns."""
    kept, positions = _kept(text, mask)
    drop: list[int] = []  # indices into `kept`
    for start, end in _space_runs(kept):
        chunk = kept[start:end]
        keep = -1
        if start > 0 and end < len(kept):
            if any(c in _BREAKS for c in chunk):
                keep = chunk.find("\n")
                if keep < 0:
                    keep = next(k for k, c in enumerate(chunk) if c in _BREAKS)
            else:
                keep = next((k for k, c in enumerate(chunk) if c not in _ZERO_WIDTH), -1)
        if keep < 0:
            drop.extend(range(start, end))
        else:
            drop.extend(range(start, start + keep))
            drop.extend(range(start + keep + 1, end))
    if not drop:
        return kept, positions
    np = _numpy()  # one numpy assignment instead of a Python store per character
    before = np.frombuffer(positions, np.intc)
    np.frombuffer(mask, np.uint8)[before[drop]] = _CODE["whitespace"]
    return _kept(text, mask)


def _removals(mask: bytearray) -> tuple[Removal, ...]:
    """Each run of one removal code, as a ``Removal``."""
    if not mask:
        return ()
    np = _numpy()
    codes = np.frombuffer(mask, np.uint8)
    starts = [0, *(np.flatnonzero(codes[1:] != codes[:-1]) + 1).tolist()]
    ends = [*starts[1:], len(mask)]
    return tuple(
        Removal(start=start, end=end, reason=REASONS[mask[start] - 1])
        for start, end in zip(starts, ends, strict=True)
        if mask[start]
    )


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

    glosses = find_pinyin(text) if pinyin else []
    for start, end in glosses:
        mask[start:end] = bytes([_CODE["pinyin"]]) * (end - start)  # nothing marked yet

    if duplicates or boilerplate:
        lines, spans = _lines(text)
        if glosses:
            views = [_line_view(text, mask, start, end) for start, end in spans]
        else:  # nothing removed yet
            views = [line.strip(_STRIP) for line in lines]
        copies = find_duplicate_lines(views) if duplicates else [False] * len(views)
        labels = find_boilerplate(views, dropped=copies) if boilerplate else [None] * len(views)
        for (start, end), copy, label in zip(spans, copies, labels, strict=True):
            if label is None and not copy:
                continue
            code = _CODE["boilerplate"] if label is not None else _CODE["duplicate"]
            _mark(mask, start, end, code)

    if whitespace:
        cleaned, positions = _collapse_whitespace(text, mask)
    else:
        cleaned, positions = _kept(text, mask)
    return CleanedText(
        text=cleaned, to_original=positions, removed=_removals(mask), original_length=len(text)
    )
