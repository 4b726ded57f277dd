"""Start-up time of the ``llmx`` CLI: this checkout against another one, interleaved.

    .venv/bin/python bench/cli_startup.py --baseline /tmp/llmx-base [--runs 10]

``--baseline`` is a folder holding another version's ``llmx/`` package (e.g. ``git archive
98b847d llmx | tar -x -C /tmp/llmx-base``); it is put first on ``PYTHONPATH`` so the same
interpreter and installed dependencies import it instead. Each command runs ``--runs`` times
per version, the two versions alternating, so load on this shared machine hits both alike.
Prints the median wall time per command and version and the ratio (this / baseline). A
command the baseline does not know (``--version`` before it existed) still times its imports
and the usage error.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
COMMANDS = [["--help"], ["--version"], ["extract", "--help"], ["review", "--help"]]


def timed(args: list[str], pythonpath: str | None, cwd: str) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "LLMX_"))}
    env["PYTHONPATH"] = pythonpath or str(HERE)
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "llmx.cli", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", required=True, type=Path)
    parser.add_argument("--runs", type=int, default=10)
    opts = parser.parse_args()
    base = str(opts.baseline.resolve())
    with tempfile.TemporaryDirectory() as cwd:  # outside both checkouts: nothing shadows them
        timed(["--help"], None, cwd), timed(["--help"], base, cwd)  # warm the file cache
        print(f"median of {opts.runs} runs, interleaved; load {os.getloadavg()[0]:.1f}")
        print(f"{'command':<18} {'baseline s':>10} {'this s':>8} {'ratio':>6}")
        for args in COMMANDS:
            theirs, ours = [], []
            for _ in range(opts.runs):
                theirs.append(timed(args, base, cwd))
                ours.append(timed(args, None, cwd))
            a, b = statistics.median(theirs), statistics.median(ours)
            print(f"{' '.join(args):<18} {a:>10.3f} {b:>8.3f} {b / a:>6.2f}")


if __name__ == "__main__":
    main()
