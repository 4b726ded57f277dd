"""A real llama.cpp ``llama-server`` for the integration tests (run with ``pytest -m integration``).

The session fixture builds (or reuses) the server and the model via ``scripts/llama_server.sh``
and starts its own server on a free port, or uses an already running one when
``LLMX_TEST_LLAMA_URL`` is set (e.g. one started by ``scripts/llama_server.sh start``).
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from _llama import DOC_A, DOC_B, TIMINGS, LlamaServer, record_timing

from llmx.testing.server import free_port

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "llama_server.sh"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the measured timings (server start, request latencies) after the run."""
    if not TIMINGS:
        return
    terminalreporter.section("llama-server timings")
    for name, values in TIMINGS.items():
        ordered = sorted(values)
        median, worst = ordered[len(ordered) // 2], ordered[-1]
        terminalreporter.write_line(
            f"{name}: n={len(ordered)} median={median:.2f}s max={worst:.2f}s"
        )


def _script(command: str) -> str:
    """Run ``scripts/llama_server.sh COMMAND`` and return the last line it printed."""
    done = subprocess.run(
        ["bash", str(SCRIPT), command], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        pytest.fail(f"llama_server.sh {command} failed:\n{done.stderr[-3000:]}", pytrace=False)
    return done.stdout.strip().splitlines()[-1]


def _wait_healthy(url: str, proc: subprocess.Popen[bytes] | None, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            pytest.fail(f"llama-server exited with {proc.returncode}", pytrace=False)
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail(f"llama-server at {url} not healthy after {timeout} s", pytrace=False)


def _model_id(url: str) -> str:
    data = httpx.get(f"{url}/v1/models", timeout=10).json()["data"]
    return str(data[0]["id"])


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    """A healthy llama-server for the whole session, stopped at teardown if we started it."""
    external = os.environ.get("LLMX_TEST_LLAMA_URL")
    if external:
        url = external.rstrip("/").removesuffix("/v1")
        _wait_healthy(url, None, timeout=30)
        yield LlamaServer(url, _model_id(url), None)
        return
    binary, model = _script("build"), _script("model")
    url = f"http://127.0.0.1:{free_port()}"
    log = (tmp_path_factory.mktemp("llama") / "server.log").open("wb")
    # Same flags as `llama_server.sh start`: -c 8192 because llmx's json/md_json prompts (schema
    # in the system message) exceed 4096 SmolLM2 tokens; -np 1 keeps the shared prompt prefix
    # cached across requests; -t 2 because the machines here have two cores.
    cmd = [binary, "-m", model, "--host", "127.0.0.1", "--port", url.rsplit(":", 1)[1]]
    cmd += ["-c", "8192", "-np", "1", "-t", "2"]
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_healthy(url, proc, timeout=60)
        load_s = time.monotonic() - start
        record_timing("server start to /health", load_s)
        yield LlamaServer(url, _model_id(url), load_s)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture
def docs(tmp_path: Path) -> list[Path]:
    """The two short Chinese documents as UTF-8 files."""
    paths = []
    for name, text in (("doc_a", DOC_A), ("doc_b", DOC_B)):
        path = tmp_path / f"{name}.txt"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths
