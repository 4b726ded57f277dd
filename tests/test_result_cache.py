"""Issue 13: the grounded result of a document is cached, keyed by everything that shapes it,
so a cached re-run neither calls the backend nor cleans, prompts or grounds again."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from llmx.config import Settings
from llmx.core.documents import Document
from llmx.core.results import DocResult
from llmx.pipeline import Pipeline
from llmx.testing import Reply, ScriptedServer

TEXT = "广州市专家赴黔南州开展帮扶，培训320人次，指导15个项目。"


def reply(_request: dict) -> Reply:
    metric = {
        "subject": "培训", "value": 320.0, "unit": "人次", "qualifier": "exact",
        "value_text": "320人次", "evidence": "培训320人次",
    }  # fmt: skip
    invented = dict(metric, value_text="999人次", evidence="培训999人次", value=999.0)
    return Reply.data({"programmes": [], "metrics": [metric, invented]})


def run(
    url: str, cache_dir: Path, docs: list[Document], **extra: Any
) -> tuple[list[DocResult], int]:
    settings = Settings.model_validate(
        {"task": "cooperation", "backend": "llm", "base_url": url, "model": "m", "api_key": "k",
         "cache": True,
         "cache_dir": cache_dir, **extra}
    )  # fmt: skip

    async def go() -> tuple[list[DocResult], int]:
        pipeline = Pipeline(settings)
        calls = 0
        inner = pipeline.backend.extract_chunk

        async def counted(*args: Any) -> Any:
            nonlocal calls
            calls += 1
            return await inner(*args)

        pipeline.backend.extract_chunk = counted  # type: ignore[method-assign]
        out: list[DocResult] = []
        try:
            await pipeline.run(docs, out.append)
        finally:
            await pipeline.aclose()
        return out, calls

    return asyncio.run(go())


@pytest.fixture
def server():
    with ScriptedServer(reply) as srv:
        yield srv


def test_cached_rerun_calls_no_backend_and_gives_the_same_records(server, tmp_path: Path) -> None:
    docs = [
        Document(id=f"d{i}", text=TEXT + "第" + str(i) + "篇。", source=f"d{i}.txt")
        for i in range(3)
    ]
    first, calls = run(server.base_url, tmp_path, docs)
    assert calls == 3 and len(server.requests) == 3
    again, calls = run(server.base_url, tmp_path, docs)
    assert calls == 0 and len(server.requests) == 3  # not even the response cache is asked
    for a, b in zip(first, again, strict=True):
        assert a.records("metrics") == b.records("metrics") and len(a.records("metrics")) == 1
        assert b.meta.cached_chunks == b.meta.chunks and b.meta.usage.requests == 0
        assert b.meta.warnings == a.meta.warnings  # the dropped invention is still reported


def test_same_text_under_another_id_keeps_its_own_id_and_source(server, tmp_path: Path) -> None:
    run(server.base_url, tmp_path, [Document(id="a", text=TEXT, source="a.txt")])
    (hit,), calls = run(
        server.base_url, tmp_path, [Document(id="b", text=TEXT, source="b.txt", warnings=("w",))]
    )
    assert calls == 0 and (hit.doc_id, hit.source) == ("b", "b.txt")
    assert hit.meta.warnings[0] == "w"


def test_a_setting_that_changes_grounding_is_part_of_the_key(server, tmp_path: Path) -> None:
    docs = [Document(id="a", text=TEXT, source="a.txt")]
    run(server.base_url, tmp_path, docs)
    (res,), calls = run(server.base_url, tmp_path, docs, keep_ungrounded=True)
    assert calls == 1  # grounded again (the response itself still comes from the cache)
    assert len(server.requests) == 1
    assert [m["grounding"] for m in res.records("metrics")] == ["exact", "ungrounded"]
