"""The ``llmx`` command line: one command per module in ``llmx.commands``.

Start-up is kept short (``llmx -h`` is typed often): ``import llmx`` is lazy, and each command
module imports its heavy dependencies inside the command function.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from typer.core import TyperArgument, TyperGroup

from llmx._version import __version__
from llmx.commands import cassette, clean, diff, eval, export, extract, report, review, task


class _Group(TyperGroup):
    """typer's group, with the type tags its help adds to argument lists dropped."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _drop_list_types(self)


def _drop_list_types(command: Any) -> None:
    """``FILES...`` already says "one or more": typer's ``<list[str]>`` beside it is noise."""
    for param in getattr(command, "params", []):
        if isinstance(param, TyperArgument) and param.nargs != 1:
            param.display_type_rich = lambda ctx: None  # type: ignore[method-assign]
    for sub in getattr(command, "commands", {}).values():
        _drop_list_types(sub)


app = typer.Typer(
    name="llmx",
    cls=_Group,
    help="Grounded, schema-driven information extraction from Chinese news.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain help: "[default: ...]" in help texts survives (rich markup ate it), flags carry no
    # "<bool>" tag, and rendering the help does not import rich's markdown machinery.
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _print_version(value: bool) -> None:
    if value:
        print(f"llmx {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            "-V",
            callback=_print_version,
            is_eager=True,
            help="Print llmx's version and exit.",
        ),
    ] = False,
) -> None:
    """Grounded, schema-driven information extraction from Chinese news."""


# short_help: what ``llmx -h`` lists, short enough not to be cut at 80 columns
app.command("extract", short_help="Extract a task's records, grounded to character offsets.")(
    extract.command
)
app.command("clean", short_help="Clean documents; --show: what was removed and why.")(clean.command)
app.command("eval", short_help="Score extraction against gold and gate on quality.")(eval.command)
app.command("review", short_help="Review a run against gold and/or another run.")(review.command)
app.command("diff", short_help="Compare two eval reports or two prediction files.")(diff.command)
app.command("export", short_help="Tidy tables of a run: CSV, Parquet or DuckDB.")(export.command)
app.command("report", short_help="One self-contained HTML page of a run (and its eval).")(
    report.command
)
app.add_typer(task.app, name="task", short_help="List, create, check and annotate tasks.")
app.add_typer(
    cassette.app, name="cassette", short_help="Recorded replies: from the cache, prune, list."
)


def main() -> None:
    try:
        app(prog_name="llmx")  # always ends in SystemExit (typer's standalone mode)
    except SystemExit as done:
        from llmx.offload import exit_now_if_workers_run

        # Whatever the command and however it ended: an abandoned CPU worker must not be torn
        # down by interpreter finalization (see llmx/offload.py).
        code = done.code
        exit_now_if_workers_run(code if isinstance(code, int) else 0 if code is None else 1)
        raise


if __name__ == "__main__":
    main()
