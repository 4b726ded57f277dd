"""The cluster request budget's rules, on the plain class (the Ray actor runs this code)."""

from __future__ import annotations

import asyncio
import time

from llmx.engines.budget import RequestBudget


async def _worker(budget: RequestBudget, holder: str, n: int, gauge: list[int]) -> None:
    for i in range(n):
        lease = f"{holder}-{i}"
        assert await budget.acquire(holder, lease)
        gauge[0] += 1
        gauge[1] = max(gauge[1], gauge[0])
        await asyncio.sleep(0.005)
        gauge[0] -= 1
        await budget.release(lease)


async def test_budget_bounds_in_flight_across_holders() -> None:
    budget = RequestBudget(3)
    gauge = [0, 0]  # now, peak
    await asyncio.gather(*(_worker(budget, f"w{k}", 10, gauge) for k in range(8)))
    stats = await budget.stats()
    assert gauge[1] == 3  # reached, never passed
    assert stats["peak"] == 3 and stats["granted"] == 80 and stats["in_flight"] == 0


async def test_a_dead_holders_leases_come_back_after_the_ttl() -> None:
    budget = RequestBudget(2, lease_ttl=0.3)
    assert await budget.acquire("dead", "a")
    assert await budget.acquire("dead", "b")  # the worker dies holding both: no release
    started = time.monotonic()
    for i in range(4):  # a live worker, heartbeating, still gets through
        await budget.heartbeat("live")
        assert await asyncio.wait_for(budget.acquire("live", f"l{i}"), 3)
        await budget.release(f"l{i}")
    assert time.monotonic() - started >= 0.3
    assert (await budget.stats())["expired"] == 2


async def test_a_live_holder_keeps_its_leases_past_the_ttl() -> None:
    budget = RequestBudget(1, lease_ttl=0.2)
    assert await budget.acquire("slow", "a")
    waiter = asyncio.ensure_future(budget.acquire("other", "b"))
    for _ in range(6):  # a long request: the holder's heartbeat keeps the lease
        await budget.heartbeat("slow")
        await budget.heartbeat("other")
        await asyncio.sleep(0.1)
    assert not waiter.done()
    await budget.release("a")
    assert await asyncio.wait_for(waiter, 2)


async def test_a_lease_given_up_before_it_is_granted_is_never_taken() -> None:
    budget = RequestBudget(1)
    assert await budget.acquire("h", "a")
    waiter = asyncio.ensure_future(budget.acquire("h", "cancelled"))
    await asyncio.sleep(0.05)
    await budget.release("cancelled")  # the caller was cancelled while waiting
    await budget.release("a")
    assert await asyncio.wait_for(waiter, 2) is False
    assert (await budget.stats())["in_flight"] == 0


async def test_a_429_pauses_everyone_and_halves_the_budget_then_it_grows_back() -> None:
    budget = RequestBudget(8)
    await budget.rate_limited(0.3)
    await budget.rate_limited(0.3)  # the same burst: halved once
    assert (await budget.stats())["limit"] == 4
    started = time.monotonic()
    assert await budget.acquire("h", "x")
    assert time.monotonic() - started >= 0.25  # nobody starts during the pause
    await budget.release("x")
    for i in range(40):
        assert await budget.acquire("h", f"y{i}")
        await budget.release(f"y{i}")
    assert (await budget.stats())["limit"] == 8  # back to the configured budget, not beyond
