"""``llmx diff A.json B.json``: how two eval reports differ, for terminals, CI logs and pipes.

Exit codes: 0 the diff was printed (whatever it says); 1 a report could not be read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def command(
    old: Annotated[Path, typer.Argument(help="Eval report of the baseline run (A).")],
    new: Annotated[Path, typer.Argument(help="Eval report of the new run (B).")],
    tolerance: Annotated[
        float, typer.Option("--tolerance", help="Colour a change only beyond this |Δ|.")
    ] = 0.01,
) -> None:
    """Compare two eval reports: score deltas per kind and field, and changed verdicts."""
    from rich.console import Console

    from llmx.evaluation.report import read_report
    from llmx.review.diff import diff_reports, render_diff

    err = Console(stderr=True)
    reports = []
    for path in (old, new):
        try:
            reports.append(read_report(path))
        except (OSError, ValueError) as exc:
            err.print(f"llmx diff: cannot read {path}: {exc}", markup=False, highlight=False)
            raise typer.Exit(1) from None
    render_diff(diff_reports(reports[0], reports[1]), Console(highlight=False), tolerance)
