"""`llmx diff` (not yet implemented)."""

from __future__ import annotations

import typer


def command() -> None:
    """Not yet implemented."""
    raise typer.Exit(1)
