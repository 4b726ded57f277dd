"""Throughput of the rules extractor: the seeds repeated to about 5 MB, in MB/s of UTF-8 text.

Run: ``.venv/bin/python bench/bench_rules.py [target_mb]``
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from llmx.providers.rules import extract_records

from llmx.quantities import find_quantities

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def main() -> None:
    target_mb = float(sys.argv[1]) if len(sys.argv) > 1 else 5.0
    docs = [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))]
    seed_bytes = sum(len(d.encode("utf-8")) for d in docs)
    repeats = max(1, round(target_mb * 1e6 / seed_bytes))
    corpus = docs * repeats
    total_mb = seed_bytes * repeats / 1e6
    extract_records(docs[0])  # warm-up: builds OpenCC's converter and compiles regexes

    t0 = time.perf_counter()
    n_quantities = sum(len(find_quantities(d)) for d in corpus)
    t_quantities = time.perf_counter() - t0

    t0 = time.perf_counter()
    n_metrics = n_programmes = 0
    for d in corpus:
        records = extract_records(d)
        n_metrics += len(records["metrics"])
        n_programmes += len(records["programmes"])
    t_rules = time.perf_counter() - t0

    print(f"corpus: {len(corpus)} docs, {total_mb:.2f} MB UTF-8 ({repeats} x {len(docs)} seeds)")
    print(
        f"find_quantities: {total_mb / t_quantities:.2f} MB/s "
        f"({t_quantities:.2f} s, {n_quantities} quantities)"
    )
    print(
        f"extract_records: {total_mb / t_rules:.2f} MB/s "
        f"({t_rules:.2f} s, {n_metrics} metrics, {n_programmes} programmes)"
    )


if __name__ == "__main__":
    main()
