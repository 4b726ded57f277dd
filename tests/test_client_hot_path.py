"""The client's hot path (issue 13): what it sends is what instructor would send, identical
requests in flight go out once, and redaction masks what it must and nothing else."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from _scripted import run_scripted

from llmx.core.documents import Document
from llmx.testing import Reply, ScriptedServer

TEXT = "2024年广州市专家赴黔南州开展智力帮扶活动，培训320余人次，现场指导200余人次。"
GOOD = {
    "programmes": [],
    "metrics": [
        {
            "subject": "培训",
            "value": 320,
            "unit": "人次",
            "qualifier": "more_than",
            "value_text": "320余人次",
            "evidence": "培训320余人次",
        }
    ],
}


async def run(server: ScriptedServer, docs: list[Document], **kw: Any) -> list[Any]:
    return await run_scripted(server, docs, **kw)


async def test_identical_requests_in_flight_are_sent_once() -> None:
    with ScriptedServer(lambda _req: Reply.data(GOOD), latency=0.3) as server:
        docs = [Document(id=f"copy{i}", text=TEXT, source=f"mem:{i}") for i in range(3)]
        results = await run(server, docs, mode="tools", concurrency=3)
    assert len(server.requests) == 1
    assert [r.status for r in results] == ["ok"] * 3
    assert all(r.records("metrics") == results[0].records("metrics") for r in results)
    assert sum(r.meta.usage.total_tokens for r in results) == 150  # counted once
    assert sorted(r.meta.cached_chunks for r in results) == [0, 1, 1]


async def test_a_failed_leader_fails_its_followers_without_more_requests() -> None:
    with ScriptedServer(lambda _req: Reply.error(400), latency=0.3) as server:
        docs = [Document(id=f"copy{i}", text=TEXT, source=f"mem:{i}") for i in range(2)]
        results = await run(server, docs, mode="tools", concurrency=2)
    assert len(server.requests) == 1
    assert [r.error.type for r in results if r.error] == ["bad_request"] * 2
    assert sum(r.meta.attempts for r in results) == 1


async def test_a_follower_sends_it_itself_when_the_leader_is_cancelled() -> None:
    from llmx.config import load_settings
    from llmx.core.documents import Chunk
    from llmx.providers.openai_compat import LLMBackend
    from llmx.tasks import load_task

    task = load_task("cooperation")
    doc = Document(id="d", text=TEXT, source="mem:d")
    chunk = Chunk(index=0, text=TEXT, start=0)
    with ScriptedServer(lambda _req: Reply.data(GOOD), latency=0.5) as server:
        settings = load_settings(
            {"backend": "llm", "base_url": server.base_url, "model": "m", "mode": "tools"}
        )
        backend = LLMBackend(settings)
        try:
            leader = asyncio.create_task(backend.extract_chunk(task, chunk, doc))
            await asyncio.sleep(0.1)
            follower = asyncio.create_task(backend.extract_chunk(task, chunk, doc))
            await asyncio.sleep(0.1)
            leader.cancel()
            out = await asyncio.wait_for(follower, 10)
        finally:
            await backend.aclose()
        assert leader.cancelled()
        assert out.records["metrics"][0]["value"] == 320 and not out.cached
        assert len(server.requests) == 2


@pytest.mark.parametrize("mode", ["tools", "json_schema", "json", "md_json"])
async def test_the_body_sent_is_instructors_request_for_the_mode(mode: str) -> None:
    import instructor
    from instructor.v2.core.response import handle_response_model

    from llmx.core.documents import Chunk
    from llmx.prompting import render_messages
    from llmx.tasks import load_task

    task = load_task("cooperation")
    doc = Document(id="d", text=TEXT + '含"引号"与\\反斜杠\n换行', source="mem:d")
    with ScriptedServer(lambda _req: Reply.data(GOOD)) as server:
        await run(server, [doc], mode=mode, clean=False, max_tokens=777, temperature=0.5)
    [sent] = server.requests
    messages = render_messages(task, Chunk(index=0, text=doc.text, start=0))
    _model, expected = handle_response_model(
        instructor.openai_schema(task.response_model),
        mode=getattr(instructor.Mode, mode.upper()),
        messages=messages,
        model="scripted-model",
        temperature=0.5,
        max_tokens=777,
    )
    assert sent == json.loads(json.dumps(expected))


def test_redaction_masks_credentials_and_nothing_else() -> None:
    from llmx.redaction import redact, redact_url, register_secret

    register_secret("my-very-own-secret-42")
    text = (
        "401: key my-very-own-secret-42 rejected; Authorization: Bearer abc.DEF-123_xyz; "
        "sk-proj-ABCDEFGHIJ0123; see http://bob:hunter22@example.test/v1?key=zzzzzz&x=1 "
        "培训320余人次"
    )
    out = redact(text)
    for secret in ("my-very-own-secret-42", "abc.DEF-123_xyz", "sk-proj-ABCDEFGHIJ0123"):
        assert secret not in out
    assert "hunter22" not in out and "zzzzzz" not in out
    assert "example.test/v1" in out and "x=1" in out and "培训320余人次" in out
    assert redact("Bearer ") == "Bearer "  # nothing to mask
    assert redact("Basic authentication failed") == "Basic authentication failed"
    assert redact_url("http://u:p4ssw0rd@h:8000/v1") == "http://h:8000/v1"
    assert redact_url(None) is None
