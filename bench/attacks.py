"""Issue 12's attack list, end to end: real ``llmx`` subprocesses against real loopback servers.

    .venv/bin/python bench/attacks.py [--only SUBSTRING] [--limit SECONDS]

Each attack runs the CLI as a user would (``llmx extract`` / ``llmx eval``), then -- where the
attack can leave a half-done output -- re-runs the same command against a well-behaved server,
and counts, per distinct input text, the documents with no ``ok`` line (lost) and the extra
``ok`` lines (doubled). Servers are ``llmx.testing.ScriptedServer`` plus three raw faults it
cannot script (a reply that drips, a 50 MB reply, nothing listening); their replies are
scripted fixtures, never model output. Rows that need root (a tmpfs for a read-only place or a
full disk) are skipped elsewhere. Prints one table: attack, outcome, documents lost, doubled.
A run that outlives ``--limit`` seconds is killed (the outcome says so).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import llmx as llmx_package
from llmx.testing import Reply, ScriptedServer, request_text

# The checkout of the llmx being attacked (its seeds, evals and schemas), not this file's.
REPO = Path(llmx_package.__file__).resolve().parent.parent
KEY = "sk-attack-SECRET-4242"
LIMIT = 60.0


# -- running the CLI ----------------------------------------------------------------------------


@dataclass
class Run:
    rc: int | None  # None: killed after the limit
    out: str
    err: str
    wall: float


def env(**extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "LLMX_"))}
    return {**base, "LLMX_TASK": "cooperation", **extra}  # runs happen outside the project


def llmx(*args: str, cwd: Path, limit: float | None = None, term_after: float | None = None,
         extra_env: dict[str, str] | None = None, **kw: Any) -> Run:  # fmt: skip
    """Run ``llmx ARGS``; SIGTERM after ``term_after`` s; SIGKILL the group after ``limit``."""
    started = time.perf_counter()
    # -P: the llmx installed or on PYTHONPATH, never one that happens to sit in cwd
    p = subprocess.Popen(
        [sys.executable, "-P", "-m", "llmx.cli", *args], cwd=cwd, env=env(**(extra_env or {})),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True, **kw,
    )  # fmt: skip
    if term_after is not None:
        try:
            p.wait(timeout=term_after)
        except subprocess.TimeoutExpired:
            p.send_signal(signal.SIGTERM)
    try:
        out, err = p.communicate(timeout=limit or LIMIT)
        rc: int | None = p.returncode
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, err = p.communicate()
        rc = None
    return Run(rc, out, err, time.perf_counter() - started)


def extract(corpus: Path | str, out: Path, url: str | None, tmp: Path, *extra: str,
            **kw: Any) -> Run:  # fmt: skip
    args = ["extract", str(corpus), "-o", str(out), "-q", *extra]
    if url is None:
        args += ["--backend", "rules"]
    else:
        args += ["--base-url", url, "--model", "m", "--cache-dir", str(tmp / "cache")]
    return llmx(*args, cwd=tmp, extra_env={"OPENAI_API_KEY": KEY}, **kw)


# -- counting documents --------------------------------------------------------------------------


def count(out: Path, texts: dict[str, str]) -> tuple[int, int]:
    """(lost, doubled) over the expected ``source -> text`` map, from the ``ok`` lines."""
    seen: Counter[str] = Counter()
    ids: Counter[str] = Counter()
    raw = out.read_bytes() if out.is_file() else b""
    for line in raw.splitlines():
        try:
            obj = json.loads(line)
        except ValueError:
            continue
        if not isinstance(obj, dict) or obj.get("status") != "ok":
            continue
        ids[str(obj.get("doc_id"))] += 1
        text = texts.get(str(obj.get("source")))
        if text is not None:
            seen[text] += 1
    wanted = set(texts.values())
    lost = len(wanted - set(seen))
    doubled = sum(n - 1 for n in seen.values()) + sum(n - 1 for n in ids.values() if n > 1)
    return lost, doubled


def corpus(
    root: Path, n: int, *, pad: int = 0, name: str = "corpus"
) -> tuple[Path, dict[str, str]]:
    folder = root / name
    folder.mkdir(parents=True)
    texts = {}
    for i in range(n):
        text = f"第{i}篇：广州市专家赴黔南州培训{100 + i}人次。" + "两地持续开展协作。" * pad
        path = folder / f"doc{i:03d}.txt"
        path.write_text(text, encoding="utf-8")
        texts[str(path)] = text
    return folder, texts


def numbers(request: dict[str, Any]) -> Reply:
    """Well-behaved scripted reply: one metric per ``N人次`` in the request text."""
    text = request_text(request)
    metrics = [
        {"subject": "培训", "value": float(m.group(1)), "unit": "人次", "qualifier": "exact",
         "value_text": m.group(0), "evidence": m.group(0)}
        for m in re.finditer(r"(\d+)人次", text)
    ]  # fmt: skip
    return Reply.data({"programmes": [], "metrics": metrics})


def slower(request: dict[str, Any]) -> Reply:
    reply = numbers(request)
    reply.delay = 0.6
    return reply


def wait_lines(out: Path, n: int, timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline and not (out.exists() and out.read_bytes().count(b"\n") >= n):
        time.sleep(0.05)


def slow(request: dict[str, Any]) -> Reply:
    reply = numbers(request)
    reply.delay = 0.25
    return reply


# -- raw faults ScriptedServer cannot script -------------------------------------------------------


@contextmanager
def raw_server(kind: str) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_a: Any) -> None:
            pass

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                if kind == "drip":  # headers, then one byte every 2 s, for ever
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", "1000000")
                    self.end_headers()
                    while True:
                        self.wfile.write(b" ")
                        self.wfile.flush()
                        time.sleep(2)
                else:  # a 50 MB reply
                    body = json.dumps({"id": "x", "object": "chat.completion", "created": 0,
                                       "model": "m", "choices": [{"index": 0, "finish_reason":
                                       "stop", "message": {"role": "assistant",
                                       "content": "a" * 50_000_000}}]}).encode()  # fmt: skip
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
            except OSError:
                pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    finally:
        httpd.shutdown()
        httpd.server_close()


def dead_url() -> str:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return f"http://127.0.0.1:{port}/v1"


@contextmanager
def tmpfs(path: Path, options: str) -> Iterator[Path | None]:
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        yield None
        return
    ok = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)],
                        capture_output=True).returncode == 0  # fmt: skip
    try:
        yield path if ok else None
    finally:
        if ok:
            subprocess.run(["umount", "-l", str(path)], check=False)


# -- the attacks ----------------------------------------------------------------------------------

Row = tuple[str, str, str, str]  # attack, outcome, lost, doubled
ATTACKS: list[tuple[str, Callable[[Path], Row]]] = []


def attack(name: str) -> Callable[[Callable[[Path], Row]], Callable[[Path], Row]]:
    def register(fn: Callable[[Path], Row]) -> Callable[[Path], Row]:
        ATTACKS.append((name, fn))
        return fn

    return register


def verdict(ok: bool, what: str) -> str:
    return f"{'PASS' if ok else 'FAIL'}: {what}"


def rc_text(run: Run) -> str:
    return (
        f"killed after {run.wall:.0f} s" if run.rc is None else f"exit {run.rc} in {run.wall:.1f} s"
    )


def one_line(err: str) -> str:
    lines = [x for x in err.splitlines() if x.startswith("llmx:")]
    return (
        lines[0][:90] if lines else (err.strip().splitlines() or ["(nothing on stderr)"])[-1][:90]
    )


def resume_counts(folder: Path, out: Path, texts: dict[str, str], tmp: Path) -> tuple[int, int]:
    """Recover as the README says -- re-run the same command, then ``--retry-failed`` for the
    documents written as errors -- against a well-behaved server, and count."""
    with ScriptedServer(numbers) as good:
        extract(folder, out, good.base_url, tmp)
        extract(folder, out, good.base_url, tmp, "--retry-failed")
    return count(out, texts)


def _long_line_corpus(tmp: Path) -> tuple[Path, dict[str, str]]:
    folder, texts = corpus(tmp, 3)
    long = folder / "long.txt"
    text = "广州市专家赴黔南州开展帮扶，培训320人次。" * 50_000  # ~1.1M characters, one line
    long.write_text(text, encoding="utf-8")
    texts[str(long)] = text
    return folder, texts


@attack("1M-character line, offline")
def _long_offline(tmp: Path) -> Row:
    folder, texts = _long_line_corpus(tmp)
    out = tmp / "out.jsonl"
    run = extract(folder, out, None, tmp)
    lost, doubled = count(out, texts)
    return "", verdict(run.rc == 0, rc_text(run)), str(lost), str(doubled)


@attack("1M-character line, SIGTERM after 3 s")
def _long_term(tmp: Path) -> Row:
    folder, _texts = _long_line_corpus(tmp)
    out = tmp / "out.jsonl"
    run = extract(folder, out, None, tmp, term_after=3, limit=20)
    ok = run.rc in (0, 130) and run.wall < 13
    return "", verdict(ok, rc_text(run)), "-", "-"


@attack("1M-character line, LLM path")
def _long_llm(tmp: Path) -> Row:
    folder, texts = _long_line_corpus(tmp)
    out = tmp / "out.jsonl"
    with ScriptedServer(numbers) as server:
        run = extract(folder, out, server.base_url, tmp)
    lost, doubled = count(out, texts)
    return "", verdict(run.rc == 0, rc_text(run)), str(lost), str(doubled)


@attack("server drips one byte every 2 s (--timeout 5)")
def _drip(tmp: Path) -> Row:
    folder, texts = corpus(tmp, 2)
    out = tmp / "out.jsonl"
    with raw_server("drip") as url:
        run = extract(folder, out, url, tmp, "--timeout", "5", "--retries", "1")
    lost, doubled = resume_counts(folder, out, texts, tmp)
    return "", verdict(run.rc is not None and run.wall < 40, rc_text(run)), str(lost), str(doubled)


@attack("50 MB reply")
def _huge(tmp: Path) -> Row:
    folder, texts = corpus(tmp, 2)
    out = tmp / "out.jsonl"
    with raw_server("huge") as url:
        run = extract(folder, out, url, tmp, "--retries", "1")
    errors = (
        [json.loads(x).get("error") or {} for x in out.read_text("utf-8").splitlines()]
        if out.exists()
        else []
    )
    kinds = sorted({str(e.get("type")) for e in errors if e})
    ok = run.rc is not None and run.wall < 20 and bool(kinds) and "invalid_output" not in kinds
    lost, doubled = resume_counts(folder, out, texts, tmp)
    return "", verdict(ok, f"{rc_text(run)}, error types {kinds}"), str(lost), str(doubled)


@attack("nothing listening at the URL (5 docs)")
def _dead(tmp: Path) -> Row:
    folder, texts = corpus(tmp, 5)
    out = tmp / "out.jsonl"
    url = dead_url()
    run = extract(folder, out, url, tmp)
    ok = run.rc not in (None, 0, 3) and run.wall < 20 and url.split("/v1")[0] in run.err
    lost, doubled = resume_counts(folder, out, texts, tmp)
    return "", verdict(ok, f"{rc_text(run)}; {one_line(run.err)}"), str(lost), str(doubled)


def _fail_fast(tmp: Path, reply: Reply, needle: str) -> Row:
    folder, texts = corpus(tmp, 5)
    out = tmp / "out.jsonl"
    with ScriptedServer(lambda _r: reply) as server:
        run = extract(folder, out, server.base_url, tmp)
        sent = len(server.requests)
    ok = sent <= 2 and run.rc not in (None, 0, 3) and needle in run.err
    lost, doubled = resume_counts(folder, out, texts, tmp)
    return "", verdict(ok, f"{sent} requests, {rc_text(run)}"), str(lost), str(doubled)


@attack("wrong key: 401 on every request (5 docs)")
def _auth(tmp: Path) -> Row:
    return _fail_fast(tmp, Reply.error(401, message="invalid api key"), "OPENAI_API_KEY")


@attack("wrong model: 404 on every request (5 docs)")
def _notfound(tmp: Path) -> Row:
    return _fail_fast(tmp, Reply.error(404, message="model not found"), "model")


@attack("endpoint and model named before the first request")
def _endpoint_line(tmp: Path) -> Row:
    folder, _ = corpus(tmp, 1)
    with ScriptedServer(numbers) as server:
        run = extract(folder, tmp / "out.jsonl", server.base_url, tmp)
        ok = server.base_url.split("/v1")[0] in run.err
    return "", verdict(ok, "named" if ok else "not named on stderr"), "-", "-"


@attack("two runs on one output at once")
def _two_runs(tmp: Path) -> Row:
    folder, texts = corpus(tmp, 10)
    out = tmp / "out.jsonl"
    with ScriptedServer(slow) as server:
        args = (folder, out, server.base_url, tmp, "--concurrency", "1")
        results: list[Run] = []
        first = threading.Thread(target=lambda: results.append(extract(*args)))
        first.start()
        time.sleep(2.0)
        second = extract(*args)
        first.join()
    lost, doubled = count(out, texts)
    ok = second.rc not in (0, 3) and doubled == 0
    return (
        "",
        verdict(ok, f"second run: {rc_text(second)}; {one_line(second.err)}"),
        str(lost),
        str(doubled),
    )


@attack("--retry-failed while another run appends")
def _retry_during(tmp: Path) -> Row:
    folder, texts = corpus(tmp, 10)
    out = tmp / "out.jsonl"
    failed = {
        "doc_id": "doc000", "source": str(folder / "doc000.txt"), "task": "cooperation",
        "status": "error", "error": {"type": "server_error", "message": "x"},
        "meta": {"backend": "llm", "task": "cooperation"}, "programmes": [], "metrics": [],
    }  # fmt: skip
    out.write_text(json.dumps(failed) + "\n", encoding="utf-8")
    with ScriptedServer(slower) as server:
        args = (folder, out, server.base_url, tmp, "--concurrency", "1")
        first = threading.Thread(target=lambda: extract(*args))
        first.start()
        wait_lines(out, 3)
        # The retry run redoes just the failed document, while the first run still appends.
        only = (folder / "doc000.txt", *args[1:])
        retry = extract(*only, "--retry-failed")
        first.join()
        # Lines the first run wrote that the retry run's rewrite lost (doc000 is not counted).
        others = {k: v for k, v in texts.items() if not k.endswith("doc000.txt")}
        dropped, doubled = count(out, others)
        extract(*args, "--retry-failed")  # afterwards, alone: doc000 and the dropped redone
    healed, _ = count(out, texts)
    what = f"retry run: {rc_text(retry)}; {healed} missing after a later --retry-failed alone"
    return "", verdict(dropped == 0 and doubled == 0, what), str(dropped), str(doubled)


@attack("same-named files: one added between runs")
def _same_named(tmp: Path) -> Row:
    root = tmp / "corpus"
    (root / "a").mkdir(parents=True)
    (root / "b").mkdir()
    b = root / "b" / "x.txt"
    b.write_text("黔南州培训320人次。", encoding="utf-8")
    out = tmp / "out.jsonl"
    extract(root, out, None, tmp)
    a = root / "a" / "x.txt"
    a.write_text("广州市选派15名专家。", encoding="utf-8")
    run = extract(root, out, None, tmp)
    lost, doubled = count(out, {str(a): a.read_text("utf-8"), str(b): b.read_text("utf-8")})
    return "", verdict(lost == 0 and doubled == 0, rc_text(run)), str(lost), str(doubled)


@attack("second JSONL file reusing the first one's ids")
def _jsonl_ids(tmp: Path) -> Row:
    first, second = tmp / "first.jsonl", tmp / "second.jsonl"
    texts = {}
    for path, fmt in ((first, "培训{}人次。"), (second, "选派{}名专家。")):
        rows = [
            json.dumps({"id": str(i), "text": fmt.format(10 + i)}, ensure_ascii=False)
            for i in range(3)
        ]
        path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    for i in range(3):
        texts[f"{second}:{i + 1}"] = f"选派{10 + i}名专家。"
    out = tmp / "out.jsonl"
    extract(first, out, None, tmp)
    run = extract(second, out, None, tmp)
    lost, doubled = count(out, texts)
    return "", verdict(lost == 0 and doubled == 0, rc_text(run)), str(lost), str(doubled)


@attack("file name with bytes that are not UTF-8")
def _bad_name(tmp: Path) -> Row:
    folder, texts = corpus(tmp, 3)
    with open(os.path.join(os.fsencode(folder), b"caf\xe9.txt"), "wb") as fh:
        fh.write("培训999人次。".encode())
    out = tmp / "out.jsonl"
    run = extract(folder, out, None, tmp)
    again = extract(folder, out, None, tmp)
    lost, doubled = count(out, texts)
    lines = out.read_text("utf-8").splitlines() if out.exists() else []
    ok = run.rc == 0 and again.rc == 0 and len(lines) == 4
    texts_lost = lost + (0 if len(lines) >= 4 else 1)
    return (
        "",
        verdict(ok, f"{rc_text(run)}, re-run {rc_text(again)}"),
        str(texts_lost),
        str(doubled + max(0, len(lines) - 4)),
    )


@attack("corrupt line in the middle of the output, then eval")
def _corrupt_line(tmp: Path) -> Row:
    seeds = REPO / "seeds"
    texts = {str(p): p.read_text("utf-8") for p in sorted(seeds.glob("*.txt"))}
    out = tmp / "out.jsonl"
    extract(seeds, out, None, tmp)
    raw = out.read_bytes().splitlines(keepends=True)
    raw[2] = raw[2][: len(raw[2]) // 2] + b"\n"
    out.write_bytes(b"".join(raw))
    run = extract(seeds, out, None, tmp)
    ev = llmx("eval", "--predictions", str(out), cwd=REPO)
    lost, doubled = count(out, texts)
    ok = run.rc == 0 and ev.rc in (0, 2) and lost == 0 and doubled == 0
    return "", verdict(ok, f"resume {rc_text(run)}, eval exit {ev.rc}"), str(lost), str(doubled)


def _cache_attack(tmp: Path, damage: Callable[[Path], None]) -> Row:
    folder, texts = corpus(tmp, 20, pad=30)
    with ScriptedServer(numbers) as server:
        extract(folder, tmp / "a.jsonl", server.base_url, tmp)
        db = tmp / "cache" / "cache.sqlite"
        with sqlite3.connect(db) as con:
            con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        damage(db)
        out = tmp / "b.jsonl"
        run = extract(folder, out, server.base_url, tmp)
    lost, doubled = count(out, texts)
    ok = run.rc == 0 and lost == 0 and "Traceback" not in run.err
    return "", verdict(ok, f"{rc_text(run)}; {one_line(run.err)}"), str(lost), str(doubled)


@attack("cache database: garbage")
def _cache_garbage(tmp: Path) -> Row:
    return _cache_attack(tmp, lambda db: db.write_bytes(os.urandom(8192)))


@attack("cache database: truncated")
def _cache_trunc(tmp: Path) -> Row:
    return _cache_attack(tmp, lambda db: os.truncate(db, db.stat().st_size // 2))


@attack("cache database: bad pages")
def _cache_pages(tmp: Path) -> Row:
    def smash(db: Path) -> None:
        with db.open("r+b") as fh:
            fh.seek(4096)
            fh.write(b"\xde\xad\xbe\xef" * ((db.stat().st_size - 4096) // 4))

    return _cache_attack(tmp, smash)


@attack("read-only cache folder")
def _ro_cache(tmp: Path) -> Row:
    folder, texts = corpus(tmp, 3)
    out = tmp / "out.jsonl"
    with tmpfs(tmp / "cache", "ro,size=64k") as ro, ScriptedServer(numbers) as server:
        if ro is None:
            return "", "skipped: needs root (tmpfs)", "-", "-"
        run = extract(folder, out, server.base_url, tmp)
    lost, doubled = count(out, texts)
    return (
        "",
        verdict(run.rc == 0 and lost == 0, f"{rc_text(run)}; {one_line(run.err)}"),
        str(lost),
        str(doubled),
    )


@attack("read-only output folder")
def _ro_out(tmp: Path) -> Row:
    folder, _ = corpus(tmp, 2)
    with tmpfs(tmp / "ro", "ro,size=64k") as ro:
        if ro is None:
            return "", "skipped: needs root (tmpfs)", "-", "-"
        run = extract(folder, ro / "out.jsonl", None, tmp)
    ok = run.rc not in (None, 0) and "Traceback" not in run.err
    return "", verdict(ok, f"{rc_text(run)}; {one_line(run.err)}"), "-", "-"


@attack("output path is a folder")
def _out_folder(tmp: Path) -> Row:
    folder, _ = corpus(tmp, 2)
    (tmp / "out").mkdir()
    run = extract(folder, tmp / "out", None, tmp)
    ok = run.rc not in (None, 0) and "Traceback" not in run.err
    return "", verdict(ok, f"{rc_text(run)}; {one_line(run.err)}"), "-", "-"


@attack("disk full (64 KB tmpfs), then space freed and re-run")
def _disk_full(tmp: Path) -> Row:
    folder, texts = corpus(tmp, 150, pad=10)
    with tmpfs(tmp / "disk", "size=64k") as disk:
        if disk is None:
            return "", "skipped: needs root (tmpfs)", "-", "-"
        out = disk / "out.jsonl"
        run = extract(folder, out, None, tmp)
        torn = out.exists() and not out.read_bytes().endswith(b"\n")
        subprocess.run(["mount", "-o", "remount,size=8m", str(disk)], check=False)
        again = extract(folder, out, None, tmp)
        lost, doubled = count(out, texts)
    ok = run.rc not in (None, 0) and "Traceback" not in run.err and not torn and again.rc == 0
    what = f"{rc_text(run)}; {one_line(run.err)}; torn={torn}; re-run exit {again.rc}"
    return "", verdict(ok, what), str(lost), str(doubled)


def _invented(tmp: Path, change: dict[str, Any], bad: Callable[[dict[str, Any]], bool]) -> Row:
    folder, _texts = corpus(tmp, 2)

    def reply(request: dict[str, Any]) -> Reply:
        r = numbers(request)
        for m in r.payload["metrics"]:
            m.update(change)
        return r

    out = tmp / "out.jsonl"
    with ScriptedServer(reply) as server:
        run = extract(folder, out, server.base_url, tmp)
    records = [m for x in out.read_text("utf-8").splitlines() for m in json.loads(x)["metrics"]]
    kept_bad = sum(bad(m) for m in records)
    return (
        "",
        verdict(kept_bad == 0, f"{kept_bad} invented value(s) kept, {rc_text(run)}"),
        "-",
        "-",
    )


@attack("invented value_max 987654 on a single number")
def _inv_max(tmp: Path) -> Row:
    return _invented(tmp, {"value_max": 987654.0}, lambda m: m.get("value_max") == 987654)


@attack("invented value 987654, value_text with no quantity")
def _inv_value(tmp: Path) -> Row:
    return _invented(
        tmp, {"value": 987654.0, "value_text": "培训"}, lambda m: m.get("value") == 987654
    )


@attack("unit changed 人次 -> 万元")
def _inv_unit(tmp: Path) -> Row:
    return _invented(tmp, {"unit": "万元"}, lambda m: m.get("unit") == "万元")


@attack("finish_reason content_filter")
def _content_filter(tmp: Path) -> Row:
    folder, _ = corpus(tmp, 1)
    out = tmp / "out.jsonl"
    reply = Reply("data", {"programmes": [], "metrics": []}, finish_reason="content_filter")
    with ScriptedServer(lambda _r: reply) as server:
        run = extract(folder, out, server.base_url, tmp)
    line = json.loads(out.read_text("utf-8").splitlines()[0]) if out.exists() else {}
    ok = line.get("status") == "error"
    return "", verdict(ok, f"status {line.get('status')}, {rc_text(run)}"), "-", "-"


def _auth_header(server: ScriptedServer) -> str:
    headers = {k.lower(): v for k, v in server.headers[-1].items()}
    return headers.get("authorization", "")


@attack("server echoes the Authorization header in its error")
def _echo_key(tmp: Path) -> Row:
    folder, _ = corpus(tmp, 2)
    out = tmp / "out.jsonl"
    holder: list[ScriptedServer] = []

    def echo(_r: dict[str, Any]) -> Reply:
        return Reply.error(400, message=f"bad request from {_auth_header(holder[0])}")

    with ScriptedServer(echo) as server:
        holder.append(server)
        run = extract(folder, out, server.base_url, tmp)
    leaked = [w for w, s in (("output", out.read_text("utf-8") if out.exists() else ""),
                             ("stderr", run.err)) if KEY in s]  # fmt: skip
    return "", verdict(not leaked, f"key found in {leaked or 'nothing'}"), "-", "-"


@attack("key inside the base URL, eval report")
def _url_key(tmp: Path) -> Row:
    with ScriptedServer(numbers) as server:
        url = server.base_url.replace("http://", f"http://user:{KEY}@")
        report = tmp / "report.json"
        run = llmx("eval", "--base-url", url, "--model", "m", "--report", str(report),
                   "--save-predictions", str(tmp / "p.jsonl"), cwd=REPO, limit=120)  # fmt: skip
    places = {"report": report.read_text("utf-8") if report.exists() else "", "stderr": run.err,
              "stdout": run.out}  # fmt: skip
    leaked = [k for k, v in places.items() if KEY in v]
    return (
        "",
        verdict(not leaked, f"key found in {leaked or 'nothing'} (eval exit {run.rc})"),
        "-",
        "-",
    )


def _eval_input(tmp: Path, lines: list[dict[str, Any]], must: str, must_not: str = "\0") -> Row:
    path = tmp / "pred.jsonl"
    path.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines), "utf-8")
    run = llmx("eval", "--predictions", str(path), cwd=REPO)
    said = run.err + run.out
    ok = run.rc == 1 and must in said and must_not not in said
    return (
        "",
        verdict(ok, f"eval exit {run.rc}; {one_line(run.err) if run.rc == 1 else ''}"),
        "-",
        "-",
    )


def _pred(doc_id: str, **records: Any) -> dict[str, Any]:
    return {"doc_id": doc_id, "source": f"seeds/{doc_id}.txt", "task": "cooperation",
            "status": "ok", "meta": {"backend": "rules", "task": "cooperation"},
            "programmes": [], "metrics": [], **records}  # fmt: skip


def _seed_ids() -> list[str]:
    return sorted(p.stem for p in (REPO / "seeds").glob("*.txt"))


def _metric(value: Any) -> dict[str, Any]:
    return {"subject": "培训", "value": value, "value_max": None, "unit": "人次",
            "qualifier": "exact", "value_text": "320人次", "evidence": "培训320人次"}  # fmt: skip


@attack("eval: metrics is not a list")
def _ev_notlist(tmp: Path) -> Row:
    return _eval_input(tmp, [_pred(i, metrics="none") for i in _seed_ids()], "pred.jsonl:1")


@attack("eval: value 'lots'")
def _ev_lots(tmp: Path) -> Row:
    return _eval_input(
        tmp, [_pred(i, metrics=[_metric("lots")]) for i in _seed_ids()], "pred.jsonl:1"
    )


@attack("eval: value NaN")
def _ev_nan(tmp: Path) -> Row:
    return _eval_input(
        tmp, [_pred(i, metrics=[_metric(float("nan"))]) for i in _seed_ids()], "pred.jsonl:1"
    )


@attack("eval: every line duplicated")
def _ev_dup(tmp: Path) -> Row:
    lines = [_pred(i) for i in _seed_ids()]
    return _eval_input(tmp, lines + lines, "more than once", "without gold")


@attack("kill -9 three times at random moments, then resume")
def _kill9(tmp: Path) -> Row:
    folder, texts = corpus(tmp, 30)
    out = tmp / "out.jsonl"
    rng = random.Random(12)
    with ScriptedServer(slow) as server:
        for _ in range(3):
            p = subprocess.Popen(
                [sys.executable, "-P", "-m", "llmx.cli", "extract", str(folder), "-o", str(out),
                 "-q", "--base-url", server.base_url, "--model", "m", "--cache-dir", str(tmp / "c"),
                 "--concurrency", "2"],
                cwd=tmp, env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            time.sleep(rng.uniform(1.2, 3.0))
            p.kill()
            p.wait()
        run = extract(folder, out, server.base_url, tmp)
    lost, doubled = count(out, texts)
    return (
        "",
        verdict(run.rc == 0 and lost == 0 and doubled == 0, rc_text(run)),
        str(lost),
        str(doubled),
    )


def main() -> None:
    global LIMIT
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="", help="attacks whose name contains one of A,B,...")
    parser.add_argument("--limit", type=float, default=LIMIT, help="seconds before a run is killed")
    args = parser.parse_args()
    LIMIT = args.limit
    rows: list[Row] = []
    for name, fn in ATTACKS:
        if args.only and not any(part in name for part in args.only.split(",")):
            continue
        with tempfile.TemporaryDirectory(prefix="llmx-attack-") as d:
            started = time.perf_counter()
            try:
                _, outcome, lost, doubled = fn(Path(d))
            except Exception as exc:  # an attack that breaks the harness is a result too
                outcome, lost, doubled = (
                    f"FAIL: harness error {type(exc).__name__}: {exc}"[:120],
                    "?",
                    "?",
                )
        rows.append((name, outcome, lost, doubled))
        print(
            f"[{time.perf_counter() - started:5.1f} s] {name}: {outcome}",
            file=sys.stderr,
            flush=True,
        )
    print("| attack | outcome | documents lost | documents doubled |")
    print("|---|---|---|---|")
    for name, outcome, lost, doubled in rows:
        print(f"| {name} | {outcome.replace('|', '/')} | {lost} | {doubled} |")
    failed = sum(r[1].startswith("FAIL") for r in rows)
    print(f"\n{len(rows) - failed} of {len(rows)} attacks pass")


if __name__ == "__main__":
    main()
