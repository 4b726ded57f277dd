"""Columns as plain lines: aligned by terminal cells (wide CJK characters count two), never
boxed, cut or wrapped -- so a pipe or a CI log gets every doc id and record in full."""

from __future__ import annotations

from collections.abc import Container, Sequence

from rich.cells import cell_len
from rich.text import Text


def aligned(rows: Sequence[Sequence[Text]], right: Container[int] = ()) -> list[Text]:
    """One line per row, columns two spaces apart; ``right``: indexes of right-aligned ones.

    The last column is not padded (no trailing blanks). Styles of the cells are kept."""
    if not rows:
        return []
    ncols = max(len(r) for r in rows)
    widths = [
        max((cell_len(r[i].plain) for r in rows if i < len(r)), default=0) for i in range(ncols)
    ]
    lines = []
    for row in rows:
        line = Text()
        for i, cell in enumerate(row):
            pad = " " * (widths[i] - cell_len(cell.plain))
            last = i == len(row) - 1
            if i:
                line.append("  ")
            if i in right:
                line.append(pad)
                line.append_text(cell)
            else:
                line.append_text(cell)
                if not last:
                    line.append(pad)
        line.rstrip()  # an empty last cell leaves no trailing blanks
        lines.append(line)
    return lines
