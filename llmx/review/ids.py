"""Doc ids cut to a column without losing what tells them apart.

Real ids often share a long prefix (a date, a site, a feed) or suffix and differ in a few
characters; cutting the tail (``2026-11-30_guangz…``) makes every row look the same. Here the
kept window is placed over the part where the ids differ, with ``…`` where something was cut.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len

ELLIPSIS = "…"


def column_width(ids: Sequence[str], screen: int, *, floor: int = 10, marker: int = 1) -> int:
    """Cells for the id column: the longest id (plus ``marker`` cells for the edited ``*``),
    at least ``floor``, at most a fifth of the screen (the records need the rest)."""
    longest = max((cell_len(i) for i in ids), default=0) + marker
    return max(floor, min(longest, max(floor, screen // 5)))


def short_ids(ids: Sequence[str], width: int) -> dict[str, str]:
    """Each id in at most ``width`` cells, the differing part kept; ids that fit are unchanged."""
    unique = list(dict.fromkeys(ids))
    prefix = _shared_head(unique) if len(unique) > 1 else 0
    suffix = _shared_head([i[::-1] for i in unique]) if len(unique) > 1 else 0
    return {i: _fit(i, width, prefix, suffix) for i in unique}


def _shared_head(strings: Sequence[str]) -> int:
    """Length of the longest start all ``strings`` share, character by character."""
    first, last = min(strings), max(strings)  # the sorted extremes bound every other string
    n = 0
    while n < min(len(first), len(last)) and first[n] == last[n]:
        n += 1
    return n


def _fit(doc_id: str, width: int, prefix: int, suffix: int) -> str:
    if cell_len(doc_id) <= width:
        return doc_id
    if width <= 1:
        return ELLIPSIS[:width]
    n = len(doc_id)
    start = min(prefix, n)  # where this id starts to differ from the others
    if start <= 3:  # cutting a short shared head saves no more than the ellipsis costs
        start = 0
    end = max(start, n - min(suffix, n - start))  # and where the shared tail begins
    # grow the window [lo, hi) over the differing part first, then on both sides in turn
    lo, hi = start, start
    turn = 0
    while True:
        sides = ("hi", "lo") if hi < end or lo == 0 else (("lo", "hi"), ("hi", "lo"))[turn % 2]
        for side in sides:
            cand_lo, cand_hi = (lo, hi + 1) if side == "hi" else (lo - 1, hi)
            if cand_lo >= 0 and cand_hi <= n and _cells(doc_id, cand_lo, cand_hi) <= width:
                lo, hi = cand_lo, cand_hi
                turn += 1
                break
        else:
            break
    return (ELLIPSIS if lo > 0 else "") + doc_id[lo:hi] + (ELLIPSIS if hi < n else "")


def _cells(doc_id: str, lo: int, hi: int) -> int:
    """Cells of ``doc_id[lo:hi]`` with the ellipses the cut sides need."""
    return cell_len(doc_id[lo:hi]) + (lo > 0) + (hi < len(doc_id))
