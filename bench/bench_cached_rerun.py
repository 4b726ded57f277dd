"""Cached re-run vs first run (issue 13: goal <= 5 % of the first run's time).

    .venv/bin/python bench/bench_cached_rerun.py [--docs N] [--concurrency C] [--rounds R]

The same synthetic corpus runs three ways in one process, against the scripted server (its own
process, 0.2 s added per reply -- replies are scripted from the request text, never model
output): a first run on an empty cache; a re-run served by the response cache only (what llmx
did before: clean, prompt, ground again, no HTTP); a re-run served by the grounded-result
cache. Each re-run writes a fresh output file, so resume skips nothing. Prints wall and CPU
time and the ratio to the first run; the best of ``--rounds`` re-runs is kept (noisy machine).
A second table does the same through the real CLI (``llmx extract`` on a JSONL corpus, one
process per run, so Python's start-up and imports are inside every figure).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _corpus import seed_sentences, synth_documents
from bench_throughput import LATENCY, SCRIPTED_NOTE, ServerProcess, llm_settings, run_pipeline

from llmx.pipeline import Pipeline


async def one(url: str, conc: int, cache_dir: Path, docs: list, out: Path, result_cache: bool):
    pipeline = Pipeline(llm_settings(url, conc, cache=True, cache_dir=cache_dir))
    if not result_cache:
        pipeline._result_key = lambda _sha: ""  # type: ignore[method-assign]  # the old path
    try:
        summary, wall, cpu = await run_pipeline(pipeline, docs, out)
    finally:
        await pipeline.aclose()
    assert summary.docs_ok == len(docs), summary
    return wall, cpu


async def bench(n: int, conc: int, rounds: int, tmp: Path) -> list[tuple[str, float, float]]:
    docs = list(synth_documents(n, seed=11, sentences=seed_sentences()))
    rows: list[tuple[str, float, float]] = []
    with ServerProcess(LATENCY) as server:
        await one(server.base_url, conc, tmp / "warm", docs[:conc], tmp / "w.jsonl", True)
        cache = tmp / "cache"
        before = server.requests()
        wall, cpu = await one(server.base_url, conc, cache, docs, tmp / "first.jsonl", True)
        rows.append(("first run (empty cache)", wall, cpu))
        sent = server.requests() - before
        for label, flag in (("re-run, response cache only (before)", False),
                            ("re-run, grounded-result cache (now)", True)):  # fmt: skip
            best = (float("inf"), float("inf"))
            for r in range(rounds):
                out = tmp / f"{flag}-{r}.jsonl"
                best = min(best, await one(server.base_url, conc, cache, docs, out, flag))
            rows.append((label, *best))
        assert server.requests() - before == sent, "a re-run sent requests"
    return rows


def cli(n: int, conc: int, rounds: int, tmp: Path) -> list[tuple[str, float, float]]:
    """First run and cached re-runs of ``llmx extract`` in subprocesses: (label, wall, CPU)."""
    corpus = tmp / "corpus.jsonl"
    with corpus.open("w", encoding="utf-8") as fh:
        for d in synth_documents(n, seed=12, sentences=seed_sentences()):
            fh.write(json.dumps({"id": d.id, "text": d.text}, ensure_ascii=False) + "\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "LLMX_"))}
    rows: list[tuple[str, float, float]] = []
    with ServerProcess(LATENCY) as server:

        def run(out: str) -> tuple[float, float]:
            args = [sys.executable, "-m", "llmx.cli", "extract", str(corpus), "-o", str(tmp / out),
                    "-q", "--base-url", server.base_url, "--model", "scripted",
                    "--concurrency", str(conc), "--cache-dir", str(tmp / "cli-cache")]  # fmt: skip
            before = os.times()
            wall = time.perf_counter()
            subprocess.run(args, env=env, check=True, capture_output=True)
            after = os.times()
            cpu = (after.children_user - before.children_user) + (
                after.children_system - before.children_system
            )
            return time.perf_counter() - wall, cpu

        rows.append(("llmx extract, first run", *run("first.jsonl")))
        rows.append(
            (
                "llmx extract, cached re-run (new -o)",
                *min(run(f"re{r}.jsonl") for r in range(rounds)),
            )
        )
        rows.append(("llmx extract, resumed (same -o: all done)", *run("first.jsonl")))
    return rows


def table(title: str, rows: list[tuple[str, float, float]], n: int) -> None:
    print(title)
    print("| run | wall s | CPU s | CPU ms/doc | wall / first run |")
    print("|---|---|---|---|---|")
    for label, wall, cpu in rows:
        print(f"| {label} | {wall:.3f} | {cpu:.3f} | {1000 * cpu / n:.2f} | "
              f"{wall / rows[0][1]:.3f} |")  # fmt: skip
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    logging.getLogger("instructor").setLevel(logging.CRITICAL)
    with tempfile.TemporaryDirectory(prefix="llmx-bench-") as name:
        rows = asyncio.run(bench(args.docs, args.concurrency, args.rounds, Path(name)))
        cli_rows = cli(args.docs, args.concurrency, args.rounds, Path(name))
    where = (f"{args.docs} docs, concurrency {args.concurrency}, server latency {LATENCY} s "
             f"({SCRIPTED_NOTE})")  # fmt: skip
    table(f"In process (Pipeline), {where}", rows, args.docs)
    table(
        "Through the CLI, same corpus as JSONL (start-up and imports included)", cli_rows, args.docs
    )


if __name__ == "__main__":
    main()
