"""The LLM client under attack (issue 12): hangs, hostile replies, wrong endpoints, leaked keys.

Every test talks HTTP to a real server on 127.0.0.1 (``ScriptedServer``) or to nothing at all.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from _cli import cli_env, extract_args, run_llmx

from llmx.api import aextract
from llmx.config import load_settings
from llmx.core.documents import Document
from llmx.core.results import DocResult
from llmx.providers.base import FatalEndpointError
from llmx.testing import Reply, ScriptedServer, unused_base_url

TEXT = "2024年广州市专家赴黔南州开展智力帮扶活动，培训320余人次，现场指导200余人次。"
SECRET = "sk-test-SECRET-0123456789abcdef"


def docs(n: int) -> list[Document]:
    return [Document(id=f"d{i}", text=TEXT, source=f"mem:d{i}") for i in range(n)]


async def run(base_url: str, documents: list[Document] | None = None, **kw: Any) -> list[DocResult]:
    opts: dict[str, Any] = {
        "backend": "llm",
        "base_url": base_url,
        "model": "scripted-model",
        "cache": False,
        "max_backoff": 0.05,
        "timeout": 5.0,
        "show_quantities": False,
        "mode": "tools",
    }
    opts.update(kw)
    # A hang must fail the test, not the test run.
    return await asyncio.wait_for(aextract(documents or docs(1), **opts), 30)


# -- hangs -------------------------------------------------------------------------------------


async def test_trickling_reply_is_cut_at_the_total_deadline(server: ScriptedServer) -> None:
    # One byte every 0.2 s: no single read ever waits 1 s, so only a total deadline ends it.
    server.enqueue(Reply.trickle(every=0.2, size=10_000))
    [r] = await run(server.base_url, timeout=1.0, max_retries=0)
    assert r.meta.elapsed_s < 3  # (10,000 bytes at 5 a second would take 2,000 s)
    assert r.status == "error" and r.error is not None and r.error.type == "timeout"


async def test_circuit_breaker_stops_a_run_against_a_failing_server() -> None:
    with ScriptedServer(lambda _req: Reply.error(503)) as server:
        with pytest.raises(FatalEndpointError) as caught:
            await run(server.base_url, docs(20), concurrency=1, max_retries=1)
        sent = len(server.requests)
    # 3 documents x 2 attempts, then the breaker opens; not 20 x 2.
    assert sent <= 8, sent
    message = str(caught.value)
    assert server.base_url in message and "\n" not in message


async def test_one_success_keeps_the_breaker_closed() -> None:
    # Two failed documents, one good one, again and again: never three failures in a row.
    pattern = itertools.cycle([503, 503, 200])

    def flaky(_req: dict[str, Any]) -> Reply:
        return (
            Reply.data({"programmes": [], "metrics": []})
            if next(pattern) == 200
            else (Reply.error(503))
        )

    with ScriptedServer(flaky) as server:
        results = await run(server.base_url, docs(8), concurrency=1, max_retries=0)
    assert [r.status for r in results].count("ok") == 2


# -- hostile replies ---------------------------------------------------------------------------


@pytest.mark.parametrize("declared", [True, False])
async def test_reply_far_larger_than_max_tokens_is_refused_unread(
    server: ScriptedServer, declared: bool
) -> None:
    server.enqueue(Reply.huge(20_000_000, declared=declared), Reply.huge(20_000_000))
    started = time.monotonic()
    [r] = await run(server.base_url, max_tokens=100)
    assert time.monotonic() - started < 5
    assert r.status == "error" and r.error is not None
    assert r.error.type == "response_too_large" and not r.error.retryable
    assert len(server.requests) == 1  # not retried: the same request would do it again


async def test_content_filter_is_its_own_error(server: ScriptedServer) -> None:
    server.enqueue(Reply.filtered(), Reply.filtered(), Reply.filtered())
    [r] = await run(server.base_url, mode="json")
    assert r.status == "error" and r.error is not None
    assert r.error.type == "content_filter" and not r.error.retryable
    assert len(server.requests) == 1


# -- fail fast where retrying cannot help ------------------------------------------------------


@pytest.mark.parametrize("status", [401, 403])
async def test_bad_key_stops_the_run_after_one_request(status: int) -> None:
    with ScriptedServer(lambda _req: Reply.error(status, message="bad key")) as server:
        with pytest.raises(FatalEndpointError) as caught:
            await run(server.base_url, docs(5), concurrency=1, mode="auto")
        assert len(server.requests) == 1
    message = str(caught.value)
    assert server.base_url in message and "OPENAI_API_KEY" in message


async def test_wrong_path_stops_the_run_after_one_request(server: ScriptedServer) -> None:
    wrong = server.base_url + "/wrong"
    with pytest.raises(FatalEndpointError) as caught:
        await run(wrong, docs(5), concurrency=1, mode="auto")
    assert len(server.requests) == 1  # not one probe per mode per document
    assert wrong in str(caught.value) and "404" in str(caught.value)


async def test_nothing_listening_stops_the_run_at_once() -> None:
    url = unused_base_url()
    started = time.monotonic()
    with pytest.raises(FatalEndpointError) as caught:
        await run(url, docs(5), concurrency=2, max_backoff=1.0)
    assert time.monotonic() - started < 3
    assert url in str(caught.value)


def _corpus(root: Path, n: int) -> Path:
    corpus = root / "corpus"
    corpus.mkdir()
    for i in range(n):
        (corpus / f"doc{i}.txt").write_text(f"第{i}篇。" + TEXT, encoding="utf-8")
    return corpus


@pytest.mark.slow
def test_cli_exits_with_its_own_code_on_a_bad_key_and_resumes(tmp_path: Path) -> None:
    corpus, out = _corpus(tmp_path, 5), tmp_path / "out.jsonl"
    cache = tmp_path / "cache"
    with ScriptedServer(lambda _req: Reply.error(401, message="bad key")) as bad:
        args = extract_args(corpus, out, bad.base_url, cache, "--model", "m", "--mode", "tools")
        p = run_llmx(*args, cwd=tmp_path)
        assert len(bad.requests) == 1
    assert p.returncode == 4, p.stderr
    lines = [line for line in p.stderr.splitlines() if line.strip()]
    fatal = [line for line in lines if "401" in line]
    assert len(fatal) == 1 and bad.base_url in fatal[0] and "OPENAI_API_KEY" in fatal[0]
    assert any("127.0.0.1" in line and "model m" in line for line in lines)  # the endpoint line
    done = [json.loads(x) for x in out.read_text("utf-8").splitlines()] if out.exists() else []
    assert done == []  # nothing written for a run that could not start
    with ScriptedServer() as good:
        args = extract_args(corpus, out, good.base_url, cache, "--model", "m", "--mode", "tools")
        p = run_llmx(*args, cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    results = [json.loads(x) for x in out.read_text("utf-8").splitlines()]
    assert sorted(r["doc_id"] for r in results) == sorted({r["doc_id"] for r in results})
    assert len(results) == 5 and all(r["status"] == "ok" for r in results)


def test_default_host_is_named_when_only_a_key_is_set(tmp_path: Path) -> None:
    from llmx.providers.transport import describe_endpoint

    settings = load_settings({"backend": "llm", "model": "gpt-x", "api_key": SECRET})
    line = describe_endpoint(settings)
    assert "api.openai.com" in line and "gpt-x" in line and SECRET not in line


# -- secrets -----------------------------------------------------------------------------------


async def test_key_echoed_in_an_error_body_is_redacted(server: ScriptedServer) -> None:
    server.enqueue(Reply.echo_auth(400))
    [r] = await run(server.base_url, api_key=SECRET)
    assert r.error is not None and r.error.type == "bad_request"
    assert "invalid credentials" in r.error.message  # the rest of the message survives
    assert SECRET not in r.model_dump_json()


async def test_key_echoed_in_a_401_is_redacted_from_the_fatal_message() -> None:
    with (
        ScriptedServer(lambda _req: Reply.echo_auth(401)) as server,
        pytest.raises(FatalEndpointError) as caught,
    ):
        await run(server.base_url, api_key=SECRET)
    assert SECRET not in str(caught.value)


def _llmx_with_env(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "llmx.cli", *args],
        cwd=cwd, env={**cli_env(), **env}, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def _assert_nowhere(secrets: list[str], p: subprocess.CompletedProcess[str], root: Path) -> None:
    for secret in secrets:
        assert secret not in p.stderr and secret not in p.stdout
        for f in root.rglob("*"):
            assert not f.is_file() or secret.encode() not in f.read_bytes(), f


@pytest.mark.slow
def test_key_echoed_by_the_server_never_reaches_output_or_stderr(tmp_path: Path) -> None:
    corpus, out = _corpus(tmp_path, 2), tmp_path / "out.jsonl"
    with ScriptedServer(lambda _req: Reply.echo_auth(400)) as server:
        args = extract_args(corpus, out, server.base_url, tmp_path / "c", "--model", "m")
        p = _llmx_with_env([*args, "--mode", "tools"], tmp_path, OPENAI_API_KEY=SECRET)
        sent = {k.lower(): v for k, v in server.headers[0].items()}
    assert sent["authorization"] == f"Bearer {SECRET}"  # the server did get it, and echoed it
    assert p.returncode == 3, p.stderr
    assert "invalid credentials" in out.read_text("utf-8")
    _assert_nowhere([SECRET], p, tmp_path)


@pytest.mark.slow
def test_key_inside_the_base_url_is_never_written_or_printed(tmp_path: Path) -> None:
    import base64

    corpus, out = _corpus(tmp_path, 2), tmp_path / "out.jsonl"
    basic = base64.b64encode(f"user:{SECRET}".encode()).decode()
    with ScriptedServer(lambda _req: Reply.echo_auth(400)) as server:
        url = server.base_url.replace("http://", f"http://user:{SECRET}@")
        args = extract_args(corpus, out, url, tmp_path / "c", "--model", "m", "--mode", "tools")
        p = _llmx_with_env(args, tmp_path)
        assert server.requests, p.stderr  # reached through the credentialed URL
    assert p.returncode == 3, p.stderr
    assert "127.0.0.1" in p.stderr  # the endpoint line names the host, without credentials
    _assert_nowhere([SECRET, basic], p, tmp_path)


def test_settings_recorded_in_reports_carry_no_url_credentials() -> None:
    settings = load_settings({"base_url": f"http://user:{SECRET}@example.test/v1?key={SECRET}"})
    public = json.dumps(settings.public())
    assert SECRET not in public and "example.test/v1" in public
