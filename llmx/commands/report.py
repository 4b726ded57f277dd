"""``llmx report RUN.jsonl -o report.html``: one self-contained HTML page for a run.

The run stores offsets, not texts, so the texts are found again (``--inputs``, else each
result's ``source``) and checked against the run's text hashes before spans are drawn.

Exit codes: 0 the page was written (documents whose text was not found are said so in it and
on one stderr line); 1 the run, the eval report or the task cannot be read, or the page cannot
be written.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated

import typer


def command(
    run: Annotated[Path, typer.Argument(help="A run's JSONL output (llmx extract -o).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="The HTML file to write.")],
    inputs: Annotated[
        list[Path] | None,
        typer.Option(
            "--inputs",
            metavar="<path>",
            help="The run's inputs (files, folders, JSONL), to find the texts; repeatable "
            "[default: each result's source].",
        ),
    ] = None,
    eval_report: Annotated[
        Path | None,
        typer.Option("--eval", help="An eval report (llmx eval --report) to show beside."),
    ] = None,
    gold: Annotated[
        Path | None,
        typer.Option(
            "--gold",
            help="Gold folder for the eval's missed records [default: the report's dataset].",
        ),
    ] = None,
    task: Annotated[
        str | None, typer.Option(help="Task name [default: the one the run names].")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No summary line.")] = False,
) -> None:
    """Write one self-contained HTML page: documents with highlighted spans, edges, eval."""
    from llmx.htmlreport.build import build_page
    from llmx.htmlreport.render import render_page
    from llmx.tasks import TaskError

    started = time.perf_counter()
    try:
        page = build_page(
            run, inputs=inputs or (), eval_report=eval_report, gold_dir=gold, task=task
        )
    except (OSError, ValueError, TaskError) as exc:
        _say(f"llmx report: {exc}")
        raise typer.Exit(1) from None
    html = render_page(page)
    try:
        if output.is_dir():
            raise IsADirectoryError(
                f"-o {output} is a folder; give a file such as {output}/report.html"
            )
        output.parent.mkdir(parents=True, exist_ok=True)
        tmp = output.with_name(f".{output.name}.tmp")
        try:
            tmp.write_text(html, encoding="utf-8")
            tmp.replace(output)  # never a half-written page under the real name
        finally:
            tmp.unlink(missing_ok=True)  # a full disk leaves no partial page behind
    except OSError as exc:
        _say(f"llmx report: cannot write {output}: {exc.strerror or exc}")
        raise typer.Exit(1) from None
    unseen = sum(d.text_state in ("missing", "changed") for d in page.docs)
    if unseen:
        _say(
            f"llmx report: {unseen} of {len(page.docs)} document(s) without their text "
            "(not found or changed; give the inputs with --inputs): spans not shown for them"
        )
    if not quiet:
        size = len(html.encode("utf-8"))
        _say(
            f"llmx report: {output} ({len(page.docs)} documents, {page.records} records, "
            f"{size / 1e6:.1f} MB, {time.perf_counter() - started:.1f} s)"
        )


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)
