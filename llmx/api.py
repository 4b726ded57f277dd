"""Python API: ``extract`` / ``aextract`` (engine being built, issue #2)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from llmx.core.documents import Document
from llmx.core.results import DocResult


async def aextract(
    inputs: Iterable[str | Path | Document], *, task: str = "cooperation", **settings: Any
) -> list[DocResult]:
    raise NotImplementedError


def extract(
    inputs: Iterable[str | Path | Document], *, task: str = "cooperation", **settings: Any
) -> list[DocResult]:
    raise NotImplementedError
