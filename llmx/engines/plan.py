"""The plan of a sharded run: the inputs cut into numbered blocks, fixed for the output's life.

A block is a group of text files, a range of lines of a JSONL file (byte offsets found by one
scan of its newlines, no parsing), or one row group of a Parquet file. Paths are absolute
(workers do not start in the driver's folder), so sources in the output are absolute paths.
The plan is written to ``<output>/plan.json`` on the first run and reused by every re-run,
so block ``b000042`` means the same documents every time -- what lets the manifest say "done"
per block. If the inputs changed since (a file added, removed, grown), the plan no longer
describes them: the run stops and says so rather than mixing two corpora in one output.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from llmx.core.documents import LoadProblem

PLAN = "plan.json"


class PlanMismatch(Exception):
    """The inputs are not the ones this output was planned from."""


def _files(inputs: list[str]) -> tuple[list[Path], list[LoadProblem]]:
    """Input files in the local loader's order (folders walked, globs expanded, deduplicated)."""
    from llmx.text.loading import input_entries

    files: list[Path] = []
    problems: list[LoadProblem] = []
    for entry in input_entries(inputs):
        if isinstance(entry, LoadProblem):
            problems.append(entry)
        elif isinstance(entry, str):  # standard input: refused before planning
            problems.append(LoadProblem(source=entry, message="stdin is for the local engine"))
        else:
            files.append(Path(os.path.abspath(entry[0])))  # workers start elsewhere
    return files, problems


def _fingerprint(files: list[Path]) -> list[list[Any]]:
    out = []
    for f in files:
        st = f.stat()
        out.append([str(f), st.st_size, st.st_mtime_ns])
    return out


def _jsonl_blocks(path: Path, per_block: int) -> list[dict[str, Any]]:
    """Line ranges of ``per_block`` lines: ``[start, end)`` bytes and the first line number."""
    blocks = []
    start = offset = 0
    first = line = 1
    with path.open("rb") as fh:
        for raw in fh:
            offset += len(raw)
            if line - first + 1 == per_block:
                blocks.append({"kind": "jsonl", "path": str(path), "start": start,
                               "end": offset, "first_line": first})  # fmt: skip
                start, first = offset, line + 1
            line += 1
    if offset > start:
        blocks.append(
            {"kind": "jsonl", "path": str(path), "start": start, "end": offset, "first_line": first}
        )
    return blocks


def _parquet_blocks(path: Path) -> list[dict[str, Any]]:
    import pyarrow.parquet as pq

    groups = pq.ParquetFile(path).metadata.num_row_groups
    return [{"kind": "parquet", "path": str(path), "row_group": g} for g in range(groups)]


def build_plan(inputs: list[str], per_block: int) -> tuple[dict[str, Any], list[LoadProblem]]:
    from llmx.text.loading import JSONL_SUFFIXES
    from llmx.text.tables import PARQUET_SUFFIXES  # the local loader's, so both engines agree

    files, problems = _files(inputs)
    blocks: list[dict[str, Any]] = []
    texts: list[str] = []

    def flush_texts() -> None:
        if texts:
            blocks.append({"kind": "files", "paths": list(texts)})
            texts.clear()

    for f in files:
        suffix = f.suffix.lower()
        if suffix in JSONL_SUFFIXES or suffix in PARQUET_SUFFIXES:
            flush_texts()
            blocks.extend(
                _jsonl_blocks(f, per_block) if suffix in JSONL_SUFFIXES else _parquet_blocks(f)
            )
        else:
            texts.append(str(f))
            if len(texts) == per_block:
                flush_texts()
    flush_texts()
    for i, block in enumerate(blocks):
        block["key"] = f"b{i:06d}"
    plan = {
        "inputs": inputs,
        "block_docs": per_block,
        "files": _fingerprint(files),
        "blocks": blocks,
    }
    return plan, problems


def load_or_build_plan(
    out_dir: Path, inputs: list[str], per_block: int
) -> tuple[dict[str, Any], list[LoadProblem]]:
    """This output's plan; built and saved (atomically) on the first run."""
    path = out_dir / PLAN
    if not path.exists():
        plan, problems = build_plan(inputs, per_block)
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(plan, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)
        return plan, problems
    plan = json.loads(path.read_text(encoding="utf-8"))
    files, problems = _files(inputs)
    now = _fingerprint(files)
    if now != plan["files"]:
        before = {f[0]: f for f in plan["files"]}
        changed = [f[0] for f in now if before.pop(f[0], None) != f] + list(before)
        raise PlanMismatch(
            f"the inputs changed since {out_dir} was started ({len(changed)} files differ, "
            f"e.g. {changed[0]}); write to a new -o, or restore the inputs to resume"
        )
    return plan, problems
