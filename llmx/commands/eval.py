"""`llmx eval`: score extraction against hand-checked gold, print tables, gate on quality.

Exit codes: 0 every gate held; 1 the eval itself failed (bad or missing files, no gold,
nothing scored, a crash) with one line on stderr; 2 a quality gate failed (a ``--min-f1``
floor, or a drop against ``--baseline`` beyond ``--tolerance``).
"""

from __future__ import annotations

import logging
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from llmx.commands import options

if TYPE_CHECKING:  # the scorer pulls in scipy: imported only when the command runs
    from llmx.core.documents import Document
    from llmx.core.results import DocResult
    from llmx.evaluation.report import EvalReport
    from llmx.evaluation.runner import Extractor
    from llmx.tasks import Task

EXIT_OK, EXIT_HARNESS, EXIT_GATE = 0, 1, 2


class BackendChoice(StrEnum):
    rules = "rules"
    llm = "llm"
    auto = "auto"


def _fail(message: str) -> typer.Exit:
    print(f"llmx eval: error: {message}", file=sys.stderr)
    return typer.Exit(EXIT_HARNESS)


def _load_baseline(path: Path | None) -> EvalReport | None:
    from llmx.evaluation.report import read_report
    from llmx.evaluation.runner import HarnessError

    if path is None:
        return None
    try:
        return read_report(path)
    except (OSError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise HarnessError(f"cannot read baseline {path}: {first}") from exc


def _say_source(replay: Path | None, record: Path | None, backend: str, given: dict) -> None:
    """One stderr line: where this eval's answers come from."""
    if replay is not None:
        print(f"llmx eval: replaying {replay} (recorded replies, no network)", file=sys.stderr)
    elif backend == "llm" or (backend == "auto" and given.get("base_url")):
        where = f"llmx eval: live model calls{f', recording to {record}' if record else ''}"
        print(where, file=sys.stderr)


def _extractor(task: Task, variant: str | None) -> Extractor:
    """The default extractor, or one that runs the task with a prompt variant."""
    from llmx.evaluation.matrix import _Collector
    from llmx.evaluation.runner import HarnessError, call_backend
    from llmx.evaluation.variants import apply_variant
    from llmx.tasks import TaskError

    if variant is None:
        return call_backend
    try:
        changed, overrides = apply_variant(task, variant)
    except TaskError as exc:
        raise HarnessError(str(exc)) from exc
    collector = _Collector(changed)

    def extract(docs: list[Document], name: str, backend: str, settings: dict) -> list[DocResult]:
        return collector(docs, name, backend, {**settings, **overrides})

    return extract


def _run_matrix(path: Path, report: Path | None, json_out: bool) -> None:
    """``--matrix``: every cell, one table (or the JSON of every cell), exit 1 if a cell could
    not be scored and 2 if a cell's gate failed."""
    from llmx.evaluation.matrix import load_matrix, run_matrix
    from llmx.evaluation.render import matrix_table
    from llmx.evaluation.runner import HarnessError

    logging.getLogger("instructor").setLevel(logging.CRITICAL)
    try:
        config = load_matrix(path)
        result = run_matrix(config)
    except HarnessError as exc:
        raise _fail(str(exc)) from None
    if report is not None:
        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_text(result.model_dump_json(indent=2) + "\n", encoding="utf-8")
    if json_out:
        print(result.model_dump_json(indent=2))
    else:
        from rich.console import Console

        Console(width=None if sys.stdout.isatty() else 200).print(matrix_table(result))
    failed = [c for c in result.cells if c.error is not None]
    for c in failed:
        print(f"llmx eval: cell {c.name} not scored: {c.error}", file=sys.stderr)
    if failed:
        raise typer.Exit(EXIT_HARNESS)
    raise typer.Exit(EXIT_OK if result.passed else EXIT_GATE)


def command(
    task: Annotated[
        str | None, typer.Option(help="Task name (default: `task` in llmx.toml / pyproject).")
    ] = None,
    dataset: Annotated[
        Path | None, typer.Option(help="Dataset folder holding gold/*.json [default: evals/TASK].")
    ] = None,
    backend: Annotated[
        BackendChoice, typer.Option(help="Extraction backend when not scoring --predictions.")
    ] = BackendChoice.auto,
    predictions: Annotated[
        Path | None, typer.Option(help="Score this JSONL of results; no model is called.")
    ] = None,
    report: Annotated[Path | None, typer.Option(help="Write the JSON report here.")] = None,
    baseline: Annotated[
        Path | None, typer.Option(help="A previous JSON report to compare against.")
    ] = None,
    min_f1: Annotated[
        list[str] | None,
        typer.Option(
            "--min-f1",
            metavar="KIND=F1",
            help="Strict F1 floor per record kind (repeatable): KIND=0.80 or KIND.partial=0.9.",
        ),
    ] = None,
    tolerance: Annotated[
        float, typer.Option(help="Largest allowed drop of any P/R/F1 against --baseline.")
    ] = 0.02,
    save_predictions: Annotated[
        Path | None, typer.Option(help="Save the backend's results as JSONL.")
    ] = None,
    base_url: Annotated[str | None, typer.Option(help="OpenAI-compatible endpoint.")] = None,
    model: options.Model = None,
    mode: options.Mode = None,
    max_tokens: options.MaxTokens = None,
    record: options.Record = None,
    replay: options.Replay = None,
    variant: Annotated[
        str | None,
        typer.Option(help="Prompt variant: no_examples, no_quantity_hints or a folder name."),
    ] = None,
    alpha: Annotated[
        float | None,
        typer.Option(
            help="Gate on the baseline by a paired test: fail only on an F1 drop significant "
            "at this level (instead of --tolerance)."
        ),
    ] = None,
    max_drop: Annotated[
        float | None,
        typer.Option(help="With --alpha: any F1 drop larger than this fails, significant or not."),
    ] = None,
    resamples: Annotated[int, typer.Option(help="Bootstrap replicates for intervals.")] = 2000,
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap (intervals are seeded).")] = 0,
    docs: Annotated[
        str | None, typer.Option(help="Score only these gold documents: ID,ID,...")
    ] = None,
    matrix: Annotated[
        Path | None,
        typer.Option(help="Run every cell of this matrix TOML (providers × prompt variants)."),
    ] = None,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print the JSON report on stdout instead of tables.")
    ] = False,
) -> None:
    """Score extraction against gold annotations and gate on quality."""
    if matrix is not None:
        _run_matrix(matrix, report, json_out)
    from llmx.config import ConfigError, load_settings
    from llmx.evaluation.render import number, print_report
    from llmx.evaluation.report import write_report
    from llmx.evaluation.runner import EvalOptions, HarnessError, parse_floor, run_eval
    from llmx.tasks import TaskError, load_task

    try:
        try:
            loaded = load_task(task or load_settings({}).task)
        except (TaskError, ConfigError) as exc:
            raise HarnessError(str(exc)) from exc
        given = {
            "base_url": base_url, "model": model, "mode": mode, "max_tokens": max_tokens,
            "record": record, "replay": replay,
        }  # fmt: skip
        options = EvalOptions(
            dataset=dataset,
            task=loaded.name,
            backend="llm" if replay is not None and backend.value == "auto" else backend.value,
            predictions=predictions,
            settings={k: v for k, v in given.items() if v is not None},
            floors=[parse_floor(f, loaded.kinds) for f in min_f1 or []],
            baseline=_load_baseline(baseline),
            tolerance=tolerance,
            save_predictions=save_predictions,
            alpha=alpha,
            max_drop=max_drop,
            resamples=resamples,
            seed=seed,
            docs=[d.strip() for d in docs.split(",") if d.strip()] if docs else None,
        )
        if tolerance < 0:
            raise HarnessError("--tolerance must be >= 0")
        if alpha is not None and not 0 < alpha < 1:
            raise HarnessError("--alpha must be between 0 and 1")
        if resamples < 1:
            raise HarnessError("--resamples must be >= 1")
        _say_source(replay, record, options.backend, options.settings)
        result = run_eval(options, _extractor(loaded, variant))
        if report is not None:
            write_report(result, report)
    except HarnessError as exc:
        raise _fail(str(exc)) from None
    except Exception as exc:  # a crash is a harness error too: one line, not a traceback
        raise _fail(f"{type(exc).__name__}: {exc}") from None

    if json_out:
        print(result.model_dump_json(indent=2))
    else:
        from rich.console import Console  # here, not at import: ``llmx -h`` stays light

        console = Console(width=None if sys.stdout.isatty() else 140)
        print_report(result, console, options.baseline, tolerance)
    if not result.passed:
        for g in result.gates:
            if not g.passed:
                print(
                    f"llmx eval: gate failed: {g.kind} {g.mode} {g.figure} {number(g.value)} "
                    f"< {number(g.threshold)} ({g.name})",
                    file=sys.stderr,
                )
        raise typer.Exit(EXIT_GATE)
    raise typer.Exit(EXIT_OK)
