"""The cleaning code as it was before the speed work of issue #13 (main at d19499e), kept
verbatim as the reference that tests/test_cleaning_reference.py compares the current code
with. Only the imports are adapted: unchanged helpers and patterns come from the live
modules, every function the speed work touched is copied here.
"""

# ruff: noqa
# mypy: ignore-errors

from __future__ import annotations

import re
import unicodedata
from array import array
from collections import Counter
from collections.abc import Iterator, Sequence

from llmx.core.documents import CleanedText, Removal
from llmx.text.boilerplate import (
    _AD_CUE,
    _AD_YOU,
    _BULLET,
    _CAPTION,
    _CLAUSE,
    _CONTACT_START,
    _DATE_LINE,
    _DIGIT,
    _FOOTER_STRONG,
    _FOOTER_WEAK,
    _INNER_CLAUSE,
    _LONGEST_CLASSIFIED,
    _MENU_WORDS,
    _META_COLON,
    _META_STRICT,
    _META_WORD,
    _NAV_HOME,
    _NAV_SEP,
    _NAV_START,
    _PAGER,
    _PHONE,
    _SHARE,
    _is_content,
    _is_related_header,
    _is_short_label,
)
from llmx.text.pinyin import (
    _ANNOTATION,
    _MAX_CHARS,
    _PRECEDING_HAN,
    _TONE_MARKS,
    _has_tone_mark,
    _readings,
    _splits_into_syllables,
    _syllables,
)
from llmx.text.script import HAN, normalize_for_matching

# --- llmx/text/pinyin.py ----------------------------------------------------------------------


def _toneless(syllable: str) -> str:
    decomposed = unicodedata.normalize("NFD", syllable.lower())
    bare = "".join(c for c in decomposed if c not in _TONE_MARKS)
    # pypinyin writes ü as "ü" (or "v" in its toneless styles); users write v, ü or u:.
    return unicodedata.normalize("NFC", bare).replace("ü", "v").replace("u:", "v")


def _segmentations(word: str, chars: str) -> bool:
    """Can ``word`` be cut into the readings of the last characters of ``chars``, in order?"""
    # Try each number k of covered characters; readings must follow each other exactly.
    for k in range(1, len(chars) + 1):
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


def is_pinyin_annotation(annotation: str, preceding: str) -> bool:
    """Decide whether ``annotation`` (the text inside the brackets) is pinyin for ``preceding``.

    ``preceding`` is the run of Han characters right before the bracket (nearest last).
    """
    tokens = [t for t in re.split(r"[ \t'’-]+", annotation) if t]
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


# --- llmx/text/boilerplate.py -----------------------------------------------------------------


def _is_nav(line: str) -> bool:
    if _NAV_START.match(line):
        return True
    segments = [s for s in _NAV_SEP.split(line) if s]
    separators = len(_NAV_SEP.findall(line))
    if separators and len(segments) >= 2:
        short = all(len(s) <= 15 and not _CLAUSE.search(s) for s in segments)
        if short and (len(segments) >= 3 or _NAV_HOME.search(segments[0])):
            return True
    tokens = line.split()
    return (
        len(tokens) >= 4
        and all(len(t) <= 6 for t in tokens)
        and not _CLAUSE.search(line)
        and bool(_MENU_WORDS.search(line))
    )


def classify_line(line: str) -> str | None:
    """Label one line (stripped, simplified, half-width) as a kind of boilerplate, or None.

    Kinds: ``nav``, ``meta``, ``footer``, ``contact``, ``share``, ``pager``, ``caption``,
    ``related``, ``symbols``. Only the line itself is looked at; see :func:`find_boilerplate`
    for the page-level rules.
    """
    n = len(line)
    if not n or n > _LONGEST_CLASSIFIED:
        return None
    has_han = bool(HAN.search(line))
    if not has_han and n <= 20:
        return "symbols"  # "0", "2021-11-12", "|", "more >>"
    if _is_related_header(line):
        return "related"
    if n <= 100 and _is_nav(line):
        return "nav"
    if (
        (n <= 40 and _META_STRICT.match(line))
        or (n <= 60 and _META_COLON.match(line))
        or (n <= 120 and len(set(_META_WORD.findall(line))) >= 2 and "。" not in line)
        or _DATE_LINE.match(line)
    ):
        return "meta"
    if (n <= 200 and _FOOTER_STRONG.search(line)) or (
        n <= 120 and len(_FOOTER_WEAK.findall(line)) >= 2
    ):
        return "footer"
    if n <= 100 and (_PHONE.search(line) or _CONTACT_START.match(line)):
        return "contact"
    # Share/subscribe cues also occur in news ("通过公众号、二维码宣传政策,覆盖5000人"):
    # only a short line without inner clause punctuation or figures counts.
    if (
        n <= 60
        and _SHARE.search(line)
        and not _INNER_CLAUSE.search(line)
        and (n <= 20 or not _DIGIT.search(line))
    ):
        return "share"
    if n <= 100 and _AD_YOU.search(line) and _AD_CUE.search(line):
        return "share"
    if n <= 80 and _PAGER.match(line):
        return "pager"
    if n <= 80 and _CAPTION.search(line):
        return "caption"
    return None


def find_boilerplate(
    lines: Sequence[str], dropped: Sequence[bool] | None = None
) -> list[str | None]:
    """Label each line of a page as boilerplate (a kind, see :func:`classify_line`) or None.

    Args:
        lines: The page's lines, stripped of surrounding whitespace (blank lines as "").
        dropped: Lines another step already removes (e.g. a duplicated article body);
            they count as removed when the page-level rules look at neighbours.
    """
    # One conversion call for all the short lines (per-call overhead dominates otherwise).
    short = [i for i, x in enumerate(lines) if x and len(x) <= _LONGEST_CLASSIFIED]
    views = list(lines)
    if short:
        normalized = normalize_for_matching("\n".join(lines[i] for i in short)).split("\n")
        for i, view in zip(short, normalized, strict=True):
            views[i] = view
    labels: list[str | None] = [classify_line(v) for v in views]
    gone = list(dropped) if dropped is not None else [False] * len(views)

    def removed(i: int) -> bool:
        return labels[i] is not None or gone[i]

    # "Related reading" lists: the header, then bullets, short titles and other headers.
    for i, view in enumerate(views):
        if labels[i] != "related" or not _is_related_header(view):
            continue
        for j in range(i + 1, len(views)):
            line = views[j]
            if not line or labels[j] is not None:
                continue
            if _BULLET.match(line) or _is_short_label(line, 40) or _is_related_header(line):
                labels[j] = "related"
            else:
                break

    content = [i for i, v in enumerate(views) if not removed(i) and _is_content(v)]
    if not content:
        return labels  # no article text to anchor the page-level rules: change nothing more
    first, last = content[0], content[-1]

    # Header: slogans repeated above the article, and short lines above a breadcrumb.
    counts = Counter(v for i, v in enumerate(views[:first]) if labels[i] is None)
    for i in range(first):
        if labels[i] is None and _is_short_label(views[i], 20) and counts[views[i]] >= 2:
            labels[i] = "slogan"
    navs = [i for i in range(min(first, 8)) if labels[i] == "nav"]
    if navs:
        for i in range(navs[-1]):
            if labels[i] is None and _is_short_label(views[i], 20):
                labels[i] = "header"

    # Footer: short leftovers ("部委省市", "专题专栏") between removed lines after the article.
    def neighbour_removed(i: int, step: int) -> bool:
        j = i + step
        while 0 <= j < len(views) and not views[j]:
            j += step
        return not 0 <= j < len(views) or removed(j)

    for i in range(last + 1, len(views)):
        view = views[i]
        if (
            labels[i] is None
            and not gone[i]
            and _is_short_label(view, 12)
            and not _DIGIT.search(view)
            and neighbour_removed(i, -1)
            and neighbour_removed(i, 1)
        ):
            labels[i] = "tail"
    return labels


# --- llmx/text/cleaning.py --------------------------------------------------------------------

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
