"""Gather what the page shows: read the run (and eval report), find the texts, build the data."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from llmx.core.results import record_kinds
from llmx.evaluation.report import read_report
from llmx.htmlreport.evalview import eval_view
from llmx.htmlreport.model import (
    GROUNDINGS,
    TEXT_NOTES,
    Page,
    collect_edges,
    doc_view,
    field_columns,
    show,
)
from llmx.output import read_results
from llmx.tasks import load_task
from llmx.text.lookup import TextFinder


def build_page(
    run: str | Path,
    *,
    inputs: Iterable[str | Path] = (),
    eval_report: str | Path | None = None,
    gold_dir: str | Path | None = None,
    task: str | None = None,
) -> Page:
    """The page's data for the run at ``run``.

    Raises:
        OSError / ValueError: the run or the eval report cannot be read (the message names it).
        llmx.tasks.TaskError: the run's task cannot be loaded.
    """
    results = list(read_results(run))
    named = sorted({r.task for r in results})
    if task is None and not named:  # an empty run: the configured task, as llmx eval does
        from llmx.config import load_settings

        task = load_settings({}).task
    loaded = load_task(task or named[0])
    notes = [f"the run names other tasks too: {', '.join(named)}"] if len(named) > 1 else []
    finder = TextFinder(inputs, bases=[Path(run).resolve().parent])
    notes += [f"input {show(p)}" for p in finder.problems[:20]]
    kinds = tuple(record_kinds(results, loaded.kinds))  # an older task's kinds too
    docs = [doc_view(loaded, kinds, n, r, finder) for n, r in enumerate(results)]
    for state in ("missing", "changed", "unverified"):
        count = sum(d.text_state == state for d in docs)
        if count:
            notes.append(f"{count} of {len(docs)} document(s): {TEXT_NOTES[state]}")
    evaluation = None
    if eval_report is not None:
        report = read_report(eval_report)
        evaluation = eval_view(
            report,
            str(eval_report),
            loaded,
            kinds,
            {d.doc_id: d for d in docs},
            {r.doc_id: r for r in results},
            Path(gold_dir) if gold_dir else None,
        )
    return Page(
        title=show(Path(run).name),
        run=show(str(run)),
        task=loaded.name,
        kinds=kinds,
        groundings=tuple(GROUNDINGS),
        statuses=tuple(sorted({d.status for d in docs})),
        text_states=tuple(s for s in TEXT_NOTES if any(d.text_state == s for d in docs)),
        field_columns=field_columns(results),
        docs=docs,
        edges=collect_edges(loaded, results),
        eval=evaluation,
        notes=notes,
    )
