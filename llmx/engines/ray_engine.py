"""``llmx extract --engine ray``: the same extraction on a Ray cluster, exactly once.

The driver (this module) plans the inputs into blocks (``plan``), skips the blocks the output's
manifest already holds (``shards``), starts the shared request budget (``budget``) and turns
the remaining blocks into a Ray dataset mapped by an actor pool of ``BlockWorker`` -- each
running llmx's own pipeline. As each block's shard lands, the driver commits its manifest
line. Ray restarts a killed worker and retries its block; a re-run of the same command
resumes. ``ray.init()`` joins the cluster named by ``RAY_ADDRESS`` (or the one a ``ray job
submit`` runs in), else starts Ray on this machine.
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llmx.config import ConfigError, Settings


@dataclass(frozen=True)
class RayOptions:
    workers: int = 2  # actors in the pool (each runs one block at a time)
    block_docs: int = 200  # documents (files, JSONL lines) per block; fixed by the first run
    max_in_flight: int | None = None  # requests in flight for the whole cluster (default:
    # --concurrency, so adding workers never sends more than one local run would)
    worker_cpus: float = 1.0
    lease_ttl: float = float(os.environ.get("LLMX_RAY_LEASE_TTL", 15.0))  # seconds before a
    # silent (dead) worker's request slots return to the budget


def _root_cause(exc: BaseException) -> BaseException:
    """The worker's own exception inside Ray's wrappers (what stopped the run)."""
    seen = exc
    for _ in range(20):
        cause = getattr(seen, "cause", None)
        nxt = cause if isinstance(cause, BaseException) else (seen.__cause__ or seen.__context__)
        if nxt is None:
            break
        seen = nxt
    return seen


def run(
    settings: Settings,
    inputs: list[str],
    output: str,
    options: RayOptions,
    *,
    retry_failed: bool,
    quiet: bool,
    notice: Any,
) -> int:
    """Run the extraction on Ray; the exit code of ``llmx extract``."""
    import importlib.util

    from llmx.engines.plan import PlanMismatch, load_or_build_plan
    from llmx.engines.shards import Manifest
    from llmx.locking import OutputLock

    if importlib.util.find_spec("ray") is None:  # said before anything is written
        raise ConfigError("--engine ray needs Ray: pip install 'llmx[ray]' (ray[data])")
    if output in ("", "-"):
        raise ConfigError("--engine ray writes a folder of shards: give -o FOLDER")
    out = Path(output)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"-o {out} is a file; --engine ray writes a folder (shards, manifest)")
    out.mkdir(parents=True, exist_ok=True)
    lock = OutputLock(out / "run")  # one run per output folder: <out>/run.lock
    lock.acquire()
    try:
        try:
            plan, problems = load_or_build_plan(out, inputs, options.block_docs)
        except PlanMismatch as exc:
            raise ConfigError(str(exc)) from None
        for p in problems:
            notice(f"llmx: skipped {p.source}: {p.message}")
        manifest = Manifest(out)
        manifest.sweep_temporaries()
        pending = [b for b in plan["blocks"] if _to_do(manifest, b["key"], retry_failed)]
        total = len(plan["blocks"])
        if not pending:
            notice(f"llmx: all {total} blocks of {out} are done; nothing to do")
            return _exit_code(manifest, problems)
        notice(f"llmx: {len(pending)} of {total} blocks to do ({out}/manifest.jsonl)")
        return _run_blocks(settings, out, pending, manifest, problems, options, quiet, notice)
    finally:
        lock.release()


def _to_do(manifest: Any, block: str, retry_failed: bool) -> bool:
    entry = manifest.done(block)
    return entry is None or (retry_failed and entry.get("failed", 0) > 0)


def _exit_code(manifest: Any, problems: list[Any]) -> int:
    failed = sum(e.get("failed", 0) for e in manifest.entries.values())
    unreadable = sum(len(e.get("problems", [])) for e in manifest.entries.values())
    return 3 if failed or unreadable or problems else 0


def _run_blocks(
    settings: Settings,
    out: Path,
    pending: list[dict[str, Any]],
    manifest: Any,
    problems: list[Any],
    options: RayOptions,
    quiet: bool,
    notice: Any,
) -> int:
    import ray
    import ray.data

    from llmx.engines.block_worker import BlockWorker
    from llmx.engines.budget import budget_actor

    runtime_env = None
    if not os.environ.get("RAY_ADDRESS"):  # Ray on this machine: workers find the tasks the
        # driver finds in its folder. On a cluster (or in `ray job submit`, which sets
        # RAY_ADDRESS) the job's own runtime env (--working-dir) is left as it is.
        roots = os.pathsep.join(p for p in (os.environ.get("LLMX_TASK_PATH"), os.getcwd()) if p)
        runtime_env = {"env_vars": {"LLMX_TASK_PATH": roots}}
    ray.init(ignore_reinit_error=True, logging_level=logging.WARNING, runtime_env=runtime_env)
    logging.getLogger("ray.data").setLevel(logging.ERROR)  # its per-run chatter, not ours
    ctx = ray.data.DataContext.get_current()
    ctx.enable_progress_bars = False
    ctx.print_on_execution_start = False
    limit = options.max_in_flight or settings.concurrency
    budget = budget_actor(limit, lease_ttl=options.lease_ttl)
    public = settings.model_dump(mode="json", exclude={"api_key"})
    public["cache_dir"] = str(settings.cache_dir.resolve())  # workers may start elsewhere
    ds = ray.data.from_items(
        [{"block": json.dumps(b)} for b in pending], override_num_blocks=len(pending)
    ).map_batches(
        BlockWorker,
        batch_size=1,
        compute=ray.data.ActorPoolStrategy(size=min(options.workers, len(pending))),
        num_cpus=options.worker_cpus,
        fn_constructor_kwargs={
            "settings": public,
            "api_key": settings.resolved_api_key(),
            "out_dir": str(out.resolve()),
            "budget": budget,
            "heartbeat_s": options.lease_ttl / 3,
        },
    )
    started = time.perf_counter()
    done = docs = 0
    try:
        for row in ds.iter_rows():
            entry = json.loads(row["entry"])
            manifest.append(entry)  # the commit: after this line the block is never redone
            done += 1
            docs += entry["docs"]
            for line in entry.get("problems", []):
                notice(f"llmx: skipped {line}")
            if not quiet:
                notice(f"llmx: block {entry['block']} done ({entry['docs']} documents) "
                       f"[{done}/{len(pending)}]")  # fmt: skip
    except KeyboardInterrupt:
        notice(f"llmx: interrupted; {done} blocks committed. Re-run the same command to resume.")
        return 130
    except Exception as exc:  # a worker's error, wrapped by Ray: one line, then resume
        from llmx.providers.base import FatalEndpointError

        root = _root_cause(exc)
        notice(
            f"llmx: {type(root).__name__}: {root} ({done} blocks committed in {out}; "
            "re-run the same command to resume)"
        )
        if isinstance(root, FatalEndpointError):
            return 4
        return 6 if isinstance(root, OSError) else 3
    elapsed = time.perf_counter() - started
    stats = ray.get(budget.stats.remote())
    notice(
        f"llmx: {done} blocks, {docs} documents in {elapsed:.1f} s ({docs / elapsed:.1f} docs/s); "
        f"request budget {limit}: peak {stats['peak']} in flight, {stats['throttled']} 429s, "
        f"{stats['expired']} leases of dead workers reclaimed"
    )
    return _exit_code(manifest, problems)
