"""Size and generation time of ``llmx report`` pages: the seeds' rules run repeated to 2000
documents (real texts, real records), and one 1 MB document made of the seeds end to end with
every seed's records shifted along (thousands of highlights in one text pane).

Run: ``.venv/bin/python bench/bench_html_report.py [n_docs]``

Prints per case: documents, records, build (find texts, hash-check, cut segments, edges), render
(Jinja), written MB, and, when Chromium is installed, the time to open the page and run its
span self-check (tests/_chromium.py, the DevTools protocol over a pipe).
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from llmx import extract  # noqa: E402
from llmx.core.results import DocResult  # noqa: E402
from llmx.htmlreport.build import build_page  # noqa: E402
from llmx.htmlreport.render import render_page  # noqa: E402
from llmx.output import text_hash, write_results  # noqa: E402


def shifted(records: list[dict], by: int) -> list[dict]:
    out = []
    for r in records:
        r = dict(r)
        for key in ("span", "evidence_span"):
            if r.get(key):
                r[key] = [r[key][0] + by, r[key][1] + by]
        out.append(r)
    return out


def many_docs(seeds: list[DocResult], texts: dict[str, str], n: int, folder: Path):
    rows, results = [], []
    for i in range(n):
        seed = seeds[i % len(seeds)]
        doc_id = f"{seed.doc_id}-{i}"
        rows.append({"id": doc_id, "text": texts[seed.doc_id], "url": f"https://example.org/{i}"})
        r = seed.model_copy(deep=True)
        r.doc_id, r.source, r.fields = (
            doc_id,
            f"{folder / 'in.jsonl'}:{i + 1}",
            {"url": rows[-1]["url"]},
        )
        results.append(r)
    return rows, results


def one_big(seeds: list[DocResult], texts: dict[str, str], folder: Path, size: int = 1_000_000):
    parts, records, at, i = [], {"programmes": [], "metrics": []}, 0, 0
    while at < size:
        seed = seeds[i % len(seeds)]
        text = texts[seed.doc_id]
        for kind in records:
            records[kind] += shifted(seed.records(kind), at)
        parts.append(text)
        at += len(text)
        i += 1
    text = "".join(parts)
    r = seeds[0].model_copy(deep=True)
    r.doc_id, r.source = "big", f"{folder / 'in.jsonl'}:1"
    r.meta.text_sha256 = text_hash(text)
    for kind, recs in records.items():
        r.set_records(kind, recs)
    return [{"id": "big", "text": text}], [r]


def measure(name: str, rows: list[dict], results: list[DocResult], folder: Path) -> None:
    (folder / "in.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
    )
    run = folder / "run.jsonl"
    write_results(results, run)
    t0 = time.perf_counter()
    page = build_page(run, inputs=[folder / "in.jsonl"])
    t1 = time.perf_counter()
    html = render_page(page)
    t2 = time.perf_counter()
    out = folder / "report.html"
    out.write_text(html, encoding="utf-8")
    t3 = time.perf_counter()
    opened = "–"
    try:
        from _chromium import BINARY, Browser

        if BINARY:
            b = Browser()
            try:
                s = time.perf_counter()
                b.open(out.as_uri(), timeout=300)
                state = b.js("document.getElementById('js-status').getAttribute('data-state')")
                opened = f"{time.perf_counter() - s:.1f} s ({state}, {len(b.errors())} JS errors)"
            finally:
                b.close()
    except Exception as exc:  # the figures above still stand
        opened = f"failed: {exc}"
    print(
        f"| {name} | {len(page.docs)} | {page.records} | {t1 - t0:.2f} s | {t2 - t1:.2f} s "
        f"| {t3 - t0:.2f} s | {len(html.encode('utf-8')) / 1e6:.1f} MB | {opened} |",
        flush=True,
    )


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    seeds = list(extract([REPO / "seeds"], backend="rules", task="cooperation"))
    texts = {r.doc_id: (REPO / "seeds" / Path(r.source).name).read_text("utf-8") for r in seeds}
    print("| case | documents | records | build | render | total | page | open + self-check |")
    print("|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        measure(f"seeds × {n}", *many_docs(seeds, texts, n, Path(tmp)), Path(tmp))
    with tempfile.TemporaryDirectory() as tmp:
        measure("one 1 MB document", *one_big(seeds, texts, Path(tmp)), Path(tmp))


if __name__ == "__main__":
    main()
