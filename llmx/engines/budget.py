"""One request budget for a whole cluster: requests in flight to the endpoint, shared.

``RequestBudget`` runs as one small async Ray actor per run (``budget_actor``); every worker
enters ``SharedLimiter`` around each chunk call, which takes a lease from the actor, so adding
workers never puts more requests in flight than the budget. Why leases, and why they expire:
a worker killed mid-request never releases its slots; each worker's heartbeat keeps its leases
alive, and a worker silent for ``lease_ttl`` seconds loses them, so a dead worker cannot starve
the rest. A 429 pauses new grants for everyone (the wait the server asked for) and halves the
budget; it grows back by one slot per budget's worth of completed calls (AIMD), so the whole
cluster slows down, not just the worker that got the 429.

The class is plain Python (tested without Ray); Ray is imported only where the actor is made.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
import uuid
from typing import Any


class RequestBudget:
    """Leases of request slots; all methods are called as actor methods (one event loop)."""

    def __init__(self, limit: int, *, lease_ttl: float = 15.0) -> None:
        self.max_limit = limit
        self.limit = limit
        self.lease_ttl = lease_ttl
        self._leases: dict[str, str] = {}  # lease -> holder
        self._seen: dict[str, float] = {}  # holder -> last heartbeat
        self._given_up: set[str] = set()  # released before granted (a cancelled acquire)
        self._cond = asyncio.Condition()
        self._paused_until = 0.0
        self._calm_since = 0.0  # no halving twice for one burst of 429s
        self._done_since_change = 0
        self.stats_ = {"granted": 0, "peak": 0, "expired": 0, "throttled": 0}

    async def acquire(self, holder: str, lease: str) -> bool:
        """Wait for a slot; False if the caller gave the lease up before it was granted."""
        async with self._cond:
            self._seen[holder] = time.monotonic()
            while True:
                if lease in self._given_up:
                    self._given_up.discard(lease)
                    return False
                self._reap()
                wait = self._paused_until - time.monotonic()
                if wait <= 0 and len(self._leases) < self.limit:
                    break
                # woken by a release, or by the clock (pause over, leases to reap)
                timeout = min(max(wait, 0.05), 1.0) if wait > 0 else 1.0
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._cond.wait(), timeout)
            self._leases[lease] = holder
            self.stats_["granted"] += 1
            self.stats_["peak"] = max(self.stats_["peak"], len(self._leases))
            return True

    async def release(self, lease: str) -> None:
        async with self._cond:
            if self._leases.pop(lease, None) is None:
                self._given_up.add(lease)  # its acquire is still waiting: it must not take one
                return
            self._done_since_change += 1
            if self.limit < self.max_limit and self._done_since_change >= self.limit:
                self.limit += 1  # additive increase after a 429 halved the budget
                self._done_since_change = 0
            self._cond.notify_all()

    async def heartbeat(self, holder: str) -> None:
        self._seen[holder] = time.monotonic()

    async def rate_limited(self, seconds: float) -> None:
        """A worker got a 429: nobody starts a request for ``seconds``; the budget halves."""
        now = time.monotonic()
        self.stats_["throttled"] += 1
        self._paused_until = max(self._paused_until, now + max(seconds, 0.0))
        if now >= self._calm_since:
            self.limit = max(1, self.limit // 2)
            self._done_since_change = 0
            self._calm_since = now + max(seconds, 1.0)

    async def stats(self) -> dict[str, Any]:
        return {**self.stats_, "limit": self.limit, "in_flight": len(self._leases)}

    def _reap(self) -> None:
        """Drop the leases of holders silent for longer than the lease TTL (dead workers)."""
        cutoff = time.monotonic() - self.lease_ttl
        dead = {h for h, seen in self._seen.items() if seen < cutoff}
        if not dead:
            return
        for lease, holder in list(self._leases.items()):
            if holder in dead:
                del self._leases[lease]
                self.stats_["expired"] += 1
        for holder in dead:
            del self._seen[holder]
        self._cond.notify_all()


def budget_actor(limit: int, *, lease_ttl: float) -> Any:
    """Start the budget as a Ray actor (no CPU reserved; thousands of waiting acquires)."""
    import ray

    actor = ray.remote(RequestBudget).options(num_cpus=0, max_concurrency=100_000)
    return actor.remote(limit, lease_ttl=lease_ttl)


class SharedLimiter:
    """The pipeline's limiter in a worker: a local cap (``concurrency``), then a lease.

    ``budget`` is the actor handle (or anything with the same methods returning awaitables).
    A heartbeat thread keeps this worker's leases alive while the process lives; a thread,
    not a task on the worker's event loop, so a loop busy with CPU work does not lose them.
    """

    def __init__(self, budget: Any, concurrency: int, *, heartbeat_s: float) -> None:
        self.budget = budget
        self.holder = uuid.uuid4().hex
        self._local = asyncio.Semaphore(concurrency)
        self._leases: list[str] = []
        self._stop = threading.Event()
        self._beat = threading.Thread(target=self._heartbeat, args=(heartbeat_s,), daemon=True)
        self._beat.start()

    def _heartbeat(self, every: float) -> None:
        import ray

        while not self._stop.wait(every):
            with contextlib.suppress(Exception):  # the actor restarting: try again next beat
                ray.get(self.budget.heartbeat.remote(self.holder), timeout=every)

    async def __aenter__(self) -> None:
        await self._local.acquire()
        lease = uuid.uuid4().hex
        try:
            granted = await self.budget.acquire.remote(self.holder, lease)
        except BaseException:
            self.budget.release.remote(lease)  # granted or not, it must not stay taken
            self._local.release()
            raise
        if not granted:  # cannot happen unless released twice; never run unbudgeted
            self._local.release()
            raise RuntimeError("request budget refused a lease")
        self._leases.append(lease)

    async def __aexit__(self, *_exc: object) -> None:
        lease = self._leases.pop()
        self.budget.release.remote(lease)  # fire and forget: the actor orders the calls
        self._local.release()

    def rate_limited(self, seconds: float) -> None:
        self.budget.rate_limited.remote(seconds)

    def close(self) -> None:
        self._stop.set()
