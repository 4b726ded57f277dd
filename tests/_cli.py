"""Run the real ``llmx`` CLI in a subprocess, as a user would, with no endpoint settings leaking
in from the developer's environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any


def cli_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "LLMX_"))}
    env["LLMX_TASK"] = "cooperation"  # runs happen in temporary folders, outside the project
    return env


def popen_llmx(*args: str, cwd: Path, **kw: Any) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "llmx.cli", *args],
        cwd=cwd,
        env=cli_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kw,
    )


def run_llmx(*args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "llmx.cli", *args],
        cwd=cwd,
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def extract_args(corpus: Path, out: Path, base_url: str, cache: Path, *extra: str) -> list[str]:
    """``llmx extract`` against a test server, quietly, with its own cache."""
    return [
        "extract", str(corpus), "-o", str(out), "--base-url", base_url,
        "--cache-dir", str(cache), "-q", *extra,
    ]  # fmt: skip
