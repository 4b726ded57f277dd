"""llmx against the real llama-server: the contract, not the content.

A 135M model cannot extract metrics from Chinese news, so these tests check what llmx promises
whatever the model does: every document is written once, as ``ok`` or a clean error entry; a
reply cut at ``max_tokens`` is reported as truncated and not retried; grounded records keep
Chinese intact and numbers as numbers; records that cannot be grounded are dropped and counted.

The built-in ``cooperation`` task is used where its ~2500-token prompt is affordable (the
truncation test); elsewhere ``probe_task/`` (a small schema that pins the reply through
llama.cpp's grammar in json_schema mode, see its docstring) keeps each request to a few seconds.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from _llama import DOC_A, LlamaServer, record_timing

from llmx.api import aextract
from llmx.core.results import DocResult

pytestmark = pytest.mark.integration

PROBE_TASK = Path(__file__).resolve().parent / "probe_task"
MODES = ["json_schema", "tools", "json", "md_json"]
# Error types a failed document may carry here (llmx.providers.openai_compat._classify);
# "internal" is a crash caught by the pipeline and is never acceptable.
CLEAN_ERRORS = {"truncated", "invalid_output", "bad_request", "server_error", "timeout"}
VALIDATION_RETRIES = 2  # llmx's default re-asks after schema-invalid output


def run_cli(
    args: list[str], cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``llmx extract`` in a subprocess, as a user would, timing it."""
    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "llmx.cli", "extract", *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    record_timing("llmx extract (CLI run)", time.monotonic() - start)
    return done


def probe_settings(server: LlamaServer, cache_dir: Path, **overrides: Any) -> dict[str, Any]:
    """API keyword arguments for a run of the probe task against ``server``."""
    return {
        "task": "probe",
        "backend": "llm",
        "base_url": server.base_url,
        "model": "smollm2",
        "mode": "auto",
        "max_tokens": 300,
        "cache_dir": cache_dir,
        "concurrency": 1,
        "timeout": 300,
        **overrides,
    }


def check_grounded(result: DocResult, text: str) -> None:
    """Every kept metric points at its own text in the document and carries numeric values."""
    for metric in result.records("metrics"):
        start, end = metric["span"]
        assert text[start:end] == metric["value_text"]
        es, ee = metric["evidence_span"]
        assert text[es:ee] == metric["evidence"]
        for key in ("value", "value_max"):
            value = metric.get(key)
            assert value is None or (isinstance(value, int | float) and not isinstance(value, bool))


async def test_tiny_max_tokens_is_reported_as_truncated_not_retried(
    llama_server: LlamaServer, docs: list[Path], tmp_path: Path
) -> None:
    """The built-in task, cut after 16 tokens: a truncation error, one attempt, no re-ask."""
    start = time.monotonic()
    [result] = await aextract(
        [docs[0]],
        backend="llm",
        base_url=llama_server.base_url,
        model="smollm2",
        mode="json_schema",
        max_tokens=16,
        cache_dir=tmp_path,
        concurrency=1,
        timeout=300,
    )
    record_timing("llmx aextract, cooperation task, cold prompt", time.monotonic() - start)
    assert result.status == "error"
    assert result.error is not None
    assert result.error.type == "truncated"
    assert "finish_reason=length" in result.error.message
    assert result.error.retryable is False
    assert result.meta.attempts == 1
    assert result.meta.usage.completion_tokens == 16
    assert result.records("metrics") == [] and result.records("programmes") == []


@pytest.mark.parametrize("mode", MODES)
def test_every_mode_completes_with_one_clean_line_per_doc(
    llama_server: LlamaServer, docs: list[Path], tmp_path: Path, mode: str
) -> None:
    out = tmp_path / "out.jsonl"
    args = [*map(str, docs), "-o", str(out), "--task", "probe", "--mode", mode]
    args += ["--base-url", llama_server.base_url, "--model", "smollm2", "--max-tokens", "200"]
    args += ["--api-key-env", "LLMX_TEST_NO_KEY", "--timeout", "300", "--concurrency", "1"]
    args += ["--no-cache", "-q"]
    done = run_cli(args, tmp_path, env={"LLMX_TASK_PATH": str(PROBE_TASK)})
    assert done.returncode in (0, 3), done.stderr  # 3: some documents failed, run completed
    assert "Traceback" not in done.stderr
    lines = [DocResult.model_validate_json(line) for line in out.read_text("utf-8").splitlines()]
    assert sorted(r.doc_id for r in lines) == ["doc_a", "doc_b"]  # each document exactly once
    texts = {p.stem: p.read_text("utf-8") for p in docs}
    for result in lines:
        assert 1 <= result.meta.attempts <= 1 + VALIDATION_RETRIES
        assert result.meta.usage.prompt_tokens > 0
        if result.status == "ok":
            assert result.meta.mode == mode
            check_grounded(result, texts[result.doc_id])
            continue
        assert result.error is not None
        assert result.error.type in CLEAN_ERRORS, result.error
        assert result.records("metrics") == [] and result.records("ghosts") == []
        if result.error.type == "truncated":  # the cut attempt's tokens are counted
            assert result.meta.usage.completion_tokens >= 200
        if result.error.type == "invalid_output":  # re-asked, then gave up
            assert result.meta.attempts == 1 + VALIDATION_RETRIES
    assert (done.returncode == 0) == all(r.status == "ok" for r in lines)


async def test_grounding_keeps_chinese_and_numbers_and_drops_the_ungroundable(
    llama_server: LlamaServer, docs: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """probe_task pins one groundable metric and one ghost whose quote is not in the text."""
    monkeypatch.setenv("LLMX_TASK_PATH", str(PROBE_TASK))
    start = time.monotonic()
    [result] = await aextract([docs[0]], **probe_settings(llama_server, tmp_path))
    record_timing("llmx aextract, probe task", time.monotonic() - start)
    assert result.status == "ok", result.error
    assert result.meta.mode == "json_schema"  # auto mode's first choice, accepted by the server
    assert result.meta.attempts == 1
    assert result.meta.usage.prompt_tokens > 0
    [metric] = result.records("metrics")
    assert (metric["subject"], metric["unit"]) == ("培训", "人次")
    assert metric["value_text"] == "320余人次"
    assert metric["evidence"] == "培训320余人次"
    assert metric["grounding"] == "exact"
    check_grounded(result, DOC_A)
    assert result.records("ghosts") == []
    assert sum("ungrounded" in w for w in result.meta.warnings) == 1

    # The same reply again, from the cache, with ungrounded records kept: the ghost was real
    # model output, and it is flagged rather than given a span.
    settings = probe_settings(llama_server, tmp_path, keep_ungrounded=True)
    [kept] = await aextract([docs[0]], **settings)
    assert kept.meta.cached_chunks == 1
    assert kept.meta.attempts == 0
    [ghost] = kept.records("ghosts")
    assert ghost["grounding"] == "ungrounded"
    assert ghost["evidence"] == "原文里没有这句"


def test_cli_writes_utf8_jsonl_with_chinese_unescaped(
    llama_server: LlamaServer, docs: list[Path], tmp_path: Path
) -> None:
    out = tmp_path / "out.jsonl"
    args = [str(docs[0]), "-o", str(out), "--task", "probe", "--mode", "json_schema"]
    args += ["--base-url", llama_server.base_url, "--model", "smollm2", "--max-tokens", "300"]
    args += ["--timeout", "300", "--no-cache", "-q"]
    done = run_cli(args, tmp_path, env={"LLMX_TASK_PATH": str(PROBE_TASK)})
    assert done.returncode == 0, done.stderr
    raw = out.read_text("utf-8")
    assert "320余人次" in raw  # written as UTF-8, not as \u escapes
    [line] = [json.loads(x) for x in raw.splitlines()]
    assert line["status"] == "ok"
    assert isinstance(line["metrics"][0]["value"], int)
