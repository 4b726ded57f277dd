"""Issue 14 #3: progress with a total, percentage, rate and ETA; plain lines every N seconds when
stderr is not a terminal; the input count behind the total."""

from __future__ import annotations

import asyncio
import io
import itertools
import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from _cli import cli_env, run_llmx
from rich.console import Console

from llmx.core.documents import LoadProblem
from llmx.core.results import DocMeta, DocResult, Usage
from llmx.progress import RunProgress
from llmx.testing import Reply, ScriptedServer
from llmx.text.counting import Count, count_documents
from llmx.text.loading import load_documents

LINE = re.compile(
    r"^llmx: (\d+)/(\d+) documents \((\d+)%\); (\d+) errors, (\d+) requests, (\d+) tokens; "
    r"([\d.]+) docs/s(?:, ETA (\S+))?(?:; (\d+) more finished, waiting on an earlier document)?$"
)


# -- the count ----------------------------------------------------------------------------------


def test_count_matches_what_the_loader_yields(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    (corpus / "sub").mkdir(parents=True)
    (corpus / "a.txt").write_text("广州帮扶黔南。", encoding="utf-8")
    (corpus / "sub" / "b.md").write_text("", encoding="utf-8")  # empty: a problem, still one
    (corpus / "skip.csv").write_text("not an input", encoding="utf-8")
    rows = (
        '\ufeff{"id": "r1", "text": "培训320人次"}\n'
        "\n   \n"  # blank lines: no row
        '{"id": "r2", "text": "培训5人次"}\r\n'
        "not json\n"  # a bad row: one problem, counted
        '{"id": "r3", "text": "no newline at the end"}'
    )
    (corpus / "rows.jsonl").write_text(rows, encoding="utf-8")
    (tmp_path / "empty.jsonl").write_text("\n\n", encoding="utf-8")  # no rows: not counted
    inputs = [str(corpus), str(corpus / "a.txt"), str(tmp_path / "empty.jsonl"), "missing.txt"]
    items = list(load_documents(inputs))
    per_item = [i for i in items if getattr(i, "details", {}).get("scope") != "input"]
    assert count_documents(inputs).total == len(per_item) == 6


def test_count_of_a_jsonl_larger_than_one_block(tmp_path: Path) -> None:
    rows = tmp_path / "big.jsonl"
    line = json.dumps({"text": "培训" * 300_000}, ensure_ascii=False) + "\n"  # ~1.8 MB a row
    rows.write_text(line * 3 + "\n" + line, encoding="utf-8")
    assert count_documents([rows]).total == 4


def test_stdin_and_a_slow_count_say_why_there_is_no_total(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("文本", encoding="utf-8")
    stdin = count_documents([str(tmp_path), "-"])
    assert stdin.total is None and stdin.why and "standard input" in stdin.why
    slow = count_documents([str(tmp_path)], budget_s=0)
    assert slow.total is None and slow.why and "stopped after" in slow.why
    stop = threading.Event()
    stop.set()
    assert count_documents([str(tmp_path)], stop=stop).total is None
    fifo = tmp_path / "rows.jsonl"
    os.mkfifo(fifo)  # counting must not read (and so steal) what the loader is to read
    piped = count_documents([str(fifo)])
    assert piped.total is None and piped.why == f"{fifo} is not a regular file"


# -- the line itself (in process, fast) --------------------------------------------------


def ok_result(i: int, requests: int = 2) -> DocResult:
    meta = DocMeta(
        backend="llm", task="cooperation", usage=Usage(total_tokens=7, requests=requests)
    )
    return DocResult(doc_id=f"d{i}", source="s", task="cooperation", meta=meta)


async def test_plain_progress_lines_on_a_timer_with_the_figures() -> None:
    buf = io.StringIO()
    progress = RunProgress(Console(file=buf, width=300), enabled=False, kinds=[], every=0.05)
    with progress:
        progress.set_count(Count(10))
        progress.skip()  # one already in the output
        progress.problem(LoadProblem(source="x.txt", message="empty", details={"kind": "empty"}))
        progress.problem(  # a missing input holds no document: not one of the total
            LoadProblem(source="nope", message="missing", details={"scope": "input"})
        )
        for i in range(3):
            progress.advance(ok_result(i))
        await asyncio.sleep(0.13)
    lines = [m for m in map(LINE.match, buf.getvalue().splitlines()) if m]
    assert len(lines) == 2, buf.getvalue()  # at 0.05 and 0.10 s; none after the run ended
    m = lines[-1]
    assert (m[1], m[2], m[3], m[4], m[5], m[6]) == ("5", "10", "50", "0", "6", "21")
    assert float(m[7]) > 0 and m[8] is not None  # 5 left at the measured rate
    progress.set_count(Count(None, "standard input is not counted ahead"))
    assert progress.line().startswith(
        "llmx: 5 documents (total unknown: standard input is not counted ahead); 0 errors"
    )


# -- the lines, through the CLI with stderr a pipe ------------------------------------------------


def make_corpus(root: Path, n: int) -> Path:
    corpus = root / "corpus"
    corpus.mkdir()
    for i in range(n):
        (corpus / f"doc{i:03d}.txt").write_text(f"第{i}篇：培训{i}人次。", encoding="utf-8")
    return corpus


@pytest.mark.slow
def test_plain_lines_every_interval_with_total_percent_rate_and_eta(tmp_path: Path) -> None:
    n, every = 16, 0.4
    corpus = make_corpus(tmp_path, n)
    out = tmp_path / "out.jsonl"
    with ScriptedServer(lambda _r: Reply.data({}, delay=0.15, usage=(30, 10))) as server:
        p = subprocess.Popen(
            [sys.executable, "-m", "llmx.cli", "extract", str(corpus), "-o", str(out),
             "--base-url", server.base_url, "--model", "scripted", "--no-cache",
             "--concurrency", "2", "--progress-every", str(every)],
            cwd=tmp_path, env=cli_env(), stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert p.stderr is not None
        arrivals: list[tuple[float, str]] = [(time.monotonic(), line) for line in p.stderr]
        assert p.wait(timeout=60) == 0, "".join(line for _t, line in arrivals)
    progress = [(t, LINE.match(line.rstrip("\n"))) for t, line in arrivals]
    seen = [(t, m) for t, m in progress if m]
    assert len(seen) >= 3, "".join(line for _t, line in arrivals)  # ~1.2 s of work at 0.4 s
    done_before = -1
    for _t, m in seen:
        done, total, pct = int(m[1]), int(m[2]), int(m[3])
        assert total == n and done >= done_before
        assert pct == round(100 * done / n)
        requests, tokens = int(m[5]), int(m[6])
        assert requests >= done - 1 and tokens == 40 * requests  # every request counted
        assert done == n or m[8] is not None  # an ETA while work is left
        done_before = done
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(seen)]
    assert all(gap > every * 0.5 for gap in gaps), gaps  # one line per interval, not per doc
    text = "".join(line for _t, line in arrivals)
    assert f"{n} ok, 0 failed" in text  # the final summary, unchanged


@pytest.mark.slow
def test_quiet_means_no_progress_lines_and_the_summary_is_unchanged(tmp_path: Path) -> None:
    corpus = make_corpus(tmp_path, 2)
    quiet = run_llmx("extract", str(corpus), "-o", str(tmp_path / "q.jsonl"), "--backend",
                     "rules", "-q", "--progress-every", "0.001", cwd=tmp_path)  # fmt: skip
    assert quiet.returncode == 0, quiet.stderr
    assert not any(LINE.match(line) for line in quiet.stderr.splitlines())
    assert "2 ok, 0 failed, 0 already done, 0 unreadable" in quiet.stderr


@pytest.mark.slow
def test_resumed_run_counts_done_documents_and_says_when_the_total_is_unknown(
    tmp_path: Path,
) -> None:
    n = 6
    corpus = make_corpus(tmp_path, n)
    out = tmp_path / "out.jsonl"
    with ScriptedServer(lambda _r: Reply.data({}, delay=0.3)) as server:
        base = ["extract", "-o", str(out), "--base-url", server.base_url, "--model", "scripted",
                "--no-cache", "--concurrency", "1", "--progress-every", "0.2"]  # fmt: skip
        first = run_llmx(*base, str(corpus / "doc000.txt"), str(corpus / "doc001.txt"),
                         cwd=tmp_path)  # fmt: skip
        assert first.returncode == 0, first.stderr
        again = run_llmx(*base, str(corpus), cwd=tmp_path)
        assert again.returncode == 0, again.stderr
        lines = [m for m in map(LINE.match, again.stderr.splitlines()) if m]
        assert lines and all(int(m[2]) == n and int(m[1]) >= 2 for m in lines), again.stderr
        piped = subprocess.run(
            [sys.executable, "-m", "llmx.cli", *base, "-"], input="广州帮扶黔南，培训5人次。",
            cwd=tmp_path, env=cli_env(), capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    assert piped.returncode == 0, piped.stderr
    assert "documents (total unknown: standard input is not counted ahead)" in piped.stderr
    assert len(out.read_text("utf-8").splitlines()) == n + 1
