"""Issue 12 #4: one run per output file. A second run refuses with one line naming the holder;
``--retry-failed`` can never drop the lines of a run that is still appending."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from _cli import extract_args, popen_llmx

from llmx.testing import Reply, ScriptedServer

EXIT_LOCKED = 5


class Gate:
    """Scripted replies that hold every request after the first ``free`` until ``open()``:
    the first run is certainly still running while the second one starts, however slow the
    machine."""

    def __init__(self, free: int) -> None:
        self.free = free
        self.event = threading.Event()
        self.lock = threading.Lock()

    def __call__(self, request: dict) -> Reply:
        with self.lock:
            self.free -= 1
            wait = self.free < 0
        if wait:
            self.event.wait(60)
        return Reply.data({"programmes": [], "metrics": []})

    def open(self) -> None:
        self.event.set()


def corpus_of(root: Path, n: int) -> Path:
    corpus = root / "corpus"
    corpus.mkdir()
    for i in range(n):
        (corpus / f"doc{i:02d}.txt").write_text(f"第{i}篇：培训{100 + i}人次。", encoding="utf-8")
    return corpus


def wait_for_lines(out: Path, n: int, timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if out.exists() and out.read_bytes().count(b"\n") >= n:
            return
        time.sleep(0.02)
    raise AssertionError(f"{out} never reached {n} lines")


def doc_counts(out: Path) -> Counter[str]:
    return Counter(json.loads(line)["doc_id"] for line in out.read_text("utf-8").splitlines())


@pytest.mark.slow
def test_second_run_on_the_same_output_refuses_and_names_the_holder(tmp_path: Path) -> None:
    n = 8
    corpus = corpus_of(tmp_path, n)
    out = tmp_path / "out.jsonl"
    gate = Gate(free=1)
    with ScriptedServer(gate) as server:
        args = extract_args(
            corpus, out, server.base_url, tmp_path / "cache", "--model", "m", "--concurrency", "1"
        )
        first = popen_llmx(*args, cwd=tmp_path)
        wait_for_lines(out, 1)
        second = popen_llmx(*args, cwd=tmp_path)
        _, err2 = second.communicate(timeout=60)
        gate.open()
        _, err1 = first.communicate(timeout=60)
    assert first.returncode == 0, err1
    assert second.returncode == EXIT_LOCKED, err2
    lines = [line for line in err2.splitlines() if line.strip()]
    assert len(lines) == 1, err2
    assert f"pid {first.pid}" in lines[0] and "since" in lines[0]
    counts = doc_counts(out)
    assert set(counts) == {f"doc{i:02d}" for i in range(n)}
    assert max(counts.values()) == 1  # nothing written twice


@pytest.mark.slow
def test_retry_failed_never_drops_a_running_runs_lines(tmp_path: Path) -> None:
    n = 8
    corpus = corpus_of(tmp_path, n)
    out = tmp_path / "out.jsonl"
    # An earlier run left one failed line behind, so --retry-failed has something to drop.
    failed = {
        "doc_id": "doc00", "source": "x", "task": "cooperation", "status": "error",
        "error": {"type": "server_error", "message": "boom"},
        "meta": {"backend": "llm", "task": "cooperation"}, "programmes": [], "metrics": [],
    }  # fmt: skip
    out.write_text(json.dumps(failed) + "\n", encoding="utf-8")
    gate = Gate(free=2)
    with ScriptedServer(gate) as server:
        args = extract_args(
            corpus, out, server.base_url, tmp_path / "cache", "--model", "m", "--concurrency", "1"
        )
        first = popen_llmx(*args, cwd=tmp_path)
        wait_for_lines(out, 3)
        retry = popen_llmx(*args, "--retry-failed", cwd=tmp_path)
        _, err_retry = retry.communicate(timeout=60)
        gate.open()
        _, err1 = first.communicate(timeout=60)
    assert retry.returncode == EXIT_LOCKED, err_retry
    assert first.returncode == 3, err1  # doc00 stays failed (it was skipped as already failed)
    counts = doc_counts(out)
    assert set(counts) == {f"doc{i:02d}" for i in range(n)}, counts
    assert max(counts.values()) == 1
