"""The eval report (``llmx eval --json``/``--report``) as page data: scores per kind, per-field
accuracy, and each document's labelled pairs with the gold and predicted records summarised.

The report embeds the predicted records but only hashes of the gold, so gold records are read
from the gold folder (the report's dataset, or ``--gold``) when its files still hash the same.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from llmx.core.results import DocResult
from llmx.evaluation.gold import GoldDoc, read_gold
from llmx.evaluation.labels import KindScores
from llmx.evaluation.report import DocReport, EvalReport, sha256_file
from llmx.htmlreport.model import DocView, EvalView, PairView, ScoreRow, show
from llmx.tasks import Task


def load_gold_docs(
    report: EvalReport, task: Task, gold_dir: Path | None
) -> tuple[dict[str, GoldDoc], list[str]]:
    """Gold documents by id whose files still match the report's hashes, and notes on the rest."""
    folder = gold_dir or Path(report.provenance.dataset) / "gold"
    wanted = report.provenance.hashes.gold_files
    if not wanted:
        return {}, []
    if not folder.is_dir():
        return {}, [f"gold folder {folder} not found (give --gold): missed records shown by index"]
    docs: dict[str, GoldDoc] = {}
    changed: list[str] = []
    for name, digest in wanted.items():
        path = folder / name
        try:
            if sha256_file(path) != digest:
                changed.append(name)
                continue
            gold = read_gold(path, task)
        except (OSError, ValueError):
            changed.append(name)
            continue
        docs[gold.doc_id] = gold
    notes = []
    if changed:
        notes.append(
            f"{len(changed)} gold file(s) in {folder} missing or changed since the eval "
            f"({', '.join(changed[:5])}{'…' if len(changed) > 5 else ''}): their gold records "
            "are shown by index"
        )
    return docs, notes


def _summary(task: Task, kind: str, record: Mapping[str, Any] | None, index: int | None) -> str:
    if index is None:
        return ""
    if record is None:
        return f"#{index}"
    try:
        return show(task.summarize(kind, record))
    except Exception as exc:
        return f"#{index} (summarize failed: {type(exc).__name__})"


def pairs(
    task: Task,
    kinds: tuple[str, ...],
    doc: DocReport,
    gold: GoldDoc | None,
    view: DocView | None,
    result: DocResult | None,
) -> list[PairView]:
    """The document's pairs; a prediction identical to the run's record links to it (and the
    run's record gets the verdict)."""
    out: list[PairView] = []
    records = {r.key: r for r in view.records} if view is not None else {}
    for p in doc.score.pairs:
        preds = doc.predictions.get(p.kind, [])
        golds = gold.records(p.kind) if gold else []
        pred = preds[p.pred] if p.pred is not None and p.pred < len(preds) else None
        g = golds[p.gold] if p.gold is not None and p.gold < len(golds) else None
        dom_id = ""
        if pred is not None and p.pred is not None and result is not None and p.kind in kinds:
            ran = result.records(p.kind)
            record = records.get(f"{kinds.index(p.kind)}_{p.pred}")
            if record is not None and p.pred < len(ran) and ran[p.pred] == pred:
                dom_id = record.dom_id
                record.label = p.label
        out.append(
            PairView(
                kind=p.kind,
                label=p.label,
                gold="" if p.label in ("spurious",) else _summary(task, p.kind, g, p.gold),
                pred=_summary(task, p.kind, pred, p.pred),
                pred_dom_id=dom_id,
                fields=list(p.fields),
                other_fields=list(p.other_fields),
                similarity=p.similarity,
            )
        )
    return out


def score_rows(summary: Mapping[str, KindScores]) -> list[ScoreRow]:
    rows: list[ScoreRow] = []
    for kind, s in summary.items():
        c = s.counts
        rows.append(
            ScoreRow(kind, "strict", *_prf(s.strict), c.tp, c.fp, c.fn, grounded=s.grounding)
        )
        rows.append(ScoreRow(kind, "partial", *_prf(s.partial)))
        rows.append(ScoreRow(kind, "macro strict", *_prf(s.macro_strict)))
        for group, gc in s.groups.items():
            rows.append(
                ScoreRow(f"{kind} · {group}", "strict", *_prf(gc.strict), gc.tp, gc.fp, gc.fn)
            )
    return rows


def _prf(x: Any) -> tuple[float, float, float]:
    return x.precision, x.recall, x.f1


def eval_view(
    report: EvalReport,
    path: str,
    task: Task,
    kinds: tuple[str, ...],
    docs: Mapping[str, DocView],
    results: Mapping[str, DocResult],
    gold_dir: Path | None = None,
) -> EvalView:
    """Fill ``docs``' pairs and F1 from the report; documents it scored that the run lacks are
    returned as orphans."""
    prov = report.provenance
    gold, notes = load_gold_docs(report, task, gold_dir)
    if prov.task != task.name:
        notes.append(f"the eval is of task {prov.task!r}, the run of {task.name!r}")
    orphans: list[tuple[str, list[PairView]]] = []
    for doc in report.documents:
        doc_id = doc.score.doc_id
        view = docs.get(doc_id)
        found = pairs(task, kinds, doc, gold.get(doc_id), view, results.get(doc_id))
        if view is None:
            orphans.append((show(doc_id), found))
            continue
        view.pairs = found
        view.f1 = {k: s.strict.f1 for k, s in doc.scores.items()}
    return EvalView(
        path=show(path),
        about=[
            ("task", prov.task),
            ("dataset", show(prov.dataset)),
            ("backend", prov.backend or "–"),
            ("predictions", show(prov.predictions or "–")),
            ("created", prov.created_at),
            ("llmx", prov.llmx_version),
        ],
        scores=score_rows(report.summary),
        fields=[(k, f, a) for k, s in report.summary.items() for f, a in s.fields.items()],
        links=[(k, f, a) for k, s in report.summary.items() for f, a in s.links.items()],
        gates=[
            (f"{g.name}: {g.kind} {g.mode} {g.figure} {g.value:.3f} ≥ {g.threshold:.3f}", g.passed)
            for g in report.gates
        ],
        warnings=[show(w) for w in report.warnings],
        notes=notes,
        orphans=orphans,
    )
