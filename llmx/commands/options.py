"""CLI options that several commands share, declared once: one place to change a flag."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

Model = Annotated[str | None, typer.Option(help="Model name.")]
Mode = Annotated[str | None, typer.Option(help="Structured-output mode.")]
MaxTokens = Annotated[int | None, typer.Option(help="Completion token limit.")]
Record = Annotated[
    Path | None, typer.Option(help="Write each model reply to this cassette folder.")
]
Replay = Annotated[Path | None, typer.Option(help="Answer from this cassette folder; no network.")]
CassetteFolder = Annotated[Path, typer.Argument(help="Cassette folder.")]
