"""The ``llmx`` command line: one command per module in ``llmx.commands``."""

from __future__ import annotations

import typer

from llmx.commands import cassette, clean, diff, eval, extract, review, task

app = typer.Typer(
    name="llmx",
    help="Grounded, schema-driven information extraction from Chinese news.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("extract")(extract.command)
app.command("clean")(clean.command)
app.command("eval")(eval.command)
app.command("review")(review.command)
app.command("diff")(diff.command)
app.add_typer(task.app, name="task")
app.add_typer(cassette.app, name="cassette")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
