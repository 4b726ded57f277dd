"""Progress and the end-of-run summary on stderr, so stdout stays clean JSONL.

On a terminal: a live bar (rich) with done / total, percentage, rate and ETA. Elsewhere (CI,
nohup, a redirected stderr): one plain line every ``every`` seconds with the same figures, so a
log shows the run is alive and how far it got. The total comes from a cheap count of the inputs
(:mod:`llmx.text.counting`); until it is known, or when it cannot be, the line says so.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Column, Table

from llmx.core.documents import LoadProblem
from llmx.core.results import DocResult
from llmx.text.counting import Count

if TYPE_CHECKING:
    from llmx.pipeline import RunSummary


def _duration(seconds: float) -> str:
    s = round(seconds)
    if s >= 3600:
        return f"{s // 3600}h{s % 3600 // 60:02d}m"
    return f"{s // 60}m{s % 60:02d}s" if s >= 60 else f"{s}s"


class RunProgress:
    """Live counters while documents complete: docs, records, requests, tokens, errors.

    ``done`` counts every input document settled: written by this run, found already done in
    the output, or unreadable -- the units of the total. The rate counts only documents this
    run extracted, so a resumed run's ETA is not flattered by the skipped ones.
    """

    def __init__(
        self,
        console: Console,
        *,
        enabled: bool,
        kinds: list[str],
        every: float = 0.0,
        waiting: Callable[[], int] = lambda: 0,
    ) -> None:
        self.console = console
        self.enabled = enabled  # the live bar (a terminal)
        self.every = every  # seconds between plain lines when there is no bar; 0: none
        self.kinds = kinds
        self.waiting = waiting  # finished documents held back to keep input order
        self.docs = self.errors = self.tokens = self.requests = 0
        self.skipped = self.unreadable = 0
        self.records = dict.fromkeys(kinds, 0)
        self.count: Count = Count(None, "counting")
        self.started = time.monotonic()
        self._timer: asyncio.TimerHandle | None = None
        self._progress = Progress(  # the most telling figures first: a narrow terminal cuts the end
            SpinnerColumn(),
            BarColumn(bar_width=24),
            TimeElapsedColumn(),
            TextColumn(  # room left by the spinner, bar and time (else they are squeezed out)
                "{task.fields[stats]}",
                table_column=Column(no_wrap=True, max_width=max(20, console.width - 36)),
            ),
            console=console,
            transient=True,
            disable=not enabled,
        )
        self._task = self._progress.add_task("extracting", total=None, stats="")

    def __enter__(self) -> RunProgress:
        self.started = time.monotonic()
        self._progress.start()
        if not self.enabled and self.every > 0:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                return self  # no event loop: no periodic line
            self._timer = loop.call_later(self.every, self._tick)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._progress.stop()

    # -- counters ------------------------------------------------------------------------------

    @property
    def done(self) -> int:
        return self.docs + self.skipped + self.unreadable

    @property
    def total(self) -> int | None:
        if self.count.total is None:
            return None
        return max(self.count.total, self.done)  # an input that grew since it was counted

    def set_count(self, count: Count) -> None:
        self.count = count
        self._refresh()

    def advance(self, result: DocResult) -> None:
        self.docs += 1
        self.errors += result.status != "ok"
        self.tokens += result.meta.usage.total_tokens
        self.requests += result.meta.usage.requests
        for kind in self.kinds:
            self.records[kind] += len(result.records(kind))
        self._refresh()

    def skip(self) -> None:
        """A document already in the output (resume)."""
        self.skipped += 1
        self._refresh()

    def problem(self, problem: LoadProblem) -> None:
        if problem.details.get("scope") != "input":  # a file or row: one of the total
            self.unreadable += 1
        self.console.print(
            f"llmx: skipped {problem.source}: {problem.message}", highlight=False, markup=False
        )
        self._refresh()

    # -- what is shown -------------------------------------------------------------------------

    def rate(self) -> float:
        """Documents extracted per second by this run."""
        elapsed = time.monotonic() - self.started
        return self.docs / elapsed if elapsed > 0 else 0.0

    def position(self) -> str:
        """``120/1000 documents (12%)`` -- or what is known of it."""
        total = self.total
        if total is None:
            return f"{self.done} documents (total unknown: {self.count.why})"
        pct = 100.0 * self.done / total if total else 100.0
        return f"{self.done}/{total} documents ({pct:.0f}%)"

    def pace(self) -> str:
        """``4.1 docs/s, ETA 3m34s`` (no ETA without a total; ``?`` before the first)."""
        rate, total = self.rate(), self.total
        text = f"{rate:.1f} docs/s"
        if total is not None and self.done < total:
            text += f", ETA {_duration((total - self.done) / rate)}" if rate > 0 else ", ETA ?"
        return text

    def line(self) -> str:
        """The plain progress line."""
        held = self.held()
        return (
            f"llmx: {self.position()}; {self.errors} errors, {self.requests} requests, "
            f"{self.tokens} tokens; {self.pace()}" + (f"; {held}" if held else "")
        )

    def held(self) -> str:
        """``3 more finished, waiting on an earlier document`` (empty when none waits)."""
        n = self.waiting()
        return f"{n} more finished, waiting on an earlier document" if n else ""

    def _refresh(self) -> None:
        if not self.enabled:
            return
        recs = " ".join(f"{k} {v}" for k, v in self.records.items())
        held = self.held()
        recs += f" · {held}" if held else ""
        self._progress.update(
            self._task,
            total=self.total,
            completed=self.done,
            stats=f"{self.position()} · {self.pace()} · errors {self.errors} · requests "
            f"{self.requests} · tokens {self.tokens} · {recs}",
        )

    def _tick(self) -> None:
        self.console.print(self.line(), highlight=False, markup=False)
        self._timer = asyncio.get_running_loop().call_later(self.every, self._tick)

    def print_summary(self, summary: RunSummary, output: str, *, failed_in_output: int = 0) -> None:
        table = Table(title="llmx extract", show_header=False, box=None, padding=(0, 1))
        table.add_row(
            "backend", f"{summary.backend}" + (f" ({summary.model})" if summary.model else "")
        )
        table.add_row(
            "documents",
            f"{summary.docs_ok} ok, {summary.docs_failed} failed, {summary.docs_skipped} "
            f"already done, {len(summary.problems)} unreadable",
        )
        table.add_row("records", ", ".join(f"{k} {v}" for k, v in summary.records.items()))
        u = summary.usage
        table.add_row(
            "requests",
            f"{u.requests} HTTP, {summary.chunks} chunks ({summary.cached_chunks} from cache)",
        )
        table.add_row("tokens", f"{u.prompt_tokens} prompt + {u.completion_tokens} completion")
        table.add_row("warnings", str(summary.warnings))
        if summary.errors_by_type:
            table.add_row(
                "errors", ", ".join(f"{k} {v}" for k, v in sorted(summary.errors_by_type.items()))
            )
        for note in summary.mode_notes:
            table.add_row("mode", note)
        docs = summary.docs_ok + summary.docs_failed
        rate = docs / summary.elapsed_s if summary.elapsed_s else 0.0
        table.add_row("time", f"{summary.elapsed_s:.2f} s ({rate:.1f} docs/s)")
        table.add_row("output", output)
        if failed_in_output:
            table.add_row(
                "next",
                f"{failed_in_output} documents in the output failed: re-run with --retry-failed "
                "to redo only those",
            )
        self.console.print(table)
