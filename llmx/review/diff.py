"""``llmx diff``: what changed between two eval reports -- computed here, drawn by rich.

:func:`diff_reports` computes (no rendering); :func:`render_diff` draws aligned plain lines,
coloured on a terminal only (rich's Console drops colour by itself in a pipe).

Keys of the eval report (``llmx/evaluation/report.py``) relied on: ``summary[kind]`` with
``strict``/``partial``/``macro_strict``/``macro_partial`` (``precision``/``recall``/``f1``),
``fields`` and ``grounding``; ``documents[].score`` (``doc_id``, ``pairs``) and
``documents[].predictions`` (the records the pairs index); ``provenance.hashes.gold`` and
``provenance.hashes.documents``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.console import Console
from rich.text import Text

from llmx.evaluation.labels import KindScores
from llmx.evaluation.report import EvalReport
from llmx.evaluation.scoring import Scorer, scorer_for
from llmx.review.model import STATUS_MARK, Row, Status, join_rows, summarize
from llmx.review.table import aligned


@dataclass(frozen=True, slots=True)
class ScoreDelta:
    """One figure in both reports (None: undefined there, e.g. no matched pair)."""

    kind: str
    name: str
    old: float | None
    new: float | None

    @property
    def delta(self) -> float | None:
        return None if self.old is None or self.new is None else self.new - self.old


@dataclass(frozen=True, slots=True)
class LabelChange:
    """A record whose verdict differs between the two reports."""

    doc_id: str
    kind: str
    record: str  # short description of the record
    old: str  # verdict in the old report, e.g. "partial(value)", or "—" (no such record)
    new: str
    status: Status


@dataclass(slots=True)
class ReportDiff:
    """Everything ``llmx diff`` shows."""

    scores: list[ScoreDelta] = field(default_factory=list)
    changes: list[LabelChange] = field(default_factory=list)
    only_old: list[str] = field(default_factory=list)  # documents in the old report only
    only_new: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def figures(scores: KindScores) -> list[tuple[str, float | None]]:
    """The figures of one kind that a diff compares, in display order."""
    rows: list[tuple[str, float | None]] = [
        ("strict P", scores.strict.precision),
        ("strict R", scores.strict.recall),
        ("strict F1", scores.strict.f1),
        ("partial F1", scores.partial.f1),
        ("macro F1", scores.macro_strict.f1),
        ("grounding", scores.grounding),
    ]
    rows += [(f"field {name}", value) for name, value in scores.fields.items()]
    return rows


def _verdict(label: str | None, fields: tuple[str, ...]) -> str:
    if label is None:
        return "—"
    return f"{label}({','.join(fields)})" if fields else label


def _describe(scorer: Scorer, row: Row, old_preds: dict, new_preds: dict) -> str:
    for preds, index in ((new_preds, row.b), (old_preds, row.a)):
        if index is not None:
            return summarize(scorer, row.kind, preds.get(row.kind, [])[index])
    return f"gold #{row.gold}"


def diff_reports(old: EvalReport, new: EvalReport, scorer: Scorer | None = None) -> ReportDiff:
    """Score deltas per kind and field, and records whose verdict changed (old -> new).

    ``scorer`` defaults to the scorer of the task the new report names."""
    scorer = scorer or scorer_for(new.provenance.task)
    out = ReportDiff()
    if old.provenance.task != new.provenance.task:
        out.warnings.append(
            f"the reports are of different tasks ({old.provenance.task} vs "
            f"{new.provenance.task}): only figures of shared kinds compare"
        )
    if old.provenance.hashes.gold != new.provenance.hashes.gold:
        out.warnings.append("the gold differs between the reports: a change may be the gold's")
    docs_old, docs_new = old.provenance.hashes.documents, new.provenance.hashes.documents
    if any(docs_new.get(k, v) != v for k, v in docs_old.items()):
        out.warnings.append("some document texts differ between the reports")
    present = set(old.summary) | set(new.summary)
    order = [k for k in scorer.kinds if k in present] + sorted(present - set(scorer.kinds))
    for kind in order:
        a, b = old.summary.get(kind), new.summary.get(kind)
        fa = dict(figures(a)) if a else {}
        fb = dict(figures(b)) if b else {}
        names = list(fa) + [n for n in fb if n not in fa]
        out.scores += [ScoreDelta(kind, n, fa.get(n), fb.get(n)) for n in names]

    by_old = {d.score.doc_id: d for d in old.documents}
    by_new = {d.score.doc_id: d for d in new.documents}
    out.only_old = sorted(set(by_old) - set(by_new))
    out.only_new = sorted(set(by_new) - set(by_old))
    for doc_id in sorted(set(by_old) & set(by_new)):
        a_doc, b_doc = by_old[doc_id], by_new[doc_id]
        rows = join_rows(scorer, a_doc.score, b_doc.score, a_doc.predictions, b_doc.predictions)
        for row in rows:
            if row.status == "same":
                continue
            out.changes.append(
                LabelChange(
                    doc_id,
                    row.kind,
                    _describe(scorer, row, a_doc.predictions, b_doc.predictions),
                    _verdict(row.label_a, row.fields_a),
                    _verdict(row.label_b, row.fields_b),
                    row.status,
                )
            )
    return out


# --------------------------------------------------------------------------- rendering


def format_delta(d: ScoreDelta, tolerance: float) -> Text:
    """``old → new (+Δ)``, green up / red down only where ``|Δ| > tolerance``."""
    if d.old is None and d.new is None:
        return Text("—")
    if d.old is None or d.new is None:
        return Text(f"{_num(d.old)} → {_num(d.new)}")
    delta = d.new - d.old
    if delta == 0:
        return Text(f"{d.new:.3f}")
    style = ""
    if abs(delta) > tolerance:
        style = "green" if delta > 0 else "red"
    return Text(f"{d.old:.3f} → {d.new:.3f} ({delta:+.3f})", style=style)


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def render_diff(diff: ReportDiff, console: Console, tolerance: float = 0.01) -> None:
    """Print the diff: warnings, the score table, then the records whose verdict changed.

    Plain aligned lines, never cut (every doc id in full); colour only on a terminal."""
    for warning in diff.warnings:
        console.print(Text(f"warning: {warning}", style="yellow"), soft_wrap=True)
    console.print(Text("scores: old → new (Δ)", style="bold"))
    rows = [[Text("kind", style="bold"), Text("figure", style="bold"), Text("old → new (Δ)")]]
    last = None
    for d in diff.scores:
        rows.append(
            [Text(d.kind if d.kind != last else ""), Text(d.name), format_delta(d, tolerance)]
        )
        last = d.kind
    for line in aligned(rows):
        console.print(line, soft_wrap=True)
    console.print()

    for name, ids in (("old", diff.only_old), ("new", diff.only_new)):
        if ids:
            console.print(Text(f"only in the {name} report: {', '.join(ids)}"), soft_wrap=True)
    if not diff.changes:
        console.print(Text("no record changed its verdict"))
        return
    n = {s: sum(c.status == s for c in diff.changes) for s in ("regression", "improvement")}
    n_other = len(diff.changes) - n["regression"] - n["improvement"]
    console.print(
        Text(
            f"records whose verdict changed: {len(diff.changes)} ({n['regression']} worse ▼, "
            f"{n['improvement']} better ▲, {n_other} otherwise changed •)",
            style="bold",
        ),
        soft_wrap=True,
    )
    colour = {"regression": "red", "improvement": "green"}
    rows = [[Text(h, style="bold") for h in ("", "doc", "kind", "record", "old → new")]]
    for c in diff.changes:
        style = colour.get(c.status, "")
        rows.append(
            [
                Text(STATUS_MARK[c.status], style=style),
                Text(c.doc_id),
                Text(c.kind),
                Text(c.record),
                Text(f"{c.old} → {c.new}", style=style),
            ]
        )
    for line in aligned(rows):
        console.print(line, soft_wrap=True)
