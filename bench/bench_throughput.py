"""Throughput, CPU and memory benchmark of the llmx extraction pipeline (issue #6).

    .venv/bin/python bench/bench_throughput.py [--quick] [--json PATH] [--only SECTIONS]
        [--profile CONCURRENCY]

Sections (``--only throughput,cpu,memory,cache,tokens``):

1. throughput: documents/s against a scripted OpenAI-compatible server with a simulated
   per-request latency, at several concurrency levels, and the ratio to the ideal
   ``concurrency / latency``.
2. cpu: llmx's own CPU time per document (LLM path at zero latency, and the rules backend),
   plus a per-stage breakdown timed directly.
3. memory: peak memory for N and 10×N documents streamed from a JSONL file to a JSONL file,
   each in a fresh process (ru_maxrss delta and tracemalloc peak).
4. cache: a re-run of the same workload with the response cache: requests sent and wall time.
5. tokens: prompt size per seed document with and without cleaning.

The server is ``llmx.testing.server.ScriptedServer`` run in a *separate process* (so it does
not share llmx's GIL). Its replies are scripted by ``_corpus.grounding_responder`` from the
request text -- they are never model output; only the engine's cost is measured. Nothing is
asserted: the script prints figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import datetime as dt
import io
import json
import logging
import os
import platform
import pstats
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _corpus import SEEDS, grounding_responder, seed_sentences, synth_documents

from llmx.config import Settings
from llmx.core.documents import CleanedText, Document, LoadProblem
from llmx.core.results import DocMeta, DocResult
from llmx.grounding import Grounder, ground_chunk
from llmx.merging import Merger
from llmx.output import ResultWriter
from llmx.pipeline import Pipeline, RunSummary
from llmx.prompting import render_messages
from llmx.quantities import find_quantities
from llmx.tasks import load_task
from llmx.testing.server import ScriptedServer
from llmx.text.chunking import chunk_text
from llmx.text.cleaning import clean

LATENCY = 0.2
SCRIPTED_NOTE = (
    "server replies are scripted by bench/_corpus.py (quantities copied from the request "
    "text), never model output"
)


# -- the server, in its own process -----------------------------------------------------------


class _CountingServer(ScriptedServer):
    """ScriptedServer that counts requests instead of keeping every body (flat memory)."""

    count = 0

    def _record(self, body: dict[str, Any], headers: dict[str, str]) -> None:
        with self._lock:
            self.count += 1


def _serve(latency: float) -> None:
    """Child-process entry: print the URL, answer ``count`` lines on stdin, stop at EOF."""
    server = _CountingServer(grounding_responder, latency=latency)
    server.start()
    print(server.base_url, flush=True)
    for line in sys.stdin:
        if line.strip() == "count":
            print(server.count, time.process_time(), flush=True)
    server.stop()


class ServerProcess:
    """A scripted server with the given latency, running in a subprocess."""

    def __init__(self, latency: float) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--serve", str(latency)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        self.base_url = self.proc.stdout.readline().strip()
        if not self.base_url.startswith("http"):
            raise RuntimeError("the scripted server did not start")

    def counters(self) -> tuple[int, float]:
        """(requests received so far, CPU seconds the server process has used)."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write("count\n")
        self.proc.stdin.flush()
        count, cpu = self.proc.stdout.readline().split()
        return int(count), float(cpu)

    def requests(self) -> int:
        """Requests the server has received so far."""
        return self.counters()[0]

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *_exc: object) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


# -- running the pipeline ---------------------------------------------------------------------


def llm_settings(base_url: str, concurrency: int, **extra: Any) -> Settings:
    """Settings for the LLM backend against the scripted server (no env or config files)."""
    return Settings.model_validate(
        {
            "task": "cooperation",
            "backend": "llm",
            "base_url": base_url,
            "model": "scripted",
            "api_key": "bench",
            "concurrency": concurrency,
            "cache": False,
            **extra,
        }
    )


async def run_pipeline(
    pipeline: Pipeline, docs: Iterable[Document | LoadProblem], out: Path | None
) -> tuple[RunSummary, float, float]:
    """Run ``docs`` through ``pipeline`` into a JSONL file: (summary, wall s, CPU s)."""
    writer = ResultWriter(out) if out is not None else None
    sink = writer.write if writer is not None else (lambda _r: None)
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        summary = await pipeline.run(docs, sink)
    finally:
        if writer is not None:
            writer.close()
    return summary, time.perf_counter() - wall, time.process_time() - cpu


def _docs(n: int, offset: int, pool: list[str]) -> list[Document]:
    return list(synth_documents(n, seed=offset, sentences=pool))


# -- 1. throughput ----------------------------------------------------------------------------


async def bench_throughput(
    levels: list[tuple[int, int]], pool: list[str], tmp: Path, profile: int | None
) -> list[dict[str, Any]]:
    """documents/s at each (concurrency, documents) level, one warm pipeline per level."""
    rows = []
    with ServerProcess(LATENCY) as server:
        for concurrency, n in levels:
            pipeline = Pipeline(llm_settings(server.base_url, concurrency))
            try:
                # Warm-up: imports, the instructor client, the connection pool.
                await run_pipeline(
                    pipeline, _docs(concurrency * 2, 10_000 + concurrency, pool), None
                )
                docs = _docs(n, concurrency, pool)
                before, server_cpu = server.counters()
                prof = cProfile.Profile() if profile == concurrency else None
                if prof is not None:
                    prof.enable()
                summary, wall, cpu = await run_pipeline(
                    pipeline, docs, tmp / f"tp{concurrency}.jsonl"
                )
                if prof is not None:
                    prof.disable()
                    _print_profile(prof, concurrency)
                after, server_cpu_after = server.counters()
                sent, server_cpu = after - before, server_cpu_after - server_cpu
            finally:
                await pipeline.aclose()
            rate = n / wall
            ideal = concurrency / LATENCY
            rows.append(
                {
                    "concurrency": concurrency,
                    "docs": n,
                    "ok": summary.docs_ok,
                    "metrics": summary.records.get("metrics", 0),
                    "requests": sent,
                    "wall_s": round(wall, 3),
                    "docs_per_s": round(rate, 1),
                    "ideal_docs_per_s": round(ideal, 1),
                    "ratio_to_ideal": round(rate / ideal, 3),
                    "llmx_cpu_ms_per_doc": round(cpu / n * 1000, 2),
                    "server_cpu_ms_per_req": round(server_cpu / max(1, sent) * 1000, 2),
                }
            )
    return rows


def _print_profile(prof: cProfile.Profile, what: int | str) -> None:
    buf = io.StringIO()
    stats = pstats.Stats(prof, stream=buf).sort_stats("tottime")
    stats.print_stats(25)
    label = f"concurrency {what}" if isinstance(what, int) else what
    print(f"\n-- cProfile, {label}, top 25 by own time --", file=sys.stderr)
    print(buf.getvalue(), file=sys.stderr)


# -- 2. CPU per document ----------------------------------------------------------------------


async def bench_cpu(
    n: int, pool: list[str], tmp: Path, profile_stages: bool = False
) -> dict[str, Any]:
    """llmx CPU ms/doc: the LLM path at zero latency, the rules backend, and per stage."""
    out: dict[str, Any] = {"docs": n}
    with ServerProcess(0.0) as server:
        pipeline = Pipeline(llm_settings(server.base_url, 8))
        try:
            await run_pipeline(pipeline, _docs(16, 20_001, pool), None)
            summary, wall, cpu = await run_pipeline(pipeline, _docs(n, 1, pool), tmp / "cpu.jsonl")
        finally:
            await pipeline.aclose()
    out["llm_zero_latency"] = {
        "wall_ms_per_doc": round(wall / n * 1000, 2),
        "llmx_cpu_ms_per_doc": round(cpu / n * 1000, 2),
        "ok": summary.docs_ok,
    }
    try:
        rules = Pipeline(
            Settings.model_validate({"task": "cooperation", "backend": "rules", "cache": False})
        )
    except Exception as exc:  # the rules backend may not exist yet
        out["rules"] = {"skipped": f"{type(exc).__name__}: {exc}"}
    else:
        try:
            summary, wall, cpu = await run_pipeline(rules, _docs(n, 1, pool), tmp / "rules.jsonl")
        finally:
            await rules.aclose()
        out["rules"] = {
            "wall_ms_per_doc": round(wall / n * 1000, 2),
            "cpu_ms_per_doc": round(cpu / n * 1000, 2),
            "ok": summary.docs_ok,
            "metrics": summary.records.get("metrics", 0),
        }
    prof = cProfile.Profile() if profile_stages else None
    if prof is not None:
        prof.enable()
    out["stages_ms_per_doc"] = stage_breakdown(_docs(n, 1, pool), tmp / "stages.jsonl")
    if prof is not None:
        prof.disable()
        _print_profile(prof, "llmx-side stages (no HTTP)")
    return out


def stage_breakdown(docs: list[Document], out: Path) -> dict[str, float]:
    """Time each engine stage directly on ``docs`` (the reply payload is built beforehand)."""
    task = load_task("cooperation")
    spent: dict[str, float] = dict.fromkeys(
        (
            "clean",
            "chunk",
            "find_quantities",
            "render",
            "parse",
            "ground",
            "merge",
            "serialise",
            "write_fsync",
        ),
        0.0,
    )

    def timed(stage: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        # CPU time, not wall time: steadier on a shared machine (fsync waits do not count).
        start = time.process_time()
        value = fn(*args, **kwargs)
        spent[stage] += time.process_time() - start
        return value

    writer = ResultWriter(out)
    try:
        for doc in docs:
            cleaned = timed("clean", clean, doc.text)
            chunks = timed("chunk", chunk_text, cleaned.text, max_chars=1500, context_chars=200)
            grounder = Grounder(cleaned, doc.text)
            merger = Merger(task)
            for chunk in chunks:
                quantities = timed("find_quantities", find_quantities, chunk.text)
                messages = timed(
                    "render",
                    render_messages,
                    task,
                    chunk,
                    quantities=list(dict.fromkeys(q.text for q in quantities)),
                )
                reply = grounding_responder({"messages": messages}).payload
                raw = json.dumps(reply, ensure_ascii=False)
                parsed = timed("parse", task.response_model.model_validate_json, raw)
                records = parsed.model_dump(mode="json")
                grounded, _w = timed("ground", ground_chunk, grounder, task, chunk, records)
                timed("merge", merger.add_chunk, grounded)
            result = DocResult(
                doc_id=doc.id,
                source=doc.source,
                task=task.name,
                meta=DocMeta(backend="llm", task=task.name),
            )
            for kind, recs in timed("merge", merger.result).items():
                result.set_records(kind, recs)
            timed("serialise", result.model_dump_json)
            timed("write_fsync", writer.write, result)  # serialises again, then write + fsync
    finally:
        writer.close()
    spent["write_fsync"] -= spent["serialise"]  # leave only the write + fsync part
    return {k: round(v / len(docs) * 1000, 3) for k, v in spent.items()}


# -- 3. memory --------------------------------------------------------------------------------


def _memory_child(n: int, base_url: str, tmp: str, trace: bool) -> None:
    """Child-process entry: stream ``n`` documents from JSONL to JSONL, print memory as JSON.

    ``base_url`` "rules" runs the offline backend instead (no server; bounded time at 100k).
    """
    from llmx.text.loading import load_documents

    logging.getLogger("instructor").setLevel(logging.CRITICAL)
    pool = seed_sentences()
    src = Path(tmp) / f"in{n}.jsonl"
    with src.open("w", encoding="utf-8") as fh:  # written lazily: the input never sits in RAM
        for doc in synth_documents(n, seed=3, sentences=pool):
            fh.write(json.dumps({"id": doc.id, "text": doc.text}, ensure_ascii=False) + "\n")

    async def main() -> dict[str, Any]:
        if base_url == "rules":
            pipeline = Pipeline(
                Settings.model_validate({"task": "cooperation", "backend": "rules", "cache": False})
            )
        else:
            pipeline = Pipeline(llm_settings(base_url, 32))
        try:
            await run_pipeline(pipeline, _docs(64, 30_001, pool), None)  # warm-up
            rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            if trace:  # slows the run about 3x, so only on request
                tracemalloc.start()
            summary, wall, cpu = await run_pipeline(
                pipeline, load_documents([src]), Path(tmp) / f"out{n}.jsonl"
            )
            _size, peak = tracemalloc.get_traced_memory() if trace else (0, -1)
            tracemalloc.stop()
            rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        finally:
            await pipeline.aclose()
        return {
            "docs": n,
            "ok": summary.docs_ok,
            "backend": pipeline.backend.name,
            "wall_s": round(wall, 2),
            "cpu_ms_per_doc": round(cpu / n * 1000, 2),
            "rss_before_mib": round(rss0 / 1024, 1),
            "rss_peak_mib": round(rss1 / 1024, 1),
            "rss_delta_mib": round((rss1 - rss0) / 1024, 1),
            "tracemalloc_peak_mib": round(peak / 2**20, 2) if trace else "off",
            "output_mib": round((Path(tmp) / f"out{n}.jsonl").stat().st_size / 2**20, 1),
        }

    print(json.dumps(asyncio.run(main())), flush=True)


def bench_memory(
    sizes: list[int], tmp: Path, trace: bool, backend: str = "llm"
) -> list[dict[str, Any]]:
    """Run each size in a fresh process (ru_maxrss is a high-water mark per process)."""
    rows = []
    with contextlib.ExitStack() as stack:
        target = "rules"
        if backend != "rules":
            target = stack.enter_context(ServerProcess(0.0)).base_url
        for n in sizes:
            proc = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--memory-child",
                    str(n),
                    target,
                    str(tmp),
                    "trace" if trace else "notrace",
                ],
                capture_output=True,
                text=True,
                check=True,
            )
            rows.append(json.loads(proc.stdout.strip().splitlines()[-1]))
            for name in (f"in{n}.jsonl", f"out{n}.jsonl"):  # up to ~200 MB each at 100k
                (tmp / name).unlink(missing_ok=True)
    return rows


# -- 4. cache ---------------------------------------------------------------------------------


async def bench_cache(n: int, pool: list[str], tmp: Path) -> dict[str, Any]:
    """The same workload twice with the cache on: requests and wall time of the re-run."""
    docs = _docs(n, 7, pool)
    runs: list[dict[str, Any]] = []
    with ServerProcess(LATENCY) as server:
        for attempt in ("first", "cached"):
            pipeline = Pipeline(llm_settings(server.base_url, 32, cache=True, cache_dir=tmp / "c"))
            before = server.requests()
            try:
                summary, wall, _cpu = await run_pipeline(
                    pipeline, docs, tmp / f"cache_{attempt}.jsonl"
                )
            finally:
                await pipeline.aclose()
            runs.append(
                {
                    "run": attempt,
                    "wall_s": round(wall, 3),
                    "server_requests": server.requests() - before,
                    "usage_requests": summary.usage.requests,
                    "cached_chunks": summary.cached_chunks,
                    "ok": summary.docs_ok,
                }
            )
    return {
        "docs": n,
        "concurrency": 32,
        "latency_s": LATENCY,
        "runs": runs,
        "rerun_wall_fraction": round(runs[1]["wall_s"] / runs[0]["wall_s"], 4),
    }


# -- 5. prompt size ---------------------------------------------------------------------------


def bench_tokens() -> dict[str, Any]:
    """User-message characters per seed document with and without cleaning."""
    task = load_task("cooperation")
    try:
        import tiktoken  # noqa: F401  # needs its BPE file from the internet

        tokens_note = "tiktoken importable but not used (BPE download unreachable offline)"
    except ImportError:
        tokens_note = "tiktoken not installed (its BPE file needs the internet): characters only"
    rows = []
    for path in sorted(SEEDS.glob("*.txt")):
        text = path.read_text("utf-8")
        row: dict[str, Any] = {"seed": path.name, "raw_chars": len(text)}
        for label, view in (("clean", clean(text)), ("raw", CleanedText.identity(text))):
            chunks = chunk_text(view.text, max_chars=1500, context_chars=200)
            user = 0
            for chunk in chunks:
                quantities = list(dict.fromkeys(q.text for q in find_quantities(chunk.text)))
                user += len(render_messages(task, chunk, quantities=quantities)[1]["content"])
            row[f"{label}_chunks"] = len(chunks)
            row[f"{label}_user_chars"] = user
        row["saved"] = round(1 - row["clean_user_chars"] / row["raw_user_chars"], 3)
        rows.append(row)
    system = render_messages(task, chunk_text("测试。")[0])[0]["content"]
    return {"system_chars_per_request": len(system), "note": tokens_note, "docs": rows}


# -- report -----------------------------------------------------------------------------------


def _table(rows: list[dict[str, Any]], cols: list[str]) -> str:
    widths = [max(len(c), *(len(str(r.get(c, ""))) for r in rows)) for c in cols]
    lines = ["  ".join(c.rjust(w) for c, w in zip(cols, widths, strict=True))]
    for r in rows:
        lines.append(
            "  ".join(str(r.get(c, "")).rjust(w) for c, w in zip(cols, widths, strict=True))
        )
    return "\n".join(lines)


def report(results: dict[str, Any]) -> None:
    """Print the figures as plain tables."""
    print(f"llmx bench -- {results['date']}, {results['cpus']} CPUs, Python {results['python']}")
    print(f"note: {SCRIPTED_NOTE}\n")
    if "throughput" in results:
        print(f"1. throughput (latency {LATENCY * 1000:.0f} ms per request, 1 chunk per doc)")
        print(
            _table(
                results["throughput"],
                [
                    "concurrency",
                    "docs",
                    "ok",
                    "requests",
                    "wall_s",
                    "docs_per_s",
                    "ideal_docs_per_s",
                    "ratio_to_ideal",
                    "llmx_cpu_ms_per_doc",
                    "server_cpu_ms_per_req",
                ],
            )
        )
        print()
    if "cpu" in results:
        cpu = results["cpu"]
        print(f"2. llmx CPU per document ({cpu['docs']} docs)")
        print(f"   LLM path, zero latency: {cpu['llm_zero_latency']}")
        print(f"   rules backend:          {cpu['rules']}")
        print(f"   stages (ms/doc):        {cpu['stages_ms_per_doc']}\n")
    if "memory" in results:
        print("3. memory, streamed JSONL -> pipeline -> JSONL (fresh process each)")
        print(
            _table(
                results["memory"],
                [
                    "docs",
                    "backend",
                    "ok",
                    "wall_s",
                    "cpu_ms_per_doc",
                    "rss_before_mib",
                    "rss_peak_mib",
                    "rss_delta_mib",
                    "tracemalloc_peak_mib",
                    "output_mib",
                ],
            )
        )
        print()
    if "cache" in results:
        c = results["cache"]
        print(f"4. cached re-run ({c['docs']} docs, concurrency {c['concurrency']})")
        print(
            _table(
                c["runs"],
                ["run", "wall_s", "server_requests", "usage_requests", "cached_chunks", "ok"],
            )
        )
        print(f"   re-run wall time / first run: {c['rerun_wall_fraction']}\n")
    if "tokens" in results:
        t = results["tokens"]
        print(
            f"5. prompt size on the seeds (user message chars; system message "
            f"{t['system_chars_per_request']} chars per request; {t['note']})"
        )
        print(
            _table(
                t["docs"],
                [
                    "seed",
                    "raw_chars",
                    "raw_chunks",
                    "raw_user_chars",
                    "clean_chunks",
                    "clean_user_chars",
                    "saved",
                ],
            )
        )


def _levels(quick: bool) -> list[tuple[int, int]]:
    if quick:
        return [(1, 10), (8, 80), (32, 160), (128, 384)]
    return [(1, 50), (8, 2000), (32, 2000), (128, 2000)]


def main(argv: list[str] | None = None) -> None:
    """Entry point (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    parser.add_argument("--only", default="throughput,cpu,memory,cache,tokens")
    parser.add_argument(
        "--tracemalloc", action="store_true", help="also trace allocations in the memory runs"
    )
    parser.add_argument("--profile", type=int, help="cProfile the run at this concurrency")
    parser.add_argument(
        "--profile-stages", action="store_true", help="cProfile the cpu section's stage timing"
    )
    parser.add_argument(
        "--memory-sizes", help="document counts for the memory section (default 1000,10000)"
    )
    parser.add_argument(
        "--memory-backend",
        default="llm",
        choices=["llm", "rules"],
        help="backend of the memory runs",
    )
    parser.add_argument(
        "--tmp", type=Path, help="work folder (e.g. /dev/shm: the writer fsyncs every line)"
    )
    parser.add_argument("--serve", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--memory-child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve is not None:
        return _serve(args.serve)
    if args.memory_child:
        n, url, tmp, trace = args.memory_child
        return _memory_child(int(n), url, tmp, trace == "trace")

    logging.getLogger("instructor").setLevel(logging.CRITICAL)
    sections = set(args.only.split(","))
    pool = seed_sentences()
    results: dict[str, Any] = {
        "date": dt.datetime.now().isoformat(timespec="minutes"),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "quick": args.quick,
        "note": SCRIPTED_NOTE,
    }
    with tempfile.TemporaryDirectory(prefix="llmx-bench-", dir=args.tmp) as name:
        tmp = Path(name)
        if "throughput" in sections:
            results["throughput"] = asyncio.run(
                bench_throughput(_levels(args.quick), pool, tmp, args.profile)
            )
        if "cpu" in sections:
            results["cpu"] = asyncio.run(
                bench_cpu(100 if args.quick else 500, pool, tmp, args.profile_stages)
            )
        if "memory" in sections:
            sizes = [200, 2000] if args.quick else [1000, 10_000]
            if args.memory_sizes:
                sizes = [int(n) for n in args.memory_sizes.split(",")]
            results["memory"] = bench_memory(sizes, tmp, args.tracemalloc, args.memory_backend)
        if "cache" in sections:
            results["cache"] = asyncio.run(bench_cache(100 if args.quick else 500, pool, tmp))
        if "tokens" in sections:
            results["tokens"] = bench_tokens()
    report(results)
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=2), "utf-8")


if __name__ == "__main__":
    main()
