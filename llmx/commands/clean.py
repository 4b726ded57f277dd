"""``llmx clean FILES... [--show] [--simplified]``: see what cleaning does to documents."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

# llmx.text.loading.DEFAULT_MAX_BYTES, written out so ``llmx -h`` need not import the loader
# (tests/test_cli_help.py checks the two agree)
DEFAULT_MAX_BYTES = 20_000_000

if TYPE_CHECKING:
    from collections.abc import Iterable

    from rich.console import Console

    from llmx.core.documents import CleanedText, Document, Removal

# One colour per removal reason in --show.
STYLES = {
    "boilerplate": "red strike dim",
    "duplicate": "yellow strike dim",
    "pinyin": "magenta strike",
    "whitespace": "on grey23",
}


def mark_removals(text: str, removed: Iterable[Removal]) -> str:
    """``text`` with each removed stretch written ``⟦reason: stretch⟧``: what ``--show`` prints
    where colour is lost (a pipe, a file, NO_COLOR)."""
    out: list[str] = []
    at = 0
    for removal in sorted(removed, key=lambda r: (r.start, r.end)):
        start = max(removal.start, at)  # removals do not overlap; if one did, mark it once
        if start >= removal.end:
            continue
        out += [text[at:start], f"⟦{removal.reason}: {text[start : removal.end]}⟧"]
        at = removal.end
    out.append(text[at:])
    return "".join(out)


def _show(console: Console, doc: Document, cleaned: CleanedText, text: str) -> None:
    """Print ``text`` (the original, or its simplified view) with removals highlighted."""
    from collections import Counter

    from rich.text import Text

    if console.is_terminal and not console.no_color:
        rendered = Text(text)
        for removal in cleaned.removed:
            rendered.stylize(STYLES.get(removal.reason, "strike"), removal.start, removal.end)
    else:
        rendered = Text(mark_removals(text, cleaned.removed))
    console.rule(f"{doc.id}  [dim]{doc.source}[/dim]")
    console.print(rendered, soft_wrap=True, highlight=False)
    by_reason: Counter[str] = Counter()
    for removal in cleaned.removed:
        by_reason[removal.reason] += removal.end - removal.start
    parts = ", ".join(
        f"[{STYLES.get(reason, '')}]{reason}[/] {count}"
        for reason, count in by_reason.most_common()
    )
    console.print(
        f"[bold]{doc.id}[/bold]: {len(text)} -> {len(cleaned.text)} chars"
        + (f"; removed {parts}" if parts else "; nothing removed")
        + (f" [dim]({doc.encoding})[/dim]" if doc.encoding not in ("utf-8", "utf-8-sig") else ""),
        highlight=False,
        soft_wrap=True,
    )


def command(
    files: Annotated[
        list[str],
        typer.Argument(help="Text/JSONL files, folders or glob patterns.", show_default=False),
    ],
    show: Annotated[
        bool,
        typer.Option(
            "--show",
            help="Print the original with removed stretches highlighted by reason (in a pipe: "
            "written ⟦reason: text⟧).",
        ),
    ] = False,
    simplified: Annotated[
        bool,
        typer.Option("--simplified", help="Print the simplified-Chinese view (same offsets)."),
    ] = False,
    max_bytes: Annotated[
        int, typer.Option("--max-bytes", help="Skip files larger than this many bytes.")
    ] = DEFAULT_MAX_BYTES,
) -> None:
    """Clean documents and print the result (or, with --show, what was removed and why)."""
    import sys

    from rich.console import Console

    from llmx.core.documents import LoadProblem
    from llmx.text.cleaning import clean
    from llmx.text.loading import load_documents
    from llmx.text.script import to_simplified

    console = Console(highlight=False)
    errors = Console(stderr=True, highlight=False)
    failed = 0
    items = load_documents(files, max_bytes=max_bytes)
    pending = next(items, None)
    several = False
    while pending is not None:
        item, pending = pending, next(items, None)
        if isinstance(item, LoadProblem):
            failed += 1
            errors.print(f"[red]error[/red]: {item.source}: {item.message}", soft_wrap=True)
            continue
        for warning in item.warnings:
            errors.print(f"[yellow]warning[/yellow]: {warning}", soft_wrap=True)
        cleaned = clean(item.text)
        if show:
            _show(console, item, cleaned, to_simplified(item.text) if simplified else item.text)
            continue
        out = to_simplified(cleaned.text) if simplified else cleaned.text
        # Name each document once there is more than one, like ``head`` does.
        several = several or pending is not None
        if several:
            sys.stdout.write(f"==> {item.id} <==\n")
        sys.stdout.write(out + ("\n" if out and not out.endswith("\n") else ""))
        if several and pending is not None:
            sys.stdout.write("\n")
    sys.stdout.flush()
    if failed:
        raise typer.Exit(1)
