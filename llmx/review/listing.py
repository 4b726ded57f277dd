"""``llmx review`` without a terminal: the document list as plain lines, for pipes and logs."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from llmx.review.sources import Review
from llmx.review.table import aligned


def print_documents(review: Review, console: Console) -> None:
    """Where the review reads from, then one line per document: F1, counts, changes, notes."""
    runs = f"A {review.run_a}" + (f" · B {review.run_b}" if review.run_b else "")
    gold = (
        f"gold {review.gold_dir} ({len(review.gold_docs)} documents)"
        if review.has_gold
        else "no gold"
    )
    console.print(Text(f"task {review.task.name} · {runs} · {gold}"), soft_wrap=True)
    delta = review.has_gold and review.run_b is not None
    # rows B changed against A; with one run, rows it got wrong
    changed = "changed" if review.run_b is not None else "wrong"
    header = ["doc", "F1"] + (["Δ"] if delta else []) + ["tp/fp/fn", changed, "notes"]
    rows = [[Text(h) for h in header]]
    for d in review.docs:
        counts = d.counts_b if d.b is not None else d.counts_a
        cells = [d.doc_id + ("*" if d.edited else ""), "—" if d.f1 is None else f"{d.f1:.2f}"]
        if delta:
            cells.append("" if d.delta is None else f"{d.delta:+.2f}")
        cells.append("" if counts is None else f"{counts.tp}/{counts.fp}/{counts.fn}")
        cells += [str(d.n_changed), "; ".join(d.notes)]
        rows.append([Text(c) for c in cells])
    for line in aligned(rows, right=range(1, len(header) - 1)):
        console.print(line, soft_wrap=True)
