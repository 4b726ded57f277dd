"""What writing results in input order costs against completion order (issue #14 #4).

    .venv/bin/python bench/bench_order.py [--docs N] [--reps R] [--concurrency 32,128]

The same pipeline and writer as ``bench_throughput.py`` (a JSONL file, fsync <= 1/s), against a
scripted server in its own process with 0.2 s latency per reply; in the ``tail`` scenario one
document in 50 takes 2 s (a slow model call), which is where a reorder buffer can stall. Runs
alternate input / completion order so the shared machine's noise falls on both. Server replies
are scripted by ``bench/_corpus.py`` (quantities copied from the request), never model output.
Nothing is asserted: the script prints figures.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import logging
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _corpus import grounding_responder, seed_sentences, synth_documents

from llmx.config import Settings
from llmx.output import ResultWriter
from llmx.pipeline import Pipeline
from llmx.testing.server import Reply, ScriptedServer, request_text

LATENCY = 0.2
TAIL_EVERY, TAIL_S = 50, 2.0


def _serve(tail: bool) -> None:
    def reply(request: dict[str, Any]) -> Reply:
        out = grounding_responder(request)
        for programme in out.payload["programmes"]:  # _corpus predates the required `kind`
            programme.setdefault("kind", "initiative")
        digest = hashlib.sha256(request_text(request).encode()).digest()
        slow = tail and int.from_bytes(digest[:4], "big") % TAIL_EVERY == 0
        out.delay = TAIL_S if slow else LATENCY
        return out

    server = ScriptedServer(reply)
    server._record = lambda _body, _headers: None  # type: ignore[method-assign]  # flat memory
    server.start()
    print(server.base_url, flush=True)
    sys.stdin.read()  # until the parent closes it
    server.stop()


def settings(base_url: str, concurrency: int) -> Settings:
    return Settings.model_validate(
        {"task": "cooperation", "backend": "llm", "base_url": base_url, "model": "scripted",
         "api_key": "bench", "concurrency": concurrency, "cache": False}
    )  # fmt: skip


async def one_run(base_url: str, concurrency: int, n: int, order: str, out: Path) -> float:
    """docs/s of one run of ``n`` documents in ``order``, written to ``out``."""
    pipeline = Pipeline(settings(base_url, concurrency))
    pool = seed_sentences()
    try:  # warm-up: imports, the client, the connection pool, the endpoint probe
        await pipeline.run(synth_documents(concurrency, seed=99, sentences=pool), lambda _r: None)
        out.unlink(missing_ok=True)
        writer = ResultWriter(out)
        started = time.perf_counter()
        try:
            summary = await pipeline.run(
                synth_documents(n, seed=1, sentences=pool),
                writer.write,
                order=order,  # type: ignore[arg-type]
            )
        finally:
            writer.close()
        wall = time.perf_counter() - started
    finally:
        await pipeline.aclose()
    assert summary.docs_ok == n, summary
    return n / wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=1000)
    parser.add_argument("--reps", type=int, default=2)
    parser.add_argument("--concurrency", default="32,128")
    parser.add_argument("--scenarios", default="uniform,tail")
    parser.add_argument("--serve", choices=["uniform", "tail"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        return _serve(args.serve == "tail")
    logging.getLogger("instructor").setLevel(logging.CRITICAL)
    rows = []
    with tempfile.TemporaryDirectory(prefix="llmx-order-") as tmp:
        for scenario in args.scenarios.split(","):
            proc = subprocess.Popen(
                [sys.executable, __file__, "--serve", scenario],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            )  # fmt: skip
            assert proc.stdout is not None and proc.stdin is not None
            base_url = proc.stdout.readline().strip()
            try:
                for c in (int(x) for x in args.concurrency.split(",")):
                    rates: dict[str, list[float]] = {"input": [], "completion": []}
                    for _ in range(args.reps):
                        for order in ("input", "completion"):
                            out = Path(tmp, f"{scenario}-{c}-{order}.jsonl")
                            rate = asyncio.run(one_run(base_url, c, args.docs, order, out))
                            rates[order].append(rate)
                    med = {k: statistics.median(v) for k, v in rates.items()}
                    rows.append((scenario, c, med["input"], med["completion"]))
                    ratio = med["input"] / med["completion"]
                    print(
                        f"{scenario:8} c={c:<4} input {med['input']:7.1f} docs/s  completion "
                        f"{med['completion']:7.1f} docs/s  ratio {ratio:.3f}  (runs: {rates})",
                        flush=True,
                    )
            finally:
                proc.stdin.close()
                proc.wait(timeout=10)
    print(
        f"\n{args.docs} documents a run, median of {args.reps}; ideal = concurrency / {LATENCY} s"
    )
    print("| scenario | concurrency | input order docs/s | completion docs/s | ratio |")
    print("|---|---|---|---|---|")
    for scenario, c, inp, comp in rows:
        print(f"| {scenario} | {c} | {inp:.1f} | {comp:.1f} | {inp / comp:.3f} |")


if __name__ == "__main__":
    main()
