"""``llmx extract --engine ray`` on a real local Ray cluster (two worker processes), against
the real scripted HTTP server: every document exactly once, a worker killed with kill -9
mid-run, and the cluster-wide request budget as the server measures it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from _cli import cli_env

from llmx.output import read_results
from llmx.testing import Reply, ScriptedServer, request_text
from llmx.testing.ray_cluster import NO_AUTH, local_cluster

ray = pytest.importorskip("ray")
pytestmark = pytest.mark.slow  # ~1 min each with the cluster start-up, on 2 loaded cores


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    """A Ray head with 2 CPUs (two 1-CPU workers), stopped with every process it started."""
    with local_cluster(num_cpus=2) as address:
        yield address


def _corpus(folder: Path, n: int) -> Path:
    src = folder / "news.jsonl"
    rows = (json.dumps({"id": f"d{i:03d}", "text": f"广州市帮扶黔南州第{i}批，培训{i}人次。",
                        "url": f"u{i}"}, ensure_ascii=False) for i in range(n))  # fmt: skip
    src.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return src


def _extract(address: str, server: ScriptedServer, src: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "llmx.cli", "extract", str(src), "-o", str(out),
            "--engine", "ray", "--backend", "llm", "--base-url", server.base_url,
            "--model", "scripted", "--no-cache", "--no-quantity-hints", "-q", *extra]  # fmt: skip


def _env(address: str, **more: str) -> dict[str, str]:
    return {**cli_env(), "RAY_ADDRESS": address, **NO_AUTH, **more}


def _ids(out: Path) -> list[str]:
    return [r.doc_id for r in read_results(out)]


class Script:
    """Replies: the first requests wait until ``gather`` are in flight at once (with 2 per
    worker, only both workers together get there), then one 429 for everyone, and a 400 for
    document d007 while ``fail_d007`` is set (a failed document, for --retry-failed)."""

    def __init__(self, gather: int) -> None:
        self.gather = gather
        self.server: ScriptedServer | None = None
        self.fail_d007 = True
        self._lock = threading.Lock()
        self._gathered = False
        self._limited = False

    def __call__(self, request: dict) -> Reply:
        assert self.server is not None
        deadline = time.monotonic() + 60
        while not self._gathered and time.monotonic() < deadline:
            self._gathered = self.server.in_flight >= self.gather
            time.sleep(0.01)
        with self._lock:
            limited, self._limited = self._limited, True
        if not limited:
            return Reply.error(429, headers={"Retry-After": "0.5"})
        if self.fail_d007 and "第7批" in request_text(request):
            return Reply.error(400, message="scripted: this document is refused")
        return Reply.data({})


def test_every_document_once_within_one_shared_budget(cluster: str, tmp_path: Path) -> None:
    src = _corpus(tmp_path, 48)
    out = tmp_path / "out"
    script = Script(gather=3)
    with ScriptedServer(script, latency=0.1) as server:
        script.server = server
        # A relative input path: the workers do not start in this folder. Two workers of 2
        # requests each could put 4 in flight; the budget allows 3.
        cmd = _extract(cluster, server, Path(src.name), out, "--workers", "2", "--concurrency",
                       "2", "--max-in-flight", "3", "--block-docs", "6",
                       "--mode", "json_schema")  # fmt: skip

        def run(*extra: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run([*cmd, *extra], cwd=tmp_path, env=_env(cluster),
                                  capture_output=True, text=True, timeout=300)  # fmt: skip

        first = run()
        assert first.returncode == 3, first.stderr[-3000:]  # d007 failed
        assert server.max_in_flight == 3  # both workers at once, and never more
        assert "1 429s" in first.stderr
        sent = len(server.requests)
        assert sent == 49  # 48 documents of one chunk each, plus the retried 429
        results = {r.doc_id: r for r in read_results(out)}
        assert sorted(results) == [f"d{i:03d}" for i in range(48)]
        assert [k for k, r in results.items() if r.status != "ok"] == ["d007"]

        again = run()
        assert again.returncode == 3 and "nothing to do" in again.stderr
        assert len(server.requests) == sent  # resumed: no document asked for twice

        script.fail_d007 = False
        retried = run("--retry-failed")
        assert retried.returncode == 0, retried.stderr[-3000:]
        assert len(server.requests) == sent + 6  # only d007's block (6 documents) again
        results = {r.doc_id: r for r in read_results(out)}
        assert sorted(results) == [f"d{i:03d}" for i in range(48)]
        assert all(r.status == "ok" for r in results.values())
        assert server.max_in_flight == 3


def test_a_worker_killed_mid_run_loses_and_doubles_nothing(cluster: str, tmp_path: Path) -> None:
    src = _corpus(tmp_path, 60)
    out = tmp_path / "out"
    with ScriptedServer(latency=0.2) as server:
        cmd = _extract(cluster, server, src, out, "--workers", "2", "--concurrency", "2",
                       "--max-in-flight", "2", "--block-docs", "5")  # fmt: skip
        env = _env(
            cluster, LLMX_RAY_LEASE_TTL="8"
        )  # beats every 8/3 s; 3 s expired live workers under load
        run = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)  # fmt: skip
        manifest = out / "manifest.jsonl"
        deadline = time.monotonic() + 180
        while not (manifest.exists() and manifest.read_text().count("\n") >= 2):
            assert run.poll() is None, run.communicate()[1][-3000:]
            assert time.monotonic() < deadline
            time.sleep(0.2)
        victim = int(json.loads(manifest.read_text().splitlines()[-1])["worker"].split(":")[1])
        os.kill(victim, signal.SIGKILL)  # mid-run: it holds leases and is inside a block
        _, stderr = run.communicate(timeout=300)
        if run.returncode != 0:  # Ray gave up on the block: the re-run finishes it
            again = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True,
                                   timeout=300)  # fmt: skip
            assert again.returncode == 0, again.stderr[-3000:]
        else:
            assert "blocks" in stderr
        ids = _ids(out)  # raises if any document is in two shards
        assert sorted(ids) == [f"d{i:03d}" for i in range(60)]
        assert server.max_in_flight <= 2
        assert not list((out / "shards").glob("*.tmp"))
