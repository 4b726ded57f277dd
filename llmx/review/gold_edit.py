"""A reviewer's gold decisions, written as *proposals* next to the gold, never over it.

Gold files are generated (``llmx task annotate TASK`` turns ``evals/<task>/src/*.toml`` into
``evals/<task>/gold/*.json``), so editing one in place would be undone by the next rebuild and
would make ``llmx task annotate --check`` fail. A decision therefore goes to
``<gold dir>/proposed/<doc_id>.json`` (the whole gold file as it would read, same formatting)
plus ``<doc_id>.diff``, a unified diff against the current gold file (``git apply`` or
``patch -p1`` applies it). ``load_gold`` reads ``<gold dir>/*.json`` only, so proposals never
leak into scoring; the review shows them, marked, until someone ports them to the TOML source.
Editing a document again builds on its proposal; a proposal equal to the gold is deleted.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from llmx.evaluation.gold import GoldDoc, gold_model, read_gold, render_gold
from llmx.tasks import Task

PROPOSED_DIR = "proposed"


def proposal_path(gold_path: str | Path) -> Path:
    """Where the proposal for a gold file goes: ``<dir>/proposed/<name>``."""
    p = Path(gold_path)
    return p.parent / PROPOSED_DIR / p.name


def load_working(gold_path: str | Path, task: Task) -> GoldDoc:
    """The gold a review shows: the pending proposal if there is one, else the gold file."""
    prop = proposal_path(gold_path)
    path = prop if prop.exists() else Path(gold_path)
    return read_gold(path, task)


def _label(task: Task, kind: str, record: Mapping[str, Any]) -> str:
    spec = task.records[kind]
    ident = f" {record.get(spec.id)}" if spec.id else ""
    return f"{spec.singular}{ident} {task.summarize(kind, record)}"


def remove_record(
    doc: GoldDoc, task: Task, kind: str, index: int, *, why: str = "marked wrong"
) -> GoldDoc:
    """``doc`` without gold record ``index`` of ``kind``; a note records the decision.

    Removing a record that others link to also clears those links.
    """
    data = doc.model_dump(mode="json")
    removed = data[kind].pop(index)
    id_field = task.records[kind].id
    if id_field is not None:
        for other, spec in task.records.items():
            for link, target in spec.links.items():
                if target != kind:
                    continue
                for r in data[other]:
                    if r.get(link) == removed[id_field]:
                        r[link] = None
    data["notes"].append(f"review: removed {_label(task, kind, removed)} ({why})")
    return gold_model(task).model_validate(data)


def _fresh_id(existing: list[dict[str, Any]], id_field: str, prefix: str) -> str:
    used = {str(r.get(id_field)) for r in existing}
    n = len(used) + 1
    while f"{prefix}{n}" in used:
        n += 1
    return f"{prefix}{n}"


def accept_record(
    doc: GoldDoc,
    task: Task,
    kind: str,
    record: Mapping[str, Any],
    *,
    replace: int | None = None,
    links: Mapping[str, Mapping[str, str]] | None = None,
    origin: str = "a prediction",
) -> GoldDoc:
    """``doc`` with a predicted record accepted as gold (appended, or replacing ``replace``).

    Only gold fields are kept (``grounding`` and the like are dropped). A record with an id
    keeps the id of the gold record it replaces, else gets a fresh one; each link field is
    translated through ``links`` (linked kind -> predicted id -> gold id) and dropped if it
    has no gold counterpart.

    Raises:
        ValueError: the record lacks what gold needs (e.g. spans); the message says what.
    """
    model = gold_model(task)
    data = doc.model_dump(mode="json")
    item_fields = model.model_fields[kind].annotation.__args__[0].model_fields  # type: ignore[union-attr]
    new = {k: v for k, v in record.items() if k in item_fields and k != "note"}
    spec = task.records[kind]
    if spec.id is not None:
        if replace is not None:
            new[spec.id] = data[kind][replace][spec.id]
        else:
            new[spec.id] = _fresh_id(data[kind], spec.id, spec.id_prefix)
    for link, target in spec.links.items():
        value = new.get(link)
        new[link] = (links or {}).get(target, {}).get(str(value)) if value is not None else None
    new["note"] = f"accepted in review from {origin}"
    if replace is not None:
        old = data[kind][replace]
        data[kind][replace] = new
        note = (
            f"review: replaced {_label(task, kind, old)} by {_label(task, kind, new)} from {origin}"
        )
    else:
        data[kind].append(new)
        note = f"review: added {_label(task, kind, new)} from {origin}"
    data["notes"].append(note)
    try:
        return model.model_validate(data)
    except ValueError as exc:
        raise ValueError(f"cannot accept this record into gold: {exc}") from exc


def _display(path: Path) -> str:
    """The path relative to the working directory (as ``git apply`` wants), else absolute."""
    try:
        rel = Path(os.path.relpath(path))
    except ValueError:  # another drive (Windows)
        return path.resolve().as_posix()
    return path.resolve().as_posix() if rel.parts[:1] == ("..",) else rel.as_posix()


def diff_text(gold_path: str | Path, doc: GoldDoc) -> str:
    """Unified diff from the gold file on disk to ``doc`` (empty if they read the same)."""
    path = Path(gold_path)
    old = path.read_text(encoding="utf-8").splitlines(keepends=True)
    new = render_gold(doc).splitlines(keepends=True)
    name = _display(path)
    return "".join(difflib.unified_diff(old, new, f"a/{name}", f"b/{name}"))


def write_proposal(gold_path: str | Path, doc: GoldDoc) -> tuple[Path, str]:
    """Write ``doc`` as the proposal for ``gold_path``, with its diff; return (path, diff).

    A proposal that equals the gold file removes the pending proposal instead.
    """
    prop = proposal_path(gold_path)
    diff = diff_text(gold_path, doc)
    patch = prop.with_suffix(".diff")
    if not diff:
        prop.unlink(missing_ok=True)
        patch.unlink(missing_ok=True)
        return prop, ""
    prop.parent.mkdir(parents=True, exist_ok=True)
    prop.write_text(render_gold(doc), encoding="utf-8")
    patch.write_text(diff, encoding="utf-8")
    return prop, diff
