"""Issue 14 #4: ``llmx extract`` writes documents in input order by default, through a bounded
reorder buffer; ``--order completion`` writes each as it finishes. Real subprocesses against a
real scripted HTTP server whose replies are delayed per document."""

from __future__ import annotations

import asyncio
import json
import random
import re
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from _cli import extract_args, popen_llmx

from llmx.config import Settings
from llmx.core.documents import Document
from llmx.core.results import DocMeta, DocResult
from llmx.ordering import ResultOrder
from llmx.pipeline import Pipeline
from llmx.testing import Reply, ScriptedServer, request_text


def make_corpus(root: Path, n: int) -> Path:
    corpus = root / "corpus"
    corpus.mkdir()
    for i in range(n):
        (corpus / f"doc{i:03d}.txt").write_text(
            f"第{i}篇：广州市专家赴黔南州开展帮扶，培训{100 + i}人次。", encoding="utf-8"
        )
    return corpus


def doc_number(request: dict) -> int:
    m = re.search(r"第(\d+)篇", request_text(request))
    assert m, "every test document names its number"
    return int(m.group(1))


def delayed(delay: Callable[[int], float]) -> Callable[[dict], Reply]:
    """An empty extraction, sent after ``delay(document number)`` seconds."""
    return lambda request: Reply.data({}, delay=delay(doc_number(request)))


def stuck_on_doc_1(release: threading.Event) -> Callable[[dict], Reply]:
    """An empty extraction at once, except for document 1: not before ``release`` is set."""

    def reply(request: dict) -> Reply:
        if doc_number(request) == 1:
            release.wait(20)
        return Reply.data({})

    return reply


def ids_in(out: Path) -> list[str]:
    return [json.loads(line)["doc_id"] for line in out.read_text("utf-8").splitlines()]


def run(corpus: Path, out: Path, server: ScriptedServer, tmp: Path, *extra: str) -> str:
    args = extract_args(
        corpus, out, server.base_url, tmp / "cache", "--model", "scripted", "--no-cache", *extra
    )
    p = popen_llmx(*args, cwd=tmp)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 0, err
    return err


# -- the reorder buffer itself ----------------------------------------------------------------


def result(doc_id: str) -> DocResult:
    return DocResult(
        doc_id=doc_id, source=doc_id, task="t", meta=DocMeta(backend="rules", task="t")
    )


def test_results_leave_in_admission_order_and_the_buffer_fills() -> None:
    written: list[str] = []
    order = ResultOrder(lambda r: written.append(r.doc_id), order="input", limit=3)
    seqs = [order.admit() for _ in range(3)]
    assert order.full  # three started, none written: no fourth may start
    assert order.finished(seqs[2], result("c")) == [] and order.finished(seqs[1], result("b")) == []
    assert order.waiting == 2 and written == []
    out = order.finished(seqs[0], result("a"))
    assert [r.doc_id for r in out] == written == ["a", "b", "c"]
    assert not order.full and order.waiting == 0


def test_completion_order_hands_results_over_at_once_and_never_fills() -> None:
    written: list[str] = []
    order = ResultOrder(lambda r: written.append(r.doc_id), order="completion", limit=1)
    first, second = order.admit(), order.admit()
    assert not order.full
    order.finished(second, result("b"))
    order.finished(first, result("a"))
    assert written == ["b", "a"]


async def test_pipeline_back_pressure_holds_admission_at_the_limit() -> None:
    """In process (fast): the pipeline stops starting documents while document 1 is stuck."""
    n, limit = 30, 6
    docs = [Document(id=f"d{i:02d}", text=f"第{i}篇：培训{i}人次。", source="t") for i in range(n)]
    release = threading.Event()
    with ScriptedServer(stuck_on_doc_1(release)) as server:
        settings = Settings.model_validate(
            {"task": "cooperation", "backend": "llm", "base_url": server.base_url,
             "model": "scripted", "api_key": "test", "cache": False, "concurrency": 3,
             "show_quantities": False}
        )  # fmt: skip
        pipeline = Pipeline(settings)
        written: list[str] = []
        run = asyncio.ensure_future(
            pipeline.run(docs, lambda r: written.append(r.doc_id), order="input", buffer=limit)
        )
        try:
            seen = -1
            for _ in range(200):  # until no new request for 0.3 s (document 1 stuck)
                await asyncio.sleep(0.3)
                if requests_so_far(server) == seen >= 2:
                    break
                seen = requests_so_far(server)
            admitted, written_while_stuck = requests_so_far(server), list(written)
            held = pipeline.waiting
        finally:
            release.set()
        summary = await asyncio.wait_for(run, 30)
        await pipeline.aclose()
    assert written_while_stuck == ["d00"] and admitted == 1 + limit
    assert held == limit - 1  # all but the stuck one finished, held back in the buffer
    assert written == [d.id for d in docs] and summary.docs_ok == n


# -- through the CLI --------------------------------------------------------------------------


@pytest.mark.slow
def test_a_slow_early_document_is_still_written_in_its_place(tmp_path: Path) -> None:
    # Document 1, not 0: until the endpoint first answers, llmx sends one request alone.
    n = 8
    corpus = make_corpus(tmp_path, n)
    want = [f"doc{i:03d}" for i in range(n)]
    with ScriptedServer(delayed(lambda i: 0.8 if i == 1 else 0.0)) as server:
        run(corpus, tmp_path / "in.jsonl", server, tmp_path, "--concurrency", "4")
        run(corpus, tmp_path / "done.jsonl", server, tmp_path, "--concurrency", "4",
            "--order", "completion")  # fmt: skip
    assert ids_in(tmp_path / "in.jsonl") == want
    finished = ids_in(tmp_path / "done.jsonl")
    assert sorted(finished) == want and finished[-1] == "doc001"  # the old behaviour


def stable(out: Path) -> list[dict]:
    """Each line without its timing (the only thing that differs between two runs)."""
    lines = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    for line in lines:
        line["meta"].pop("elapsed_s")
    return lines


@pytest.mark.slow
def test_two_runs_with_different_timings_write_identical_lines(tmp_path: Path) -> None:
    n = 16
    corpus = make_corpus(tmp_path, n)
    for run_no in (1, 2):
        rng = random.Random(run_no)  # each run finishes its documents in another order
        delays = [rng.uniform(0, 0.15) for _ in range(n)]
        with ScriptedServer(delayed(lambda i, d=delays: d[i])) as server:  # type: ignore[misc]
            run(corpus, tmp_path / f"run{run_no}.jsonl", server, tmp_path, "--concurrency", "8")
    assert ids_in(tmp_path / "run1.jsonl") == [f"doc{i:03d}" for i in range(n)]
    assert stable(tmp_path / "run1.jsonl") == stable(tmp_path / "run2.jsonl")


@pytest.mark.slow
def test_kill_9_leaves_a_prefix_and_the_rerun_completes_it_in_order(tmp_path: Path) -> None:
    n = 30
    corpus = make_corpus(tmp_path, n)
    out = tmp_path / "out.jsonl"
    rng = random.Random(9)
    delays = [rng.uniform(0.0, 0.2) for _ in range(n)]  # completion order far from input order
    with ScriptedServer(delayed(lambda i: delays[i])) as server:
        args = extract_args(corpus, out, server.base_url, tmp_path / "cache",
                            "--model", "scripted", "--concurrency", "6")  # fmt: skip
        p = popen_llmx(*args, cwd=tmp_path)
        deadline = time.time() + 30
        while time.time() < deadline:
            if out.exists() and out.read_text("utf-8").count("\n") >= 8:
                break
            time.sleep(0.01)
        p.send_signal(signal.SIGKILL)
        p.communicate(timeout=30)
        first = ids_in(out)
        assert 8 <= len(first) < n
        assert first == [f"doc{i:03d}" for i in range(len(first))]  # a prefix, no gap

        p = popen_llmx(*args, cwd=tmp_path)
        _, err = p.communicate(timeout=60)
        assert p.returncode == 0, err
    assert ids_in(out) == [f"doc{i:03d}" for i in range(n)]  # each once, in input order


def requests_so_far(server: ScriptedServer) -> int:
    with server._lock:
        return len(server.requests)


@pytest.mark.slow
@pytest.mark.parametrize("order", ["input", "completion"])
def test_a_stuck_document_stops_admission_at_the_buffer_limit(tmp_path: Path, order: str) -> None:
    """Document 1 does not answer until released; 39 others answer at once. In input order
    the run admits (sends a request for) at most --order-buffer documents beyond the ones
    written, then waits. (Document 0 goes first, alone: llmx's probe of a new endpoint.)"""
    n, limit = 40, 10
    corpus = make_corpus(tmp_path, n)
    out = tmp_path / "out.jsonl"
    release = threading.Event()
    with ScriptedServer(stuck_on_doc_1(release)) as server:
        args = extract_args(corpus, out, server.base_url, tmp_path / "cache", "--model",
                            "scripted", "--no-cache", "--concurrency", "4",
                            "--order", order, "--order-buffer", str(limit))  # fmt: skip
        p = popen_llmx(*args, cwd=tmp_path)
        try:
            # Wait until document 1 is stuck, then until admission settles: no new request
            # for half a second.
            deadline = time.time() + 30
            while time.time() < deadline and requests_so_far(server) < 2:
                time.sleep(0.02)
            seen, settled = -1, time.time()
            while time.time() < deadline and time.time() - settled < 0.5:
                now = requests_so_far(server)
                if now != seen:
                    seen, settled = now, time.time()
                time.sleep(0.02)
            admitted = requests_so_far(server)
            written_while_stuck = len(ids_in(out)) if out.exists() else 0
        finally:
            release.set()
        _, err = p.communicate(timeout=60)
        assert p.returncode == 0, err
    if order == "input":
        # doc000 written; doc001 stuck, and limit - 1 finished documents waiting on it
        assert written_while_stuck == 1
        assert admitted == 1 + limit
        assert ids_in(out) == [f"doc{i:03d}" for i in range(n)]
    else:
        assert admitted == n  # nothing holds completion order back
        assert written_while_stuck == n - 1
        assert sorted(ids_in(out)) == [f"doc{i:03d}" for i in range(n)]
