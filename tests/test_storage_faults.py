"""Issue 12, storage faults: a bad cache database, read-only places, a folder as output, a full
disk. Each is one stderr line and a documented exit code; nothing is torn or lost."""

from __future__ import annotations

import contextlib
import json
import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from _cli import cli_env, extract_args, run_llmx

from llmx.testing import Reply, ScriptedServer, request_text

EXIT_STORAGE = 6


def numbers_reply(request: dict) -> Reply:
    import re

    text = request_text(request)
    metrics = [
        {"subject": "培训", "value": float(m.group(1)), "unit": "人次", "qualifier": "exact",
         "value_text": m.group(0), "evidence": m.group(0)}
        for m in re.finditer(r"(\d+)人次", text)
    ]  # fmt: skip
    return Reply.data({"programmes": [], "metrics": metrics})


def corpus_of(root: Path, n: int, pad: int = 0) -> Path:
    corpus = root / "corpus"
    corpus.mkdir()
    for i in range(n):
        body = f"第{i}篇：培训{100 + i}人次。" + "广州市与黔南州开展协作。" * pad
        (corpus / f"doc{i:03d}.txt").write_text(body, encoding="utf-8")
    return corpus


def ok_ids(out: Path) -> Counter[str]:
    lines = [json.loads(x) for x in out.read_text("utf-8").splitlines()]
    assert all(r["status"] == "ok" for r in lines), lines
    return Counter(r["doc_id"] for r in lines)


@contextlib.contextmanager
def tmpfs(path: Path, *options: str) -> Iterator[Path]:
    """A real, small file system (root only; the test is skipped elsewhere)."""
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("needs root to mount a tmpfs")
    opts = ",".join(options) or "size=1m"
    p = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(path)], capture_output=True
    )
    if p.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {p.stderr.decode(errors='replace').strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def run_llm(
    tmp: Path, corpus: Path, out: Path, cache: Path, url: str
) -> subprocess.CompletedProcess[str]:
    return run_llmx(*extract_args(corpus, out, url, cache, "--model", "m"), cwd=tmp, timeout=120)


def cache_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("llmx:") and "cache" in line]


# -- a bad cache database ----------------------------------------------------------------------


def _garbage(db: Path) -> None:
    db.write_bytes(os.urandom(8192))


def _truncated(db: Path) -> None:
    with db.open("r+b") as fh:
        fh.truncate(db.stat().st_size // 2)


def _bad_pages(db: Path) -> None:
    size = db.stat().st_size
    with db.open("r+b") as fh:  # keep the 100-byte header and page 1, smash the rest
        fh.seek(4096)
        fh.write(b"\xde\xad\xbe\xef" * ((size - 4096) // 4))


@pytest.mark.parametrize("damage", [_garbage, _truncated, _bad_pages])
@pytest.mark.slow
def test_corrupt_cache_is_moved_aside_and_no_document_fails(tmp_path: Path, damage) -> None:
    corpus = corpus_of(tmp_path, 30, pad=20)
    cache = tmp_path / "cache"
    with ScriptedServer(numbers_reply) as server:
        p = run_llm(tmp_path, corpus, tmp_path / "a.jsonl", cache, server.base_url)
        assert p.returncode == 0, p.stderr
        db = cache / "cache.sqlite"
        with sqlite3.connect(db) as con:  # fold the WAL in, so the damage hits the real pages
            con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        for side in ("-wal", "-shm"):
            Path(f"{db}{side}").unlink(missing_ok=True)
        assert db.stat().st_size > 3 * 4096
        damage(db)
        p = run_llm(tmp_path, corpus, tmp_path / "b.jsonl", cache, server.base_url)
    assert p.returncode == 0, p.stderr
    assert "Traceback" not in p.stderr
    assert len(cache_lines(p.stderr)) == 1, p.stderr
    ids = ok_ids(tmp_path / "b.jsonl")
    assert len(ids) == 30 and max(ids.values()) == 1


def test_read_only_cache_dir_runs_without_the_cache(tmp_path: Path) -> None:
    corpus = corpus_of(tmp_path, 3)
    with tmpfs(tmp_path / "ro", "ro,size=64k") as ro, ScriptedServer(numbers_reply) as server:
        p = run_llm(tmp_path, corpus, tmp_path / "out.jsonl", ro / "cache", server.base_url)
    assert p.returncode == 0, p.stderr
    assert len(cache_lines(p.stderr)) == 1, p.stderr
    assert len(ok_ids(tmp_path / "out.jsonl")) == 3


# -- where the output goes -------------------------------------------------------------------


def offline(corpus: Path, out: Path, cwd: Path, **kw) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "llmx.cli", "extract", str(corpus), "-o", str(out),
         "--backend", "rules", "-q"],
        cwd=cwd, env=cli_env(), capture_output=True, text=True, timeout=120, **kw,
    )  # fmt: skip


def one_line(p: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in p.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in p.stderr, p.stderr
    return lines[0]


def test_read_only_output_location_is_one_line(tmp_path: Path) -> None:
    corpus = corpus_of(tmp_path, 2)
    with tmpfs(tmp_path / "ro", "ro,size=64k") as ro:
        p = offline(corpus, ro / "out.jsonl", tmp_path)
    assert p.returncode == EXIT_STORAGE, p.stderr
    assert "-o" in one_line(p)


def test_output_path_that_is_a_folder_is_one_line(tmp_path: Path) -> None:
    corpus = corpus_of(tmp_path, 2)
    (tmp_path / "out").mkdir()
    p = offline(corpus, tmp_path / "out", tmp_path)
    assert p.returncode == EXIT_STORAGE, p.stderr
    assert "folder" in one_line(p)


def _small_files() -> None:  # fallback where no tmpfs can be mounted: writes past 64 KB fail
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))


def test_full_disk_stops_cleanly_and_a_rerun_completes(tmp_path: Path) -> None:
    n = 150
    corpus = corpus_of(tmp_path, n, pad=10)  # ~110 KB of output for a 64 KB disk
    disk = tmp_path / "disk"
    mounted = False
    if os.geteuid() == 0:
        disk.mkdir()
        mounted = (
            subprocess.run(
                ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(disk)], capture_output=True
            ).returncode
            == 0
        )
    if not mounted:
        disk.mkdir(exist_ok=True)
    out = disk / "out.jsonl"
    try:
        p = offline(corpus, out, tmp_path, **({} if mounted else {"preexec_fn": _small_files}))
        assert p.returncode == EXIT_STORAGE, p.stderr
        line = one_line(p)
        assert "space" in line or "too large" in line, line
        data = out.read_bytes()
        assert data.endswith(b"\n")  # nothing torn
        first = ok_ids(out)
        assert 0 < len(first) < n and max(first.values()) == 1
        if mounted:
            subprocess.run(["mount", "-o", "remount,size=4m", str(disk)], check=True)
        p = offline(corpus, out, tmp_path)
        assert p.returncode == 0, p.stderr
        ids = ok_ids(out)
        assert len(ids) == n and max(ids.values()) == 1
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(disk)], check=False)
