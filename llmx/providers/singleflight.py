"""Identical work in flight at the same time is done once (a duplicated article in a batch)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")


class SingleFlight(Generic[T]):
    """``await run(key, work)``: the first caller for ``key`` does ``work``; callers arriving
    while it runs share its result or exception. If the first caller is cancelled, a waiting
    caller does the work itself."""

    def __init__(self) -> None:
        self._flights: dict[Hashable, asyncio.Future[T]] = {}

    async def run(self, key: Hashable, work: Callable[[], Awaitable[T]]) -> tuple[T, bool]:
        """(the result, True if this caller did the work)."""
        while (leader := self._flights.get(key)) is not None:
            try:
                return await asyncio.shield(leader), False
            except asyncio.CancelledError:
                me = asyncio.current_task()
                if me is not None and me.cancelling():
                    raise
                # The leader was cancelled, not this caller: do the work instead.
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._flights[key] = future
        try:
            result = await work()
        except asyncio.CancelledError:
            future.cancel()
            raise
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # mark retrieved: no warning when nobody was waiting
            raise
        finally:
            del self._flights[key]
        future.set_result(result)
        return result, True
