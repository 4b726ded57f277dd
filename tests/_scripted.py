"""Run the Python API against a ScriptedServer with fast, test-friendly settings."""

from __future__ import annotations

import asyncio
from typing import Any

from llmx.api import aextract
from llmx.core.documents import Document
from llmx.core.results import DocResult
from llmx.testing import ScriptedServer

# One article sentence and the records a model should return for it (test fixtures, not model
# output): an initiative and the metric linked to it.
TEXT = (
    "8月23日，2024年广州市高层次人才赴黔南州开展智力帮扶活动圆满结束。"
    "专家先后深入项目基地15个，通过讲座、专题培训等培训320余人次，现场指导200余人次。"
)
PROGRAMME = {
    "id": "P1",
    "kind": "initiative",
    "name": "智力帮扶活动",
    "donors": ["广州市"],
    "recipients": ["黔南州"],
    "domains": ["医疗"],
    "evidence": "2024年广州市高层次人才赴黔南州开展智力帮扶活动圆满结束",
}
METRIC = {
    "subject": "培训",
    "value": 320,
    "unit": "人次",
    "qualifier": "more_than",
    "value_text": "320余人次",
    "evidence": "通过讲座、专题培训等培训320余人次",
    "programme": "P1",
}


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
