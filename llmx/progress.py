"""Progress bar and end-of-run summary on stderr (rich), so stdout stays clean JSONL."""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from llmx.core.documents import LoadProblem
from llmx.core.results import DocResult

if TYPE_CHECKING:
    from llmx.pipeline import RunSummary


class RunProgress:
    """Live counters while documents complete: docs, records, tokens, errors."""

    def __init__(self, console: Console, *, enabled: bool, kinds: list[str]) -> None:
        self.console = console
        self.enabled = enabled
        self.kinds = kinds
        self.docs = self.errors = self.tokens = 0
        self.records = dict.fromkeys(kinds, 0)
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description}"),
            BarColumn(bar_width=None),
            TextColumn("{task.fields[stats]}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
            disable=not enabled,
        )
        self._task = self._progress.add_task("extracting", total=None, stats="")

    def __enter__(self) -> RunProgress:
        self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._progress.stop()

    def advance(self, result: DocResult) -> None:
        self.docs += 1
        self.errors += result.status != "ok"
        self.tokens += result.meta.usage.total_tokens
        for kind in self.kinds:
            self.records[kind] += len(result.records(kind))
        recs = " ".join(f"{k} {v}" for k, v in self.records.items())
        self._progress.update(
            self._task,
            advance=1,
            stats=f"docs {self.docs} | {recs} | tokens {self.tokens} | errors {self.errors}",
        )

    def problem(self, problem: LoadProblem) -> None:
        self.console.print(
            f"llmx: skipped {problem.source}: {problem.message}", highlight=False, markup=False
        )

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
