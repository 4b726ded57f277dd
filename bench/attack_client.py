"""Attack llmx's LLM client end to end and print what happened (issue 12, client part).

    .venv/bin/python bench/attack_client.py [--llmx-path DIR] [--timeout 120]

``--llmx-path`` runs the llmx found in DIR (e.g. a checkout of an older commit) as the
subprocess, to compare before and after; a run still going after ``--timeout`` seconds is
killed and reported as hung.

Each attack runs the real ``llmx extract`` (a subprocess) on 6 documents against a hostile
``ScriptedServer`` (or nothing at all), then re-runs the same command with
``--retry-failed`` against a well-behaved server, and counts what the output file holds:
documents lost (never written) and doubled (written twice). The key column says whether the
API key (or the password in a credentialed URL) appeared anywhere in output or stderr.
Replies are scripted test fixtures, never model output. Nothing is asserted; see
tests/test_client_hardening.py for the assertions.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from llmx.testing import Reply, ScriptedServer, unused_base_url

SECRET = "sk-attack-SECRET-7f3a9c0d1e2b"
DOCS = 6
TEXT = "广州市专家赴黔南州开展智力帮扶活动，培训{n}余人次，现场指导200余人次。"


LLMX_PATH: str | None = None
TIMEOUT = 120.0


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "LLMX_"))}
    if LLMX_PATH:
        env["PYTHONPATH"] = LLMX_PATH
    return {**env, "OPENAI_API_KEY": SECRET, **extra}


def _llmx(root: Path, url: str, *extra: str) -> tuple[int | str, str, float]:
    args = [
        sys.executable, "-m", "llmx.cli", "extract", str(root / "corpus"), "-o",
        str(root / "out.jsonl"), "--base-url", url, "--model", "m", "--mode", "tools",
        "--cache-dir", str(root / "cache"), "-q", "--concurrency", "2", *extra,
    ]  # fmt: skip
    started = time.monotonic()
    try:
        p = subprocess.run(
            args, cwd=root, env=_env(), capture_output=True, text=True, timeout=TIMEOUT
        )
    except subprocess.TimeoutExpired as exc:
        err = exc.stderr.decode() if isinstance(exc.stderr, bytes) else exc.stderr or ""
        return f"hung>{TIMEOUT:g}s", err, time.monotonic() - started
    return p.returncode, p.stderr, time.monotonic() - started


def _good(request: dict[str, Any]) -> Reply:
    return Reply.data({"programmes": [], "metrics": []})


def attack(
    name: str,
    hostile: Callable[[dict[str, Any]], Reply] | None,
    *extra: str,
    url_of: Callable[[str], str] = lambda u: u,
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "corpus").mkdir()
        for i in range(DOCS):
            (root / "corpus" / f"d{i}.txt").write_text(TEXT.format(n=100 + i), "utf-8")
        if hostile is None:
            code, err, took = _llmx(root, unused_base_url(), *extra)
            requests = 0
        else:
            with ScriptedServer(hostile) as server:
                code, err, took = _llmx(root, url_of(server.base_url), *extra)
                requests = len(server.requests)
        first = root / "out.jsonl"
        first_text = first.read_text("utf-8") if first.exists() else ""
        errors: dict[str, int] = {}
        for line in first_text.splitlines():
            error = json.loads(line).get("error") or {}
            errors[error.get("type", "ok")] = errors.get(error.get("type", "ok"), 0) + 1
        with ScriptedServer(_good) as good:
            code2, err2, _ = _llmx(root, good.base_url, "--retry-failed")
        out = root / "out.jsonl"
        text = out.read_text("utf-8") if out.exists() else ""
        lines = [json.loads(x) for x in text.splitlines()]
        # The last line per document is its result (--retry-failed appends the redone ones).
        final = {r["doc_id"]: r["status"] for r in lines}
        oks = [r["doc_id"] for r in lines if r["status"] == "ok"]
        leaked = any(SECRET in blob for blob in (err, err2, first_text, text))
        said = next((x for x in err.splitlines() if x.startswith("llmx: ") and "sending" not in x),
                    "")  # fmt: skip
        if not said:
            said = "written: " + ", ".join(f"{k} x{v}" for k, v in sorted(errors.items()))
    return {
        "attack": name,
        "exit": code,
        "seconds": round(took, 1),
        "requests": requests,
        "said": said.strip()[:110],
        "exit_resumed": code2,
        "lost": DOCS - len(final),
        "doubled": len(oks) - len(set(oks)),
        "ok_after": sum(s == "ok" for s in final.values()),
        "key_leaked": leaked,
    }


def main() -> None:
    global LLMX_PATH, TIMEOUT
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--llmx-path")
    parser.add_argument("--timeout", type=float, default=120.0)
    args = parser.parse_args()
    LLMX_PATH, TIMEOUT = args.llmx_path, args.timeout

    def trickle(_r: dict[str, Any]) -> Reply:
        return Reply.trickle(every=2.0, size=100_000)

    def echo(_r: dict[str, Any]) -> Reply:
        return Reply.echo_auth(400)

    def credentialed(url: str) -> str:
        return url.replace("http://", f"http://user:{SECRET}@")

    rows = [
        attack("headers, then 1 byte / 2 s", trickle, "--timeout", "3", "--retries", "0"),
        attack("nothing listening", None),
        attack("wrong key (401)", lambda _r: Reply.error(401, message="bad key")),
        attack("wrong path (404)", _good, url_of=lambda u: u + "/nope"),
        attack("503 forever", lambda _r: Reply.error(503), "--retries", "1"),
        attack("50 MB reply", lambda _r: Reply.huge(50_000_000)),
        attack("content_filter", lambda _r: Reply.filtered()),
        attack("key echoed in error body", echo),
        attack("key inside the base URL", echo, url_of=credentialed),
    ]
    cols = list(rows[0])
    widths = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in cols}
    print("llmx extract on 6 documents, concurrency 2; then the same command with --retry-failed")
    print("against a good server. Replies are scripted test fixtures, never model output.\n")
    print("  ".join(c.ljust(widths[c]) for c in cols))
    for r in rows:
        print("  ".join(str(r[c]).ljust(widths[c]) for c in cols))


if __name__ == "__main__":
    main()
