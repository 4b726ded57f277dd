"""``llmx cassette``: make a cassette from the response cache, prune it, list it.

Exit codes: 0 done; 1 a folder or cache cannot be used, or (``prune``) the inputs asked for
requests the cassette lacks -- nothing is deleted then.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections import Counter
from pathlib import Path
from typing import Annotated, Any

import typer

from llmx.commands import options

app = typer.Typer(
    help="Recorded model replies: make one from the response cache, prune, list.",
    no_args_is_help=True,
)


def _err(message: str) -> typer.Exit:
    print(f"llmx cassette: {message}", file=sys.stderr)
    return typer.Exit(1)


@app.command("from-cache")
def from_cache(
    directory: Annotated[Path, typer.Argument(help="Cassette folder to write into.")],
    cache_dir: Annotated[
        Path | None, typer.Option(help="Folder holding cache.sqlite [default: settings].")
    ] = None,
    model: Annotated[str | None, typer.Option(help="Only replies from this model.")] = None,
) -> None:
    """Write every cached reply (that kept its reply body) as a cassette file."""
    from datetime import UTC, datetime

    from llmx.cache import ResponseCache
    from llmx.cassettes import Cassette, CassetteError, readable
    from llmx.config import ConfigError, load_settings

    try:
        folder = cache_dir or load_settings({}).cache_dir
    except ConfigError as exc:
        raise _err(str(exc)) from None
    path = folder / "cache.sqlite"
    if not path.is_file():
        raise _err(f"no response cache at {path}")
    cache = ResponseCache(path, notice=lambda m: print(m, file=sys.stderr))
    try:
        cassette = Cassette(directory, "record")
    except CassetteError as exc:
        raise _err(str(exc)) from None
    written = skipped = 0
    try:
        for _key, value, entry_model, created in cache.responses():
            entry = value.get("cassette") if isinstance(value, dict) else None
            if not isinstance(entry, dict) or (model and entry_model != model):
                skipped += 1  # cached before replies were kept, or another model
                continue
            stamp = datetime.fromtimestamp(created, UTC).isoformat(timespec="seconds")
            cassette.write({**readable(entry), "recorded_at": stamp, "from_cache": True})
            written += 1
    finally:
        cache.close()
    print(
        f"llmx cassette: wrote {written} file(s) to {directory}"
        + (
            f"; skipped {skipped} cache entries without a kept reply or of another model"
            if skipped
            else ""
        )
    )


@app.command("prune")
def prune(
    directory: options.CassetteFolder,
    inputs: Annotated[
        list[str], typer.Argument(help="The documents the cassette is for (as for extract).")
    ],
    task: Annotated[str | None, typer.Option(help="Task name.")] = None,
    model: Annotated[str | None, typer.Option(help="Model [default: the cassette's].")] = None,
    mode: options.Mode = None,
    max_tokens: options.MaxTokens = None,
    quantity_hints: Annotated[
        bool | None, typer.Option("--quantity-hints/--no-quantity-hints")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List, do not delete.")] = False,
) -> None:
    """Replay INPUTS from the cassette (no network) and delete the files no request used."""
    from llmx.cassettes import CassetteError, load_entries
    from llmx.config import ConfigError, load_settings
    from llmx.tasks import TaskError

    logging.getLogger("instructor").setLevel(logging.CRITICAL)
    overrides: dict[str, Any] = {
        "task": task, "model": model, "mode": mode, "max_tokens": max_tokens,
        "show_quantities": quantity_hints, "replay": directory, "backend": "llm",
    }  # fmt: skip
    try:
        settings = load_settings(overrides)
        used, misses = asyncio.run(_replay(settings, inputs))
        entries = load_entries(directory)
    except (ConfigError, TaskError, CassetteError) as exc:
        raise _err(str(exc)) from None
    if misses:
        raise _err(
            f"{len(misses)} request(s) are not in {directory}, so it does not match these "
            f"inputs and settings; nothing deleted. First: {misses[0]}"
        )
    unused = [e for e in entries if e.facts.key not in used]
    for e in unused:
        print(f"{'would delete' if dry_run else 'deleted'} {e.path}")
        if not dry_run:
            e.path.unlink(missing_ok=True)
    print(f"llmx cassette: {len(entries) - len(unused)} used, {len(unused)} unused" + (
        " (dry run)" if dry_run else " deleted"))  # fmt: skip


async def _replay(settings: Any, inputs: list[str]) -> tuple[set[str], list[str]]:
    from llmx.pipeline import Pipeline
    from llmx.text.loading import load_documents

    pipeline = Pipeline(settings)
    try:
        await pipeline.run(load_documents(inputs, max_bytes=settings.max_bytes), lambda _r: None)
    finally:
        await pipeline.aclose()
    cassette = getattr(pipeline.backend, "cassette", None)
    assert cassette is not None
    return set(cassette.used), list(cassette.misses)


@app.command("list")
def list_cassette(
    directory: options.CassetteFolder,
) -> None:
    """What a cassette holds: files per model, prompt version and date, and any label."""
    import json

    from llmx.cassettes import LABEL_FILE, CassetteError, load_entries

    try:
        entries = load_entries(directory)
    except CassetteError as exc:
        raise _err(str(exc)) from None
    label = directory / LABEL_FILE
    if label.is_file():
        print(f"label: {json.loads(label.read_text('utf-8'))}")
    groups = Counter(
        (e.facts.model, e.facts.prompt_version, e.facts.settings.get("mode"), e.recorded_at[:10])
        for e in entries
    )
    for (model, prompt, mode, day), n in sorted(groups.items()):
        print(f"{n}\tmodel {model}\tprompt {prompt}\tmode {mode}\trecorded {day}")
