"""The order results leave the pipeline in: input order (a bounded reorder buffer) or completion.

In input order a finished document waits until every earlier one has been written, so two runs
over the same inputs write the same lines in the same order, and a killed run leaves a prefix
of the input (resume then appends the rest, still in order). The buffer is bounded: once
``limit`` documents have been started but not yet written, the pipeline admits no new one
until the earliest is written (back-pressure), so one stuck document cannot make memory grow.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from llmx.core.results import DocResult

Order = Literal["input", "completion"]
ORDERS: tuple[Order, ...] = ("input", "completion")


def default_buffer(concurrency: int) -> int:
    """Documents started but not yet written, at most (results are a few KB each)."""
    return max(256, 16 * concurrency)


class ResultOrder:
    """Numbers documents as they are admitted and hands results to ``sink`` in order."""

    def __init__(
        self, sink: Callable[[DocResult], None], *, order: Order = "input", limit: int = 256
    ) -> None:
        if order not in ORDERS:
            raise ValueError(f"order must be one of {', '.join(ORDERS)}, not {order!r}")
        if limit < 1:
            raise ValueError("the reorder buffer must hold at least one document")
        self.sink = sink
        self.in_order = order == "input"
        self.limit = limit
        self.admitted = 0  # documents numbered so far
        self.written = 0  # documents handed to the sink so far
        self._ready: dict[int, DocResult] = {}  # finished, waiting on an earlier document

    def admit(self) -> int:
        """The sequence number of the next document."""
        seq = self.admitted
        self.admitted += 1
        return seq

    @property
    def full(self) -> bool:
        """No new document may start until the earliest unwritten one is written."""
        return self.in_order and self.admitted - self.written >= self.limit

    @property
    def waiting(self) -> int:
        """Finished documents held back by an earlier unfinished one."""
        return len(self._ready)

    def finished(self, seq: int, result: DocResult) -> list[DocResult]:
        """Record a finished document; return (and hand to the sink) what can go out now."""
        if not self.in_order:
            self.sink(result)
            self.written += 1
            return [result]
        self._ready[seq] = result
        out = []
        while self.written in self._ready:
            ready = self._ready.pop(self.written)
            self.sink(ready)  # a failing write leaves this one (and later ones) unwritten
            self.written += 1
            out.append(ready)
        return out
