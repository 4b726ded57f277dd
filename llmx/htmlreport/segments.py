"""Cut a text into pieces at every span boundary, so overlapping spans render as flat runs.

A highlighted record may overlap another (one record's evidence holds another's anchor; two
records quote one sentence). HTML elements cannot overlap, so the text is split at every start
and end, and each piece lists the marks covering it: the concatenation of the pieces a mark
covers is exactly ``text[start:end]``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise

_UNRENDERABLE = re.compile("[\x00\ud800-\udfff]")


def displayable(text: str) -> str:
    """``text`` with the characters an HTML page cannot carry as they are (NUL, which the parser
    drops; lone surrogates, which UTF-8 cannot encode) replaced one for one by U+FFFD, so every
    offset still points at the same character."""
    return _UNRENDERABLE.sub("\ufffd", text)


@dataclass(frozen=True, slots=True)
class Mark:
    """A span to highlight: ``[start, end)`` of the text, a record key, and its role."""

    start: int
    end: int
    key: str
    role: str  # "anchor" (the record's span) or "evidence" (its evidence_span)


@dataclass(frozen=True, slots=True)
class Segment:
    """A run of text and the record keys whose anchor / evidence covers all of it."""

    text: str
    anchors: tuple[str, ...] = ()
    evidence: tuple[str, ...] = ()

    @property
    def marked(self) -> bool:
        return bool(self.anchors or self.evidence)


def valid(start: object, end: object, length: float) -> bool:
    """A span that slices a text of ``length`` to something non-empty."""
    return (
        isinstance(start, int)
        and isinstance(end, int)
        and not isinstance(start, bool)
        and not isinstance(end, bool)
        and 0 <= start < end <= length
    )


def segments(text: str, marks: Iterable[Mark]) -> list[Segment]:
    """``text`` as consecutive segments; marks outside the text must be filtered out first."""
    starts: dict[int, list[Mark]] = {}
    ends: dict[int, list[Mark]] = {}
    for m in marks:
        starts.setdefault(m.start, []).append(m)
        ends.setdefault(m.end, []).append(m)
    cuts = sorted({0, len(text), *starts, *ends})
    active: dict[tuple[str, str], None] = {}  # ordered set: keys in the order they opened
    out: list[Segment] = []
    for a, b in pairwise(cuts):
        for m in ends.get(a, ()):
            active.pop((m.key, m.role), None)
        for m in starts.get(a, ()):
            active[(m.key, m.role)] = None
        anchors = tuple(k for k, r in active if r == "anchor")
        evidence = tuple(k for k, r in active if r == "evidence")
        out.append(Segment(text[a:b], anchors, evidence))
    return out
