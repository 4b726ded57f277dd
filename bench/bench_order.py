"""What writing results in input order costs against completion order (issue #14 #4).

    .venv/bin/python bench/bench_order.py [--docs N] [--reps R] [--concurrency 32,128]

The same pipeline and writer as ``bench_throughput.py`` (a JSONL file, fsync <= 1/s), against a
scripted server in its own process with 0.2 s latency per reply; in the ``tail`` scenario one
document in 50 takes 2 s (a slow model call), which is where a reorder buffer can stall: with
the default buffer (max(256, 16 x concurrency)) and with a tight one (4 x concurrency). Each
repetition runs every variant, in rotating order; ratios are taken within a repetition, so
the shared machine's drift falls on all of them. Server replies
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


async def one_run(
    base_url: str, concurrency: int, n: int, order: str, out: Path, buffer: int | None = None
) -> float:
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
                buffer=buffer,
            )
        finally:
            writer.close()
        wall = time.perf_counter() - started
    finally:
        await pipeline.aclose()
    assert summary.docs_ok == n, summary
    return n / wall


VARIANTS = {  # name -> (order, reorder buffer as a multiple of the concurrency; None: default)
    "completion": ("completion", None),
    "input": ("input", None),
    "input, buffer 4x": ("input", 4),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=1000)
    parser.add_argument("--reps", type=int, default=3)
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
                    rates: dict[str, list[float]] = {name: [] for name in VARIANTS}
                    names = list(VARIANTS)
                    for rep in range(args.reps):
                        # Rotate which variant goes first: the shared machine's drift
                        # falls on each in turn; ratios are taken within a repetition.
                        for name in names[rep % 3 :] + names[: rep % 3]:
                            order, times = VARIANTS[name]
                            out = Path(tmp, f"{scenario}-{c}.jsonl")
                            buffer = times * c if times else None
                            rate = asyncio.run(one_run(base_url, c, args.docs, order, out, buffer))
                            rates[name].append(rate)
                    row = {"scenario": scenario, "c": c}
                    for name in VARIANTS:
                        pairs = zip(rates[name], rates["completion"], strict=True)
                        ratios = sorted(a / b for a, b in pairs)
                        row[name] = (statistics.median(rates[name]), statistics.median(ratios),
                                     ratios[0], ratios[-1])  # fmt: skip
                    rows.append(row)
                    print(scenario, c, {k: [round(x, 1) for x in v] for k, v in rates.items()},
                          flush=True)  # fmt: skip
            finally:
                proc.stdin.close()
                proc.wait(timeout=10)
    print(f"\n{args.docs} documents a run, {args.reps} repetitions; docs/s: median; ratio to "
          "completion order: median of the per-repetition ratios [min-max]")  # fmt: skip
    print("| scenario | concurrency | " + " | ".join(VARIANTS) + " |")
    print("|---|---|" + "---|" * len(VARIANTS))
    for row in rows:
        cells = []
        for name in VARIANTS:
            rate, ratio, low, high = row[name]
            extra = "" if name == "completion" else f" ({ratio:.2f} [{low:.2f}-{high:.2f}])"
            cells.append(f"{rate:.1f}{extra}")
        print(f"| {row['scenario']} | {row['c']} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
