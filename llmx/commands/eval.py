"""`llmx eval`: score extraction against hand-checked gold, print tables, gate on quality.

Exit codes: 0 every gate held; 1 the eval itself failed (bad or missing files, no gold,
nothing scored, a crash) with one line on stderr; 2 a quality gate failed (a ``--min-f1``
floor, or a drop against ``--baseline`` beyond ``--tolerance``).
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:  # the scorer pulls in scipy: imported only when the command runs
    from llmx.evaluation.report import EvalReport

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
    model: Annotated[str | None, typer.Option(help="Model name.")] = None,
    mode: Annotated[str | None, typer.Option(help="Structured-output mode.")] = None,
) -> None:
    """Score extraction against gold annotations and gate on quality."""
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
        options = EvalOptions(
            dataset=dataset,
            task=loaded.name,
            backend=backend.value,
            predictions=predictions,
            settings={
                k: v
                for k, v in {"base_url": base_url, "model": model, "mode": mode}.items()
                if v is not None
            },
            floors=[parse_floor(f, loaded.kinds) for f in min_f1 or []],
            baseline=_load_baseline(baseline),
            tolerance=tolerance,
            save_predictions=save_predictions,
        )
        if tolerance < 0:
            raise HarnessError("--tolerance must be >= 0")
        result = run_eval(options)
        if report is not None:
            write_report(result, report)
    except HarnessError as exc:
        raise _fail(str(exc)) from None
    except Exception as exc:  # a crash is a harness error too: one line, not a traceback
        raise _fail(f"{type(exc).__name__}: {exc}") from None

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
