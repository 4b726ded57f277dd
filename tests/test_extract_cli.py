"""``llmx extract`` end to end, as a user runs it: real subprocesses, real signals, real HTTP."""

from __future__ import annotations

import json
import random
import signal
import time
from collections import Counter
from pathlib import Path

import pytest
from _cli import extract_args, popen_llmx

from llmx.testing import Reply, ScriptedServer, request_text

REPO = Path(__file__).resolve().parent.parent


def grounded_reply(request: dict) -> Reply:
    """Scripted reply: one metric per quantity-like token in the request text."""
    import re

    text = request_text(request)
    metrics = [
        {
            "subject": "培训",
            "value": float(m.group(1)),
            "unit": m.group(2),
            "qualifier": "exact",
            "value_text": m.group(0),
            "evidence": text[max(0, m.start() - 4) : m.end()],
        }
        for m in re.finditer(r"(\d+)(人次|名|个)", text)
    ]
    return Reply.data({"programmes": [], "metrics": metrics})


def make_corpus(root: Path, n: int) -> Path:
    corpus = root / "corpus"
    corpus.mkdir()
    for i in range(n):
        (corpus / f"doc{i:03d}.txt").write_text(
            f"第{i}篇：广州市专家赴黔南州开展帮扶，培训{100 + i}人次，指导{i + 1}个项目。",
            encoding="utf-8",
        )
    return corpus


def read_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


@pytest.mark.slow
def test_second_run_makes_no_requests(tmp_path: Path) -> None:
    corpus = make_corpus(tmp_path, 6)
    out = tmp_path / "out.jsonl"
    with ScriptedServer(grounded_reply) as server:
        args = extract_args(corpus, out, server.base_url, tmp_path / "cache", "--model", "scripted")
        p = popen_llmx(*args, cwd=tmp_path)
        _, err = p.communicate(timeout=60)
        assert p.returncode == 0, err
        first = len(server.requests)
        assert first == 6
        lines = read_lines(out)
        assert sorted(r["doc_id"] for r in lines) == [f"doc{i:03d}" for i in range(6)]
        for r in lines:
            text = (corpus / f"{r['doc_id']}.txt").read_text("utf-8")
            for m in r["metrics"]:
                assert m["value_text"] in text[m["span"][0] : m["span"][1]]

        # Same command again: everything is already in the output -> no request at all.
        p = popen_llmx(*args, cwd=tmp_path)
        _, err = p.communicate(timeout=60)
        assert p.returncode == 0 and len(server.requests) == first
        assert "6 already done" in err

        # A fresh output file: every response comes from the cache -> still no request.
        fresh = [a if a != str(out) else str(tmp_path / "b.jsonl") for a in args]
        p = popen_llmx(*fresh, cwd=tmp_path)
        _, err = p.communicate(timeout=60)
        assert p.returncode == 0 and len(server.requests) == first, err
        assert "(6 from cache)" in err


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupt_then_resume_writes_every_doc_once(tmp_path: Path, sig: int) -> None:
    n = 24
    corpus = make_corpus(tmp_path, n)
    out = tmp_path / "out.jsonl"
    rng = random.Random(int(sig))
    with ScriptedServer(grounded_reply, latency=0.1) as server:
        args = extract_args(
            corpus, out, server.base_url, tmp_path / "cache",
            "--model", "scripted", "--concurrency", "2",
        )  # fmt: skip
        p = popen_llmx(*args, cwd=tmp_path)
        deadline = time.time() + 30
        want = rng.randint(2, n // 2)
        while time.time() < deadline:
            if out.exists() and out.read_text("utf-8").count("\n") >= want:
                break
            time.sleep(0.02)
        p.send_signal(sig)
        _, err = p.communicate(timeout=30)
        assert p.returncode == 130, err
        assert "Re-run the same command to resume" in err
        written_first = {r["doc_id"] for r in read_lines(out)}
        assert 0 < len(written_first) < n
        requests_first = len(server.requests)

        p = popen_llmx(*args, cwd=tmp_path)
        _, err = p.communicate(timeout=60)
        assert p.returncode == 0, err

    lines = read_lines(out)  # every line parses: nothing half-written
    counts = Counter(r["doc_id"] for r in lines)
    assert set(counts) == {f"doc{i:03d}" for i in range(n)}
    assert max(counts.values()) == 1
    # No request was repeated for a document already finished in the first run.
    later = [request_text(q) for q in server.requests[requests_first:]]
    for doc_id in written_first:
        body = (corpus / f"{doc_id}.txt").read_text("utf-8")
        assert body not in later


def test_no_endpoint_uses_rules_and_says_so(tmp_path: Path) -> None:
    corpus = make_corpus(tmp_path, 2)
    out = tmp_path / "out.jsonl"
    p = popen_llmx("extract", str(corpus), "-o", str(out), "-q", cwd=tmp_path)
    _, err = p.communicate(timeout=60)
    assert "no endpoint configured" in err
    assert "offline rules extractor" in err
    assert p.returncode == 0, err
    assert len(read_lines(out)) == 2


def test_missing_model_is_one_clear_line(tmp_path: Path) -> None:
    corpus = make_corpus(tmp_path, 1)
    p = popen_llmx("extract", str(corpus), "--base-url", "http://127.0.0.1:9/v1", cwd=tmp_path)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 1
    assert "LLMX_MODEL" in err and "Traceback" not in err
