"""``llmx diff A.jsonl B.jsonl``: two runs' predictions scored one against the other.

B is the reference: A's records are aligned to B's by the task's scorer exactly as predictions
are aligned to gold, so a record is ``same`` (a match), ``changed`` (aligned, some key field
differs), ``A only`` (spurious or duplicate) or ``B only`` (missed). Per kind, ``in A = same +
changed + A only`` and ``in B = same + changed + B only``; strict P = same / in A, R = same /
in B. Documents present in one run only, or failed in either, are counted, not scored.
:func:`diff_runs` computes; :func:`render_run_diff` draws (colour only on a terminal).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from rich.text import Text

from llmx.core.results import DocResult
from llmx.evaluation.labels import Counts, DocScore, KindScores
from llmx.evaluation.scoring import Scorer
from llmx.review.model import field_value, summarize
from llmx.review.table import aligned

WHAT = {"partial": "changed", "spurious": "A only", "duplicate": "A only", "missed": "B only"}
MARK = {"partial": "~", "spurious": "+", "duplicate": "+", "missed": "-"}
COLOUR = {"partial": "yellow", "spurious": "red", "duplicate": "red", "missed": "magenta"}


@dataclass(frozen=True, slots=True)
class Difference:
    """One record that is not the same in both runs."""

    doc_id: str
    kind: str
    label: str  # the scorer's label of A's record against B's: partial, spurious, ...
    record: str  # one-line summary (A's record, or B's when A has none)
    fields: str = ""  # for ``partial``: "value: A 300, B 320"


@dataclass(slots=True)
class KindDiff:
    """Counts of one kind over the compared documents (see the module docstring)."""

    kind: str
    counts: Counts
    same: int = 0
    changed: int = 0
    a_only: int = 0
    b_only: int = 0
    scores: KindScores | None = None


@dataclass(slots=True)
class RunDiff:
    """Everything ``llmx diff`` shows for two prediction files."""

    task: str
    n_a: int = 0  # documents in A
    n_b: int = 0
    compared: list[str] = field(default_factory=list)
    only_a: list[str] = field(default_factory=list)
    only_b: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # "doc_id (failed in A)"
    kinds: list[KindDiff] = field(default_factory=list)
    differences: list[Difference] = field(default_factory=list)


def diff_runs(a: Mapping[str, DocResult], b: Mapping[str, DocResult], scorer: Scorer) -> RunDiff:
    """Score run A against run B (B as reference), document by document."""
    out = RunDiff(scorer.task.name, len(a), len(b))
    scores: list[DocScore] = []
    for doc_id in sorted(set(a) | set(b)):
        ra, rb = a.get(doc_id), b.get(doc_id)
        if ra is None:
            out.only_b.append(doc_id)
        elif rb is None:
            out.only_a.append(doc_id)
        elif ra.status != "ok" or rb.status != "ok":
            runs = " and ".join(n for n, r in (("A", ra), ("B", rb)) if r.status != "ok")
            out.failed.append(f"{doc_id} (failed in {runs})")
        else:
            out.compared.append(doc_id)
            pred = {k: ra.records(k) for k in scorer.kinds}
            ref = {k: rb.records(k) for k in scorer.kinds}
            score = scorer.score_document(doc_id, ref, pred)
            scores.append(score)
            out.differences += _differences(scorer, score, pred, ref)
    summary = scorer.summarize(scores)
    for kind in scorer.kinds:
        pairs = [p for s in scores for p in s.pairs if p.kind == kind]
        kd = KindDiff(kind, sum((s.counts.get(kind, Counts()) for s in scores), Counts()))
        kd.same = sum(p.label == "match" for p in pairs)
        kd.changed = sum(p.label == "partial" for p in pairs)
        kd.a_only = sum(p.label in ("spurious", "duplicate") for p in pairs)
        kd.b_only = sum(p.label == "missed" for p in pairs)
        kd.scores = summary.get(kind)
        out.kinds.append(kd)
    return out


def _differences(
    scorer: Scorer,
    score: DocScore,
    pred: Mapping[str, list[dict[str, Any]]],
    ref: Mapping[str, list[dict[str, Any]]],
) -> list[Difference]:
    out = []
    for pair in score.pairs:
        if pair.label == "match":
            continue
        mine = pred[pair.kind][pair.pred] if pair.pred is not None else None
        theirs = ref[pair.kind][pair.gold] if pair.gold is not None else None
        fields = ""
        if pair.label == "partial":
            fields = "; ".join(
                f"{f}: A {field_value(mine, f)}, B {field_value(theirs, f)}" for f in pair.fields
            )
        record = summarize(scorer, pair.kind, mine if mine is not None else theirs)
        out.append(Difference(score.doc_id, pair.kind, pair.label, record, fields))
    return out


def render_run_diff(diff: RunDiff, console: Console) -> None:
    """Print the header, the per-kind table and the differences, one record per line.

    Lines are never cut: in a pipe every doc id and record is written in full."""
    n_docs = len(diff.compared) + len(diff.only_a) + len(diff.only_b) + len(diff.failed)
    console.print(
        Text(
            f"run A against run B (B as reference), task {diff.task}: {n_docs} documents = "
            f"{len(diff.compared)} compared + {len(diff.only_a)} only in A + "
            f"{len(diff.only_b)} only in B + {len(diff.failed)} failed in a run"
        ),
        soft_wrap=True,
    )
    for name, ids in (("only in A", diff.only_a), ("only in B", diff.only_b)):
        if ids:
            console.print(Text(f"{name}: {', '.join(ids)}"), soft_wrap=True)
    if diff.failed:
        console.print(Text(f"not compared: {', '.join(diff.failed)}"), soft_wrap=True)
    header = ["kind", "in A", "in B", "same", "changed", "A only", "B only"]
    header += ["strict P", "strict R", "strict F1", "partial F1"]
    rows = [[Text(h, style="bold") for h in header]]
    for k in diff.kinds:
        s = k.scores
        figures = [s.strict.precision, s.strict.recall, s.strict.f1, s.partial.f1] if s else []
        cells = [k.kind, k.counts.n_pred, k.counts.n_gold, k.same, k.changed, k.a_only, k.b_only]
        rows.append([Text(str(c)) for c in cells] + [Text(f"{f:.3f}") for f in figures])
    console.print()
    for line in aligned(rows, right=range(1, len(header))):
        console.print(line, soft_wrap=True)
    console.print()
    if not diff.differences:
        console.print(Text("no record differs"))
        return
    by_label = {w: sum(WHAT[d.label] == w for d in diff.differences) for w in WHAT.values()}
    console.print(
        Text(
            f"records that differ: {len(diff.differences)} ({by_label['changed']} changed ~, "
            f"{by_label['A only']} only in A +, {by_label['B only']} only in B -)"
        ),
        soft_wrap=True,
    )
    rows = []
    for d in diff.differences:
        style = COLOUR.get(d.label, "")
        what = Text(f"{MARK[d.label]} {WHAT[d.label]}", style=style)
        detail = Text(d.record + (f"  ({d.fields})" if d.fields else ""), style=style)
        rows.append([Text(d.doc_id), Text(d.kind), what, detail])
    for line in aligned(rows):
        console.print(line, soft_wrap=True)
