"""llmx's LLM client side by side with its peers, same requests, same server, one run (issue 13).

    .venv/bin/python bench/bench_peers.py [--levels 1,32,128] [--latency 0.15] [--scale 1]
        [--only llmx-client,llmx-pipeline,openai,openai-aiohttp,instructor,langextract]
        [--profile 128] [--json PATH]

Clients (each sends one chat-completions request per document, ``json_schema`` mode, the
rendered llmx prompt, and validates the reply into the task's Pydantic model):

- ``llmx-client``   ``LLMBackend.extract_chunk`` (render, request, validate; no cache, no hints)
- ``llmx-pipeline`` the whole ``Pipeline.run`` writing JSONL: clean, chunk, quantity hints,
                    prompt, call, validate, ground, merge, write (what ``llmx extract`` does)
- ``openai``        bare ``AsyncOpenAI.chat.completions.create`` (httpx transport) +
                    ``model_validate_json`` of the content
- ``openai-aiohttp`` the same on the SDK's aiohttp transport (``DefaultAioHttpClient``)
- ``instructor``    bare ``instructor.from_openai(AsyncOpenAI(), mode=JSON_SCHEMA)``
- ``langextract``   ``lx.extract`` with its OpenAI provider (threads; its own prompt format),
                    if the optional ``bench`` extra is installed

The server (``bench/_peer_server.py``) runs in its own process; its replies are scripted
(quantities copied from the request text), never model output. CPU is this process's CPU
time (all threads) per request; ``server_util`` is the server's CPU seconds per wall second
(near 1.0 means the server, not the client, limits throughput). Nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import datetime as dt
import io
import json
import logging
import os
import platform
import pstats
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _corpus import synth_documents

from llmx.config import Settings
from llmx.core.documents import Chunk, Document
from llmx.prompting import render_messages
from llmx.tasks import Task, load_task

HERE = Path(__file__).resolve().parent
CLIENTS = ("llmx-client", "llmx-pipeline", "openai", "openai-aiohttp", "instructor", "langextract")


class Server:
    """``_peer_server.py`` in a subprocess."""

    def __init__(self, latency: float) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE / "_peer_server.py"), "--latency", str(latency)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        self.base_url = self.proc.stdout.readline().strip()
        if not self.base_url.startswith("http"):
            raise RuntimeError("the bench server did not start")

    def stats(self) -> tuple[int, float]:
        root = self.base_url.removesuffix("/v1")
        with urllib.request.urlopen(f"{root}/stats", timeout=10) as resp:
            data = json.loads(resp.read())
        return int(data["requests"]), float(data["cpu_s"])

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def documents(n: int, start: int) -> list[Document]:
    """Distinct documents (a numbered heading makes each text unique: no request repeats)."""
    return [
        Document(id=f"b{start + i}", text=f"第{start + i}篇\n{d.text}", source=f"bench:{start + i}")
        for i, d in enumerate(synth_documents(n, seed=start))
    ]


def settings(base_url: str, concurrency: int, **extra: Any) -> Settings:
    return Settings.model_validate(
        {
            "backend": "llm",
            "base_url": base_url,
            "model": "bench",
            "mode": "json_schema",
            "cache": False,
            "concurrency": concurrency,
            "timeout": 120.0,
            "show_quantities": False,
            "api_key": "sk-bench-not-a-key",
            **extra,
        }
    )


async def pool_run(n_workers: int, jobs: list[Any], fn: Callable[[Any], Awaitable[Any]]) -> int:
    """Run ``fn`` over ``jobs`` with ``n_workers`` in flight; returns how many succeeded."""
    queue = list(reversed(jobs))
    ok = 0

    async def worker() -> None:
        nonlocal ok
        while queue:
            job = queue.pop()
            try:
                await fn(job)
                ok += 1
            except Exception as exc:  # a bench counts failures, it does not stop
                logging.getLogger("bench").debug("failed: %s", exc)

    await asyncio.gather(*(worker() for _ in range(n_workers)))
    return ok


def _chunk(doc: Document) -> Chunk:
    return Chunk(index=0, text=doc.text, start=0)


# -- the clients: each returns an async "run these documents at this concurrency" -----------


async def run_llmx_client(url: str, c: int, docs: list[Document], task: Task) -> int:
    from llmx.providers.openai_compat import LLMBackend

    backend = LLMBackend(settings(url, c))
    try:
        return await pool_run(c, docs, lambda d: backend.extract_chunk(task, _chunk(d), d))
    finally:
        await backend.aclose()


async def run_llmx_pipeline(url: str, c: int, docs: list[Document], task: Task) -> int:
    from llmx.output import ResultWriter
    from llmx.pipeline import Pipeline

    pipeline = Pipeline(settings(url, c, show_quantities=True), task=task)
    with tempfile.TemporaryDirectory() as tmp:
        writer = ResultWriter(str(Path(tmp) / "out.jsonl"))
        try:
            summary = await pipeline.run(docs, writer.write)
        finally:
            writer.close()
            await pipeline.aclose()
    return summary.docs_ok


def _openai_request(task: Task, doc: Document) -> dict[str, Any]:
    schema = task.response_model.model_json_schema()
    return {
        "model": "bench",
        "messages": render_messages(task, _chunk(doc)),
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": task.response_model.__name__, "schema": schema},
        },
        "max_tokens": 4096,
        "temperature": 0.0,
    }


async def run_openai(url: str, c: int, docs: list[Document], task: Task, aio: bool) -> int:
    import openai

    http = openai.DefaultAioHttpClient() if aio else None
    client = openai.AsyncOpenAI(base_url=url, api_key="sk-bench", max_retries=0, http_client=http)
    model = task.response_model

    async def one(doc: Document) -> None:
        reply = await client.chat.completions.create(**_openai_request(task, doc))
        model.model_validate_json(reply.choices[0].message.content or "")

    try:
        return await pool_run(c, docs, one)
    finally:
        await client.close()


async def run_instructor(url: str, c: int, docs: list[Document], task: Task) -> int:
    import instructor
    import openai

    sdk = openai.AsyncOpenAI(base_url=url, api_key="sk-bench", max_retries=0)
    client = instructor.from_openai(sdk, mode=instructor.Mode.JSON_SCHEMA)

    async def one(doc: Document) -> None:
        await client.chat.completions.create(
            model="bench",
            messages=render_messages(task, _chunk(doc)),  # type: ignore[arg-type]
            response_model=task.response_model,
            max_tokens=4096,
            temperature=0.0,
        )

    try:
        return await pool_run(c, docs, one)
    finally:
        await sdk.close()


async def run_langextract(url: str, c: int, docs: list[Document], task: Task) -> int:
    import langextract as lx
    from langextract.providers.openai import OpenAILanguageModel

    model = OpenAILanguageModel(model_id="bench", api_key="sk-bench", base_url=url, max_workers=c)
    examples = [
        lx.data.ExampleData(
            text="专家赴某地开展培训，指导若干项目。",
            extractions=[lx.data.Extraction(extraction_class="metric", extraction_text="培训")],
        )
    ]
    lx_docs = [lx.data.Document(text=d.text, document_id=d.id) for d in docs]

    def blocking() -> int:
        results = lx.extract(
            text_or_documents=lx_docs,
            prompt_description="抽取新闻中的量化指标（数值+单位）。",
            examples=examples,
            model=model,
            batch_length=max(c, 1),
            max_workers=c,
            max_char_buffer=4000,
            fence_output=False,
            use_schema_constraints=False,
            show_progress=False,
            prompt_validation_level=lx.prompt_validation.PromptValidationLevel.OFF,
        )
        return len(list(results))

    return await asyncio.to_thread(blocking)


def runner(name: str) -> Callable[..., Awaitable[int]] | None:
    if name == "llmx-client":
        return run_llmx_client
    if name == "llmx-pipeline":
        return run_llmx_pipeline
    if name == "openai":
        return lambda *a: run_openai(*a, aio=False)
    if name == "openai-aiohttp":
        try:
            import openai

            openai.DefaultAioHttpClient()
        except Exception:
            return None
        return lambda *a: run_openai(*a, aio=True)
    if name == "instructor":
        return run_instructor
    if name == "langextract":
        try:
            import langextract  # noqa: F401
        except ImportError:
            return None
        return run_langextract
    return None


# -- measuring -------------------------------------------------------------------------------


def measure(
    name: str, server: Server, c: int, n: int, task: Task, seed: int, profile: bool
) -> dict[str, Any]:
    fn = runner(name)
    if fn is None:
        return {"client": name, "concurrency": c, "skipped": "not installed"}
    warm = documents(min(max(c, 8), 64), seed)
    docs = documents(n, seed + 10_000)
    asyncio.run(fn(server.base_url, c, warm, task))  # imports, connections, templates
    prof = cProfile.Profile() if profile else None
    s_req0, s_cpu0 = server.stats()
    cpu0, wall0 = time.process_time(), time.perf_counter()

    async def timed() -> int:
        if prof is not None:
            prof.enable()
        try:
            return await fn(server.base_url, c, docs, task)
        finally:
            if prof is not None:
                prof.disable()

    ok = asyncio.run(timed())
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    s_req, s_cpu = server.stats()
    sent = s_req - s_req0
    row = {
        "client": name,
        "concurrency": c,
        "docs": n,
        "ok": ok,
        "requests": sent,
        "wall_s": round(wall, 3),
        "docs_per_s": round(ok / wall, 1),
        "cpu_ms_per_req": round(1000 * cpu / max(sent, 1), 2),
        "server_cpu_ms_per_req": round(1000 * (s_cpu - s_cpu0) / max(sent, 1), 2),
        "server_util": round((s_cpu - s_cpu0) / wall, 2),
    }
    if prof is not None:
        out = io.StringIO()
        pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(25)
        row["profile"] = out.getvalue()
    return row


def table(rows: list[dict[str, Any]], cols: list[str]) -> str:
    widths = {c: max(len(c), *(len(str(r.get(c, ""))) for r in rows)) for c in cols}
    lines = ["  ".join(c.rjust(widths[c]) for c in cols)]
    lines += ["  ".join(str(r.get(c, "")).rjust(widths[c]) for c in cols) for r in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--levels", default="1,32,128")
    parser.add_argument("--latency", type=float, default=0.15)
    parser.add_argument("--scale", type=float, default=1.0, help="multiply request counts")
    parser.add_argument("--only", default=",".join(CLIENTS))
    parser.add_argument("--profile", type=int, default=0, help="cProfile llmx-client at this c")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    logging.getLogger("instructor").setLevel(logging.CRITICAL)
    levels = [int(x) for x in args.levels.split(",")]
    names = [x for x in args.only.split(",") if x]
    task = load_task("cooperation")
    counts = {1: 30}
    rows: list[dict[str, Any]] = []
    profiles: list[dict[str, Any]] = []
    server = Server(args.latency)
    try:
        for c in levels:
            n = int(counts.get(c, max(300, 6 * c)) * args.scale)
            for i, name in enumerate(names):
                row = measure(name, server, c, n, task, 1000 * c + 100 * i, False)
                rows.append(row)
                print(f"  {name} c={c}: {row}", file=sys.stderr, flush=True)
        if args.profile and "llmx-client" in names:
            # A separate run: the profiler's own overhead must not reach the table.
            c = args.profile
            n = int(max(300, 6 * c) * args.scale)
            profiled = measure("llmx-client", server, c, n, task, 7_000_000, True)
            profiles.append(profiled)
    finally:
        server.close()
    for c in levels:
        level = [r for r in rows if r["concurrency"] == c and "skipped" not in r]
        base = next((r for r in level if r["client"] == "openai-aiohttp"), None) or next(
            (r for r in level if r["client"] == "openai"), None
        )
        for r in level:
            if base:
                r["cpu_vs_sdk"] = round(r["cpu_ms_per_req"] / max(base["cpu_ms_per_req"], 1e-9), 2)
                r["tput_vs_sdk"] = round(r["docs_per_s"] / max(base["docs_per_s"], 1e-9), 2)
    versions = []
    for pkg in ("openai", "instructor", "aiohttp", "httpx2", "pydantic", "langextract"):
        try:
            from importlib.metadata import version

            versions.append(f"{pkg} {version(pkg)}")
        except Exception:
            continue
    print(
        f"llmx bench_peers -- {dt.datetime.now(dt.UTC):%Y-%m-%dT%H:%M}Z, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, load {os.getloadavg()[0]:.1f}; " + ", ".join(versions)
    )
    print(f"server: bench/_peer_server.py (aiohttp, own process), latency {args.latency} s")
    print("replies are scripted (quantities copied from the request text), never model output")
    print("ratios are to bare openai on its aiohttp transport (openai-aiohttp) when available\n")
    cols = ["client", "concurrency", "ok", "requests", "wall_s", "docs_per_s", "cpu_ms_per_req"]
    cols += ["cpu_vs_sdk", "tput_vs_sdk", "server_cpu_ms_per_req", "server_util"]
    print(table([r for r in rows if "skipped" not in r], cols))
    for r in rows:
        if "skipped" in r:
            print(f"skipped {r['client']} at c={r['concurrency']}: {r['skipped']}")
    for r in profiles:
        print(f"\nprofile of llmx-client at concurrency {r['concurrency']}, a separate run ")
        print(f"(cProfile roughly doubles CPU: {r['cpu_ms_per_req']} ms/request under it):")
        print(r["profile"])
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2, ensure_ascii=False), "utf-8")


if __name__ == "__main__":
    main()
