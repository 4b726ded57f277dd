"""What a Ray worker runs: llmx's own ``Pipeline`` over one block, then the block's shard.

One ``BlockWorker`` per Ray actor (Ray Data's actor pool): it builds the pipeline once (task,
HTTP pool, cache) and keeps it on an event loop of its own thread, so its connections and
async concurrency carry from block to block. Each call runs one block through
``Pipeline.run`` -- the same code as the local engine -- with the cluster's shared limiter in
place of the local semaphore, writes the block's shard atomically (``shards.write_shard``)
and returns the manifest entry for the driver to commit. A failure that ends the run (the
endpoint rejects the key, say) raises, so no shard is written for that block.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import threading
import time
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class BlockWorker:
    def __init__(
        self,
        settings: dict[str, Any],
        api_key: str | None,
        out_dir: str,
        budget: Any,
        heartbeat_s: float,
    ) -> None:
        import logging

        from pydantic import SecretStr

        from llmx.config import Settings
        from llmx.engines.budget import SharedLimiter

        logging.getLogger("instructor").setLevel(logging.CRITICAL)
        if api_key:
            settings = {**settings, "api_key": SecretStr(api_key)}
        self.settings = Settings.model_validate(settings)
        # One cache per node (see docs/scale.md): SQLite is safe between processes of one
        # host, not between hosts over a network file system.
        cache_dir = self.settings.cache_dir / "nodes" / socket.gethostname()
        self.settings.cache_dir = cache_dir
        self.out_dir = out_dir
        self._limiter = SharedLimiter(budget, self.settings.concurrency, heartbeat_s=heartbeat_s)
        self._loop = asyncio.new_event_loop()
        threading.Thread(target=self._loop.run_forever, daemon=True).start()
        self._pipeline = self._run(self._open())

    def _run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    async def _open(self) -> Any:
        from llmx.pipeline import Pipeline

        return Pipeline(self.settings, limiter=self._limiter)

    def __del__(self) -> None:
        """Ray Data tears the pool down: close the HTTP pool and cache, stop the heartbeat."""
        pipeline = getattr(self, "_pipeline", None)
        if pipeline is None:
            return
        try:
            self._run(pipeline.aclose(), timeout=10)  # never hang an exiting actor
            self._limiter.close()
        except Exception:
            pass  # the process is ending anyway
        self._loop.call_soon_threadsafe(self._loop.stop)

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[str]]:
        entries = [json.dumps(self._run(self._block(json.loads(str(b))))) for b in batch["block"]]
        return {"entry": entries}

    async def _block(self, block: dict[str, Any]) -> dict[str, Any]:
        from llmx.engines.block_input import block_documents
        from llmx.engines.shards import write_shard
        from llmx.output import result_line

        started, cpu, began = time.perf_counter(), time.process_time(), time.time()
        lines: list[bytes] = []
        problems: list[str] = []
        summary = await self._pipeline.run(
            block_documents(block, self.settings.max_bytes),
            lambda r: lines.append(result_line(r)),
            on_problem=lambda p: problems.append(f"{p.source}: {p.message}"),
            order="input",  # the shard in input order, every run
        )
        entry = await asyncio.to_thread(write_shard, self.out_dir, block["key"], lines)
        entry.update(
            ok=summary.docs_ok,
            failed=summary.docs_failed,
            problems=problems,
            requests=summary.usage.requests,
            chunks=summary.chunks,
            cached_chunks=summary.cached_chunks,
            tokens=summary.usage.total_tokens,
            records=summary.records,
            cpu_s=round(time.process_time() - cpu, 4),
            wall_s=round(time.perf_counter() - started, 4),
            started_at=round(began, 3),  # wall clock: throughput across workers (bench)
            finished_at=round(time.time(), 3),
            worker=f"{socket.gethostname()}:{os.getpid()}",
        )
        return entry
