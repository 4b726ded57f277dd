"""Run the Python API against a ScriptedServer with fast, test-friendly settings."""

from __future__ import annotations

import asyncio
from typing import Any

from llmx.api import aextract
from llmx.core.documents import Document
from llmx.core.results import DocResult
from llmx.testing import ScriptedServer


async def run_scripted(
    server: ScriptedServer, docs: list[Document], **settings: Any
) -> list[DocResult]:
    """``aextract`` on ``docs`` via the LLM backend; no cache, short backoff, 30 s at most."""
    opts: dict[str, Any] = {
        "backend": "llm",
        "base_url": server.base_url,
        "model": "scripted-model",
        "cache": False,
        "max_backoff": 0.05,
        "timeout": 5.0,
        "show_quantities": False,
        **settings,
    }
    return await asyncio.wait_for(aextract(docs, **opts), 30)
