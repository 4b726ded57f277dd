"""Scale figures for ``llmx extract --engine ray`` (docs/scale.md): docs/s with 1 and 2 workers
beside the local engine in one run, CPU and requests per document, the budget actor's ceiling.

    .venv/bin/python bench/bench_ray.py [--docs 1500] [--concurrency 32] [--latency 0.2]

Starts its own Ray head on this machine (``ray start --head --block --num-cpus 2``, stopped by
its pid at the end) unless ``RAY_ADDRESS`` names one. The server is the scripted
OpenAI-compatible server in its own process (``bench_throughput.ServerProcess``), replying with
records quoted from the request (``_corpus.grounding_responder``; scripted, never model
output), so grounding and merging cost what they cost in a real run. Prints figures; asserts
nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _corpus import synth_documents
from bench_throughput import ServerProcess

from llmx.testing.ray_cluster import local_cluster


@contextlib.contextmanager
def ray_head() -> Any:
    if os.environ.get("RAY_ADDRESS"):
        yield os.environ["RAY_ADDRESS"]
        return
    with local_cluster(num_cpus=2) as address:
        yield address


def _extract(args: list[str], env: dict[str, str], cwd: Path) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "llmx.cli", "extract", *args, "-q"],
        cwd=cwd, env=env, capture_output=True, text=True,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"llmx extract failed ({done.returncode}): {done.stderr[-2000:]}")
    return time.perf_counter() - started, done.stderr


def _shard_figures(out: Path) -> dict[str, float]:
    entries = [json.loads(line) for line in (out / "manifest.jsonl").open()]
    docs = sum(e["docs"] for e in entries)
    span = max(e["finished_at"] for e in entries) - min(e["started_at"] for e in entries)
    return {
        "docs": docs,
        "steady_docs_per_s": docs / span,  # first block start -> last block end (no start-up)
        "cpu_ms_per_doc": 1000 * sum(e["cpu_s"] for e in entries) / docs,
        "requests_per_doc": sum(e["requests"] for e in entries) / docs,
        "chunks_per_doc": sum(e["chunks"] for e in entries) / docs,
        "workers": len({e["worker"] for e in entries}),
    }


async def _budget_rate(address: str, pairs: int, callers: int) -> float:
    """acquire+release round trips per second through the budget actor (its ceiling)."""
    import ray

    from llmx.engines.budget import budget_actor

    ray.init(address=address, logging_level="ERROR")
    budget = budget_actor(10_000, lease_ttl=60)
    holder = uuid.uuid4().hex

    async def caller(n: int) -> None:
        for _ in range(n):
            lease = uuid.uuid4().hex
            await budget.acquire.remote(holder, lease)
            await budget.release.remote(lease)

    await caller(20)  # warm
    started = time.perf_counter()
    await asyncio.gather(*(caller(pairs // callers) for _ in range(callers)))
    rate = pairs / (time.perf_counter() - started)
    ray.shutdown()
    return rate


def main() -> None:
    # A bench cluster on loopback, no token (a local ray.init() leaves ~/.ray/auth_token,
    # after which Ray 2.60's `ray start` and its clients disagree on auth).
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=1500)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--block-docs", type=int, default=100)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="llmx-bench-ray-"))
    corpus = tmp / "corpus.jsonl"
    with corpus.open("w", encoding="utf-8") as fh:
        for doc in synth_documents(args.docs, seed=7):
            fh.write(json.dumps({"id": doc.id, "text": doc.text}, ensure_ascii=False) + "\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "LLMX_"))}
    env["LLMX_TASK"] = "cooperation"
    rows: list[dict[str, Any]] = []
    print(f"llmx ray bench -- {time.strftime('%Y-%m-%dT%H:%M', time.gmtime())}, "
          f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}; {args.docs} docs, "
          f"latency {args.latency} s, concurrency {args.concurrency} per worker")  # fmt: skip
    with ray_head() as address, ServerProcess(args.latency) as server:
        env["RAY_ADDRESS"] = address
        common = ["--backend", "llm", "--base-url", server.base_url, "--model", "scripted",
                  "--no-cache", "--concurrency", str(args.concurrency)]  # fmt: skip
        # side by side: local engine, ray with 1 worker, ray with 2 workers
        before = server.requests()
        wall, _ = _extract([str(corpus), "-o", str(tmp / "local.jsonl"), *common], env, tmp)
        rows.append({"engine": "local", "workers": 1, "wall_s": wall,
                     "docs_per_s": args.docs / wall,
                     "server_requests_per_doc": (server.requests() - before) / args.docs,
        })  # fmt: skip
        for workers in (1, 2):
            out = tmp / f"ray{workers}"
            before = server.requests()
            wall, _ = _extract(
                [str(corpus), "-o", str(out), *common, "--engine", "ray",
                 "--workers", str(workers), "--block-docs", str(args.block_docs),
                 "--max-in-flight", str(args.concurrency * 4)],
                env, tmp,
            )  # fmt: skip
            figures = _shard_figures(out)
            rows.append({"engine": "ray", "workers": workers, "wall_s": wall,
                         "docs_per_s": args.docs / wall, **figures,
                         "server_requests_per_doc": (server.requests() - before) / args.docs,
        })  # fmt: skip
        rate = asyncio.run(_budget_rate(address, 2000, 32))
    cols = ["engine", "workers", "wall_s", "docs_per_s", "steady_docs_per_s", "cpu_ms_per_doc",
            "requests_per_doc", "chunks_per_doc", "server_requests_per_doc"]  # fmt: skip
    print("  ".join(f"{c:>14}" for c in cols))
    for row in rows:
        cells = [row.get(c, "") for c in cols]
        print("  ".join(f"{v:>14.3f}" if isinstance(v, float) else f"{v!s:>14}" for v in cells))
    print(f"budget actor: {rate:.0f} acquire+release pairs/s (32 concurrent callers, 1 process)")
    print("wall_s and docs_per_s include Ray start-up of the driver and the worker actors; "
          "steady_docs_per_s is first block start to last block end")  # fmt: skip


if __name__ == "__main__":
    main()
