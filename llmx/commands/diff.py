"""``llmx diff A B``: how two runs differ, for terminals, CI logs and pipes.

A and B are two eval reports (``llmx eval --report``: score deltas and changed verdicts) or two
prediction files (``llmx extract -o``: A scored against B as the reference). Colour only on a
terminal; in a pipe, plain lines that are never cut.

Exit codes: 0 the diff was printed (whatever it says); 1 an input could not be used (one line
says why and what ``llmx diff`` needs).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

if TYPE_CHECKING:
    from rich.console import Console

NEEDS = "give two eval reports (llmx eval --report) or two prediction files (llmx extract -o)"


class Unusable(Exception):
    """An input ``llmx diff`` cannot use; the message is the one line to print."""


def kind_of(path: Path) -> Literal["report", "predictions"]:
    """Whether ``path`` holds an eval report (one JSON object) or predictions (JSON lines)."""
    try:
        with path.open(encoding="utf-8") as fh:
            first = next((line for line in fh if line.strip()), "")
    except (OSError, UnicodeDecodeError) as exc:
        raise Unusable(f"cannot read {path}: {exc}") from None
    if not first:
        raise Unusable(f"{path} is empty; {NEEDS}")
    try:
        row = json.loads(first)
    except ValueError:
        row = None  # a report is indented JSON: its first line alone is not a document
    if isinstance(row, dict) and "doc_id" in row:
        return "predictions"
    if first.strip() == "{" or (isinstance(row, dict) and "provenance" in row):
        return "report"
    raise Unusable(f"{path} is neither an eval report nor predictions JSONL; {NEEDS}")


def command(
    old: Annotated[
        Path, typer.Argument(help="Run A: an eval report (JSON) or predictions (JSONL).")
    ],
    new: Annotated[
        Path,
        typer.Argument(help="Run B, the same kind of file as A (predictions: the reference)."),
    ],
    tolerance: Annotated[
        float, typer.Option("--tolerance", help="Reports: colour a change only beyond this |Δ|.")
    ] = 0.01,
    task: Annotated[
        str | None,
        typer.Option(help="Predictions: the task to score with [default: the one the runs name]."),
    ] = None,
) -> None:
    """Compare two runs: eval reports (score deltas, changed verdicts) or predictions (A
    scored against B per kind, and the records that differ)."""
    from rich.console import Console

    err = Console(stderr=True, soft_wrap=True)
    out = Console(highlight=False)
    try:
        kinds = kind_of(old), kind_of(new)
        if kinds[0] != kinds[1]:
            raise Unusable(f"{old} is {_a(kinds[0])} but {new} is {_a(kinds[1])}; {NEEDS}")
        if kinds[0] == "report":
            _reports(old, new, tolerance, out)
        else:
            _predictions(old, new, task, out)
    except Unusable as exc:
        err.print(f"llmx diff: {exc}", markup=False, highlight=False)
        raise typer.Exit(1) from None


def _a(kind: str) -> str:
    return "an eval report" if kind == "report" else "predictions"


def _reports(old: Path, new: Path, tolerance: float, out: Console) -> None:
    from pydantic import ValidationError

    from llmx.evaluation.report import read_report
    from llmx.review.diff import diff_reports, render_diff

    reports = []
    for path in (old, new):
        try:
            reports.append(read_report(path))
        except ValidationError as exc:
            e = exc.errors()[0]
            where = ".".join(str(p) for p in e["loc"]) or "the file"
            raise Unusable(
                f"{path} is not a readable eval report: {where}: {e['msg']}; {NEEDS}"
            ) from None
        except (OSError, ValueError) as exc:
            raise Unusable(f"cannot read eval report {path}: {exc}") from None
    render_diff(diff_reports(reports[0], reports[1]), out, tolerance)


def _predictions(old: Path, new: Path, task: str | None, out: Console) -> None:
    from llmx.evaluation.scoring import Scorer
    from llmx.review.run_diff import diff_runs, render_run_diff
    from llmx.review.sources import read_results
    from llmx.tasks import TaskError, load_task

    runs = []
    for path in (old, new):
        try:
            runs.append(read_results(path))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise Unusable(f"cannot read predictions: {exc}") from None
    named = sorted({r.task for run in runs for r in run.values()})
    if task is None and len(named) > 1:
        raise Unusable(f"the runs are of different tasks ({', '.join(named)}); pass --task")
    try:
        loaded = load_task(task or (named[0] if named else None))
        scorer = Scorer(loaded)
    except TaskError as exc:
        raise Unusable(str(exc)) from None
    render_run_diff(diff_runs(runs[0], runs[1], scorer), out)
