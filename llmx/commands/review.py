"""``llmx review``: walk through a run's verdicts (or two runs side by side) in the terminal.

Exit codes: 0 done; 1 unreadable input. Gold decisions (``x``/``a`` in the app) are written as
proposals under ``<gold>/proposed/`` and their unified diffs printed when the app closes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def command(
    pred: Annotated[Path, typer.Argument(help="Predictions JSONL (run A).")],
    against: Annotated[
        Path | None, typer.Option("--against", help="A second run (B) to compare with A.")
    ] = None,
    gold: Annotated[
        Path | None,
        typer.Option("--gold", help="Gold folder [default: the task's evals/TASK/gold]."),
    ] = None,
    task: Annotated[
        str | None, typer.Option(help="Task name [default: the one the runs name].")
    ] = None,
    no_gold: Annotated[
        bool, typer.Option("--no-gold", help="Ignore gold; compare B against A.")
    ] = False,
) -> None:
    """Review a run's records against gold and/or another run (Textual UI; ? for keys).

    When stdout is not a terminal, prints the document list (F1, counts, notes) instead.
    """
    import sys

    from rich.console import Console

    from llmx.review.sources import load_review, read_results
    from llmx.tasks import TaskError, load_task

    err = Console(stderr=True, soft_wrap=True, highlight=False)
    try:
        if task is None:  # the task the run says it is (every DocResult line names it)
            first = next(iter(read_results(pred).values()), None)
            task = first.task if first else None
        loaded = load_task(task)
        if gold is not None and not no_gold and not gold.is_dir():
            raise ValueError(f"--gold {gold}: no such folder")
        # the task's gold, wherever llmx runs from (not a folder relative to the current one)
        gold_dir = None if no_gold else (gold or loaded.eval_dir / "gold")
        review = load_review(pred, against, gold_dir, task=loaded)
    except (OSError, ValueError, TaskError) as exc:
        err.print(f"llmx review: {exc}", markup=False)
        raise typer.Exit(1) from None
    if not review.docs:
        err.print("llmx review: no documents to review")
        raise typer.Exit(1)
    for warning in review.warnings:
        err.print(f"llmx review: warning: {warning}", markup=False)
    if not sys.stdout.isatty():
        from llmx.review.listing import print_documents

        print_documents(review, Console(highlight=False))
        return
    from llmx.review.app import run_review

    written = run_review(review)
    out = Console()
    for path, diff in written:
        out.print(f"proposal: {path}" if diff else f"proposal removed: {path}", highlight=False)
    # the last diff per file is cumulative (against the gold file), so print only that one
    final = {str(path): diff for path, diff in written}
    for diff in final.values():
        if diff:
            out.print(diff, markup=False, highlight=False, end="")
