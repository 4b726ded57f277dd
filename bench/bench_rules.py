"""Throughput of the offline (rules) extractor: about 5 MB of documents, in MB/s of UTF-8 text
per second of CPU time (steadier than wall time on a shared machine), and its CPU per document
by stage.

Run: ``.venv/bin/python bench/bench_rules.py [target_mb] [--profile] [--repeat-seeds]``
     ``.venv/bin/python bench/bench_rules.py [target_mb] --baseline DIR [--rounds N]``

``--baseline DIR`` measures another checkout (say a worktree of an older commit) against this
one, alternating, N rounds (default 3), each in a fresh process, and prints the median MB/s of
each and their ratio -- the before/after figure on a machine whose load varies.

The corpus: each seed's paragraphs in a new random order per document (fixed random seed), so
no document repeats another word for word -- caches of per-document facts (the places of a
document's parties, keyed by its mention list) would otherwise hit on every repeat and flatter
the figure -- while each document stays in one script, as real pages are (two of the five
seeds are in traditional script). ``--repeat-seeds``: the seeds repeated verbatim (the corpus
of figures before issue 13's last round). ``--mixed``: paragraphs of all seeds drawn at random
into seed-sized documents (every document then mixes scripts and holds more parties than any
real page).

Figures:

- ``find_quantities``: the quantity scanner alone, on the raw text.
- ``extract_records``: the rules extractor on the raw text (the figure issue 13's goal names).
- ``offline pipeline``: what ``llmx extract --backend rules`` does per document, minus reading
  and writing files: clean, the rules extractor on the cleaned text, grounding and merging.
- per-stage ms/doc of that pipeline, each timed directly on the same documents.

``--profile`` adds a cProfile of the offline pipeline (top 20 by own time) to stderr.
"""

from __future__ import annotations

import asyncio
import cProfile
import io
import json
import os
import pstats
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from llmx.config import Settings
from llmx.core.documents import Chunk, Document
from llmx.grounding import Grounder, ground_chunk
from llmx.pipeline import Pipeline
from llmx.quantities import find_quantities
from llmx.tasks import load_task
from llmx.text.cleaning import clean
from llmx.text.script import normalize_for_matching

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
# The cooperation task's offline extractor, reached as llmx reaches it: through the task.
extract_records = load_task("cooperation").offline_extractor
assert extract_records is not None


def _shuffled(docs: list[str], target_mb: float, mixed: bool = False) -> list[str]:
    """Documents made of one seed's paragraphs in random order (``mixed``: any seed's)."""
    rng = random.Random(13)
    by_seed = [[p for p in d.split("\n") if p.strip()] for d in docs]
    pool = [p for paragraphs in by_seed for p in paragraphs]
    size = sum(len(d) for d in docs) // len(docs)
    corpus: list[str] = []
    total = 0
    while total < target_mb * 1e6:
        if mixed:
            parts: list[str] = []
            while sum(len(p) for p in parts) < size:
                parts.append(rng.choice(pool))
        else:
            parts = list(by_seed[len(corpus) % len(by_seed)])
            rng.shuffle(parts)
        doc = "\n".join(parts)
        corpus.append(doc)
        total += len(doc.encode("utf-8"))
    return corpus


def _rate(label: str, total_mb: float, seconds: float, detail: str) -> None:
    print(f"{label:18s} {total_mb / seconds:6.2f} MB/s  ({seconds:.2f} s CPU, {detail})")


def _pipeline(corpus: list[str]) -> tuple[float, int]:
    """The offline pipeline over ``corpus`` (no files): seconds and metrics found."""
    pipeline = Pipeline(
        Settings.model_validate({"task": "cooperation", "backend": "rules", "cache": False})
    )
    docs = [Document(id=f"d{i}", text=t, source="bench") for i, t in enumerate(corpus)]
    found = 0

    def sink(result: Any) -> None:
        nonlocal found
        found += len(result.records("metrics"))

    async def run() -> float:
        start = time.process_time()
        await pipeline.run(docs, sink)
        seconds = time.process_time() - start
        await pipeline.aclose()
        return seconds

    return asyncio.run(run()), found


def _stages(corpus: list[str]) -> dict[str, float]:
    """CPU ms per document of each stage of the offline pipeline, timed directly."""
    task = load_task("cooperation")
    spent: dict[str, float] = {}

    def timed(stage: str, fn: Callable[..., Any], *args: Any) -> Any:
        start = time.process_time()
        value = fn(*args)
        spent[stage] = spent.get(stage, 0.0) + time.process_time() - start
        return value

    for text in corpus:
        cleaned = timed("clean", clean, text)
        records = timed("extract_records", extract_records, cleaned.text)
        timed("  matching view", normalize_for_matching, cleaned.text)
        timed("  find_quantities", find_quantities, normalize_for_matching(cleaned.text))
        grounder = timed("ground (setup)", Grounder, cleaned, text)
        timed("ground (records)", ground_chunk, grounder, task, Chunk(0, cleaned.text, 0), records)
    return {k: v / len(corpus) * 1000 for k, v in spent.items()}


def _option(name: str, default: str) -> str:
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv else default


def _corpus_flags() -> list[str]:
    return [f for f in ("--repeat-seeds", "--mixed") if f in sys.argv]


def _compare(target_mb: float, baseline: Path, rounds: int) -> None:
    """This checkout against ``baseline``, alternating, each run in a fresh process."""
    here = Path(__file__).resolve().parent.parent
    figures: dict[str, list[dict[str, float]]] = {"baseline": [], "this": []}
    for _ in range(rounds):
        for label, root in (("baseline", baseline), ("this", here)):
            env = {**os.environ, "PYTHONPATH": str(root), "LLMX_TASK_PATH": str(root)}
            out = subprocess.run(
                [sys.executable, __file__, str(target_mb), "--json", *_corpus_flags()],
                cwd=root,
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            figures[label].append(json.loads(out.stdout.strip().splitlines()[-1]))
    print(f"baseline: {baseline}\nthis:     {here}\n{rounds} rounds, alternating; median MB/s")
    print(f"{'figure':18s} {'baseline':>9s} {'this':>9s} {'ratio':>7s}")
    for key in figures["this"][0]:
        before = statistics.median(f[key] for f in figures["baseline"])
        after = statistics.median(f[key] for f in figures["this"])
        print(f"{key:18s} {before:9.2f} {after:9.2f} {after / before:6.2f}x")


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if "--baseline" in sys.argv:
        args = [a for a in args if a != _option("--baseline", "") and a != _option("--rounds", "")]
    target_mb = float(args[0]) if args else 5.0
    if "--baseline" in sys.argv:
        _compare(target_mb, Path(_option("--baseline", "")), int(_option("--rounds", "3")))
        return
    quiet = "--json" in sys.argv
    docs = [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))]
    for d in docs:  # warm-up: the converter, pinyin tables, compiled regexes
        extract_records(clean(d).text)
    if "--repeat-seeds" in sys.argv:
        seed_bytes = sum(len(d.encode("utf-8")) for d in docs)
        repeats = max(1, round(target_mb * 1e6 / seed_bytes))
        corpus = docs * repeats
        how = f"{repeats} x {len(docs)} seeds, verbatim"
    else:
        mixed = "--mixed" in sys.argv
        corpus = _shuffled(docs, target_mb, mixed)
        how = "paragraphs of any seed" if mixed else "each seed's paragraphs reordered"
    total_mb = sum(len(d.encode("utf-8")) for d in corpus) / 1e6
    if not quiet:
        print(f"corpus: {len(corpus)} docs, {total_mb:.2f} MB UTF-8 ({how})")
    rates: dict[str, float] = {}
    start = time.process_time()
    n_quantities = sum(len(find_quantities(d)) for d in corpus)
    seconds = time.process_time() - start
    rates["find_quantities"] = total_mb / seconds
    if not quiet:
        _rate("find_quantities", total_mb, seconds, f"{n_quantities} quantities")

    start = time.process_time()
    n_metrics = n_programmes = 0
    for d in corpus:
        records = extract_records(d)
        n_metrics += len(records["metrics"])
        n_programmes += len(records["programmes"])
    seconds = time.process_time() - start
    rates["extract_records"] = total_mb / seconds
    if not quiet:
        found = f"{n_metrics} metrics, {n_programmes} programmes"
        _rate("extract_records", total_mb, seconds, found)

    profile = cProfile.Profile() if "--profile" in sys.argv else None
    if profile is not None:
        profile.enable()
    seconds, grounded = _pipeline(corpus)
    if profile is not None:
        profile.disable()
        buf = io.StringIO()
        pstats.Stats(profile, stream=buf).sort_stats("tottime").print_stats(20)
        print(buf.getvalue(), file=sys.stderr)
    rates["offline pipeline"] = total_mb / seconds
    if quiet:
        print(json.dumps(rates))
        return
    _rate("offline pipeline", total_mb, seconds, f"{grounded} grounded metrics; no file I/O")

    print("CPU ms per document, by stage (offline pipeline; indented: parts of the line above)")
    for stage, ms in _stages(corpus).items():
        print(f"  {stage:20s} {ms:7.3f}")


if __name__ == "__main__":
    main()
