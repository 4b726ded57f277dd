"""The report's plain data: documents with their text cut into highlighted segments, records,
the task's edges and the eval verdicts. No HTML here (``render.py`` draws this).
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, get_args

from llmx.core.results import DocResult, Grounding
from llmx.htmlreport.segments import Mark, Segment, displayable, segments, valid
from llmx.tasks import Task
from llmx.text.lookup import TextFinder, TextState

GROUNDINGS: tuple[str, ...] = get_args(Grounding)
_HIDDEN_FIELDS = frozenset({"span", "evidence_span", "grounding"})
_VALUE_CHARS = 160  # a field value longer than this is cut in the page (size: 2000 docs)
_FIELD_COLUMNS = 4  # input fields shown as index columns (the rest in each document)

TEXT_NOTES: dict[TextState, str] = {
    "verified": "",
    "unverified": "the run has no text hash (an older run): spans are shown unchecked",
    "changed": "the text found differs from the one extracted (hash mismatch): spans not shown",
    "missing": "source text not found (give the inputs with --inputs): spans not shown",
}


@dataclass(slots=True)
class RecordView:
    """One record as the page lists it."""

    dom_id: str  # element id in the page
    key: str  # "<kind index>_<record index>", unique within its document
    kind: str
    summary: str
    grounding: str
    span: tuple[int, int] | None  # None: absent or outside the text
    evidence_span: tuple[int, int] | None
    fields: list[tuple[str, str]]
    problems: list[str] = field(default_factory=list)
    label: str = ""  # the eval's verdict on this record, when the eval scored it


@dataclass(slots=True)
class PairView:
    """One labelled pair of the eval (gold record, predicted record, or both)."""

    kind: str
    label: str
    gold: str  # the gold record's one-line summary ("" when none)
    pred: str
    pred_dom_id: str  # the run's record it is, when the page shows it
    fields: list[str]  # key fields that differ
    other_fields: list[str]
    similarity: float


@dataclass(slots=True)
class DocView:
    """One document of the run."""

    dom_id: str
    doc_id: str
    source: str
    status: str
    error: str
    counts: dict[str, int]
    fields: list[tuple[str, str]]
    text_state: TextState
    text_note: str
    text_where: str
    length: int | None
    segments: list[Segment]
    records: list[RecordView]
    warnings: list[str]
    meta: list[tuple[str, str]]
    pairs: list[PairView] | None = None
    f1: dict[str, float] | None = None  # the eval's strict F1 per kind


@dataclass(slots=True)
class Edge:
    """One source -> target relation summed over the run (from the task's ``edges`` hook)."""

    source: str
    target: str
    measures: dict[str, float]
    docs: int = 0

    def weight(self, measure: str) -> float:
        return self.measures.get(measure, 0.0)


@dataclass(slots=True)
class Edges:
    title: str
    measure: str  # the measure that weighs the edges (the first the hook names)
    edges: list[Edge]
    problems: list[str] = field(default_factory=list)


@dataclass(slots=True)
class ScoreRow:
    kind: str
    scoring: str
    p: float
    r: float
    f1: float
    tp: int | None = None
    fp: int | None = None
    fn: int | None = None
    grounded: float | None = None


@dataclass(slots=True)
class EvalView:
    path: str
    about: list[tuple[str, str]]
    scores: list[ScoreRow]
    fields: list[tuple[str, str, float | None]]  # kind, field, accuracy
    links: list[tuple[str, str, float | None]]
    gates: list[tuple[str, bool]]
    warnings: list[str]
    notes: list[str]
    orphans: list[tuple[str, list[PairView]]]  # documents scored but not in the run


@dataclass(slots=True)
class Page:
    title: str
    run: str
    task: str
    kinds: tuple[str, ...]
    groundings: tuple[str, ...]
    statuses: tuple[str, ...]
    text_states: tuple[str, ...]
    field_columns: list[str]
    docs: list[DocView]
    edges: Edges | None
    eval: EvalView | None
    notes: list[str]

    @property
    def records(self) -> int:
        return sum(len(d.records) for d in self.docs)


# -- documents -----------------------------------------------------------------------------


def show(value: Any) -> str:
    """A field value as one short line (strings as they are, the rest as JSON)."""
    if isinstance(value, str):
        text = value
    else:
        text = json.dumps(value, ensure_ascii=False, default=str, separators=(", ", ": "))
    text = displayable(text)
    return text if len(text) <= _VALUE_CHARS else text[: _VALUE_CHARS - 1] + "…"


def _span(value: Any, length: int | None) -> tuple[tuple[int, int] | None, str]:
    """A record's span if it slices the text, else None and why (empty: no span at all)."""
    if value is None:
        return None, ""
    if not (isinstance(value, list | tuple) and len(value) == 2):
        return None, f"malformed span {show(value)}"
    start, end = value
    if length is None:
        return (start, end) if valid(start, end, math.inf) else None, ""
    if valid(start, end, length):
        return (start, end), ""
    return None, f"span {show(list(value))} does not slice the text (length {length})"


def _summary(task: Task, kind: str, record: Mapping[str, Any]) -> str:
    try:
        return displayable(task.summarize(kind, record))
    except Exception as exc:  # a task's hook on an odd record: say so, keep the page
        return f"(summarize failed: {type(exc).__name__})"


def record_view(
    task: Task,
    doc_dom: str,
    k: int,
    i: int,
    kind: str,
    record: Mapping[str, Any],
    length: int | None,
) -> RecordView:
    span, problem = _span(record.get("span"), length)
    # the quote is the highlighted evidence when the text is shown: not repeated in the fields
    quote = task.records[kind].quote if kind in task.records and length is not None else None
    hidden = _HIDDEN_FIELDS | {quote}
    evidence, evidence_problem = _span(record.get("evidence_span"), length)
    key = f"{k}_{i}"
    return RecordView(
        dom_id=f"{doc_dom}_{key}",
        key=key,
        kind=kind,
        summary=_summary(task, kind, record),
        grounding=str(record.get("grounding") or "unknown"),
        span=span,
        evidence_span=evidence,
        fields=[
            (show(n), show(v))
            for n, v in record.items()
            if n not in hidden and v is not None and v != [] and v != ""
        ],
        problems=[p for p in (problem, evidence_problem) if p],
    )


def doc_view(
    task: Task, kinds: tuple[str, ...], n: int, result: DocResult, finder: TextFinder
) -> DocView:
    found = finder.find(result)
    text = displayable(found.text) if found.text is not None else None
    length = len(text) if text is not None else None
    dom = f"d{n}"
    records = [
        record_view(task, dom, k, i, kind, rec, length)
        for k, kind in enumerate(kinds)
        for i, rec in enumerate(result.records(kind))
    ]
    marks = [
        Mark(s[0], s[1], r.key, role)
        for r in records
        for role, s in (("anchor", r.span), ("evidence", r.evidence_span))
        if s is not None
    ]
    meta = result.meta
    about = [
        ("backend", meta.backend),
        ("model", meta.model or "–"),
        ("mode", meta.mode or "–"),
        ("chunks", str(meta.chunks)),
        ("elapsed", f"{meta.elapsed_s:.2f} s"),
    ]
    return DocView(
        dom_id=dom,
        doc_id=displayable(result.doc_id),
        source=displayable(result.source),
        status=result.status,
        error=displayable(f"{result.error.type}: {result.error.message}") if result.error else "",
        counts={kind: len(result.records(kind)) for kind in kinds},
        fields=[(show(k), show(v)) for k, v in result.fields.items()],
        text_state=found.state,
        text_note=TEXT_NOTES[found.state],
        text_where=displayable(found.where),
        length=length,
        segments=segments(text, marks) if text is not None else [],
        records=records,
        warnings=[displayable(w) for w in meta.warnings],
        meta=about,
    )


def field_columns(results: Iterable[DocResult]) -> list[str]:
    """The input fields most documents carry (url, date...), shown as index columns."""
    seen = Counter(name for r in results for name in r.fields)
    return [name for name, _ in seen.most_common(_FIELD_COLUMNS)]  # ties: first seen first


# -- edges ---------------------------------------------------------------------------------


def collect_edges(task: Task, results: Iterable[DocResult]) -> Edges | None:
    """Sum the task's ``edges(records)`` over the run's documents; None without the hook."""
    hook = task.hook("edges")
    if hook is None:
        return None
    title = ((hook.__doc__ or "").strip().splitlines() or ["source → target"])[0]
    by_pair: dict[tuple[str, str], Edge] = {}
    measure = ""
    problems: list[str] = []
    for r in results:
        if r.status != "ok":
            continue
        try:
            items = list(hook({k: r.records(k) for k in task.kinds}))
        except Exception as exc:  # one odd document must not lose the chart
            problems.append(f"{r.doc_id}: edges hook failed: {type(exc).__name__}: {exc}")
            continue
        touched: set[tuple[str, str]] = set()
        for source, target, measures in items:
            pair = (displayable(str(source)), displayable(str(target)))
            edge = by_pair.setdefault(pair, Edge(*pair, {}))
            for name, amount in measures.items():
                measure = measure or str(name)
                edge.measures[str(name)] = edge.measures.get(str(name), 0.0) + float(amount)
            touched.add(pair)
        for pair in touched:
            by_pair[pair].docs += 1
    edges = sorted(by_pair.values(), key=lambda e: (-e.weight(measure), e.source, e.target))
    return Edges(title=title, measure=measure, edges=edges, problems=problems[:20])
