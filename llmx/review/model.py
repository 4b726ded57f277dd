"""The review view-model: gold | run A | run B aligned per document. No Textual, no I/O.

Alignment is the scorer's (:func:`llmx.evaluation.scoring.score_document`), never redone here:

- with gold, run A and run B are each scored against the gold and their pairs are joined on the
  gold record; records neither run could pair with gold (spurious) are put on one row when the
  scorer aligns A's to B's (A's treated as gold);
- without gold, run B is scored against run A as if A were gold: ``missed`` reads "in A only",
  ``spurious`` "in B only", ``partial`` "changed";
- with one run only, its pairs against gold are the rows (or its bare records, without gold).

A row's *status* says how B differs from A: ``same``, ``changed``, ``regression`` or
``improvement``. With gold a regression is a worse verdict for B (match > partial > wrong);
without gold, A is the baseline and a regression is an A record that B lost or changed. With a
single run and gold, every record the run got wrong counts as a regression (so ``n``/``p`` walk
through the errors).
"""

from __future__ import annotations

import dataclasses
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from rich.cells import cell_len

from llmx.evaluation.labels import Counts, DocScore, Label, Pair
from llmx.evaluation.scoring import Scorer, span_of
from llmx.quantities import show_number

Records = Mapping[str, Sequence[Mapping[str, Any]]]
Status = Literal["same", "changed", "regression", "improvement"]
SortKey = Literal["f1", "id", "change"]
SORT_KEYS: tuple[SortKey, ...] = ("id", "f1", "change")

STATUS_MARK: dict[str, str] = {"same": " ", "changed": "•", "regression": "▼", "improvement": "▲"}
LABEL_MARK: dict[str, str] = {
    "match": "=",
    "partial": "~",
    "spurious": "+",
    "missed": "-",
    "duplicate": "2",
}
"""One-character tags written before a record, so labels read without colour."""

LABEL_COLOUR: dict[str, str] = {
    "match": "green",
    "partial": "yellow",
    "spurious": "red",
    "missed": "magenta",
    "duplicate": "cyan",
}

_RANK = {"match": 2, "partial": 1}  # every other verdict (or no record at all) ranks 0


@dataclass(frozen=True, slots=True)
class Row:
    """One aligned line: a gold record and what each run made of it.

    Attributes:
        kind: The record kind (one of the task's).
        gold: Index into the gold records of that kind (None: no gold record on this row).
        a: Index into run A's records of that kind, or None.
        b: Index into run B's records of that kind, or None.
        label_a: A's verdict against gold (None without gold).
        label_b: B's verdict against gold, or against A when there is no gold.
        fields_a: Key fields A got wrong (``partial``), likewise ``fields_b``.
        other_a: Non-key fields A got wrong, likewise ``other_b``.
        status: How B differs from A (see the module docstring).
        depth: How deep the row sits in the tree the task's links draw (see :func:`as_tree`).
    """

    kind: str
    gold: int | None
    a: int | None
    b: int | None
    label_a: Label | None = None
    label_b: Label | None = None
    fields_a: tuple[str, ...] = ()
    fields_b: tuple[str, ...] = ()
    other_a: tuple[str, ...] = ()
    other_b: tuple[str, ...] = ()
    status: Status = "same"
    depth: int = 0  # nesting in the record tree (a partnership's initiative is 1, its metric 2)

    @property
    def label(self) -> Label | None:
        """The verdict that colours the row: B's when there is a B, else A's."""
        return self.label_b if self.label_b is not None else self.label_a


@dataclass(slots=True)
class DocView:
    """Everything the review shows for one document.

    ``gold`` is None without gold; ``b`` is None without a second run. ``score_a`` and
    ``score_b`` are the scorer's verdicts (against gold; without gold ``score_b`` is B against
    A and ``score_a`` is None).
    """

    doc_id: str
    source: str
    text: str | None
    a: dict[str, list[dict[str, Any]]]
    b: dict[str, list[dict[str, Any]]] | None = None
    gold: dict[str, list[dict[str, Any]]] | None = None
    score_a: DocScore | None = None
    score_b: DocScore | None = None
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # e.g. text not found, digest mismatch
    edited: bool = False  # the gold shown is a reviewer's proposal
    scorer: Scorer | None = None  # the task's scorer (kinds, summaries, link maps)

    @property
    def counts_a(self) -> Counts | None:
        return _total(self.score_a)

    @property
    def counts_b(self) -> Counts | None:
        return _total(self.score_b)

    @property
    def f1_a(self) -> float | None:
        """Strict F1 of A against gold, over all kinds (None without gold)."""
        c = self.counts_a
        return None if c is None else c.strict.f1

    @property
    def f1_b(self) -> float | None:
        """Strict F1 of B against gold -- or, without gold, B's agreement with A."""
        c = self.counts_b
        return None if c is None else c.strict.f1

    @property
    def f1(self) -> float | None:
        """The F1 the document list shows: B's when there is a B, else A's."""
        return self.f1_b if self.b is not None else self.f1_a

    @property
    def delta(self) -> float | None:
        """F1 of B minus F1 of A (needs gold and two runs)."""
        if self.f1_a is None or self.f1_b is None or self.gold is None:
            return None
        return self.f1_b - self.f1_a

    @property
    def n_changed(self) -> int:
        return sum(r.status != "same" for r in self.rows)

    @property
    def changed(self) -> bool:
        return self.n_changed > 0

    @property
    def regressed(self) -> bool:
        return any(r.status == "regression" for r in self.rows)

    def records(self, column: str, kind: str) -> list[dict[str, Any]]:
        """The records of one column (``gold``, ``a`` or ``b``) and kind."""
        source = {"gold": self.gold, "a": self.a, "b": self.b}[column]
        return list((source or {}).get(kind, []))

    def record(self, row: Row, column: str) -> dict[str, Any] | None:
        """The record a row shows in one column, or None."""
        index = {"gold": row.gold, "a": row.a, "b": row.b}[column]
        return None if index is None else self.records(column, row.kind)[index]


def _total(score: DocScore | None) -> Counts | None:
    if score is None:
        return None
    return sum(score.counts.values(), Counts())


# --------------------------------------------------------------------------- building rows


def _status_vs_gold(label_a: Label | None, label_b: Label | None, same_fields: bool) -> Status:
    rank_a, rank_b = _RANK.get(label_a or "", 0), _RANK.get(label_b or "", 0)
    if rank_b < rank_a:
        return "regression"
    if rank_b > rank_a:
        return "improvement"
    if label_a != label_b or not same_fields:
        return "changed"
    return "same"


def join_rows(
    scorer: Scorer, score_a: DocScore, score_b: DocScore, pred_a: Records, pred_b: Records
) -> list[Row]:
    """Rows of gold | A | B from A's and B's pairs against the same gold.

    Pairs are joined on the gold record; A's and B's duplicates of one gold record are paired
    in order; spurious records of A and B share a row when the scorer aligns them.
    """
    rows: list[Row] = []
    for kind in scorer.kinds:
        pa = [p for p in score_a.pairs if p.kind == kind]
        pb = [p for p in score_b.pairs if p.kind == kind]
        main_a = {p.gold: p for p in pa if p.label in ("match", "partial", "missed")}
        main_b = {p.gold: p for p in pb if p.label in ("match", "partial", "missed")}
        for g in sorted(set(main_a) | set(main_b), key=lambda i: -1 if i is None else i):
            x, y = main_a.get(g), main_b.get(g)
            rows.append(_gold_row(kind, g, x, y))
            dups_a = [p for p in pa if p.label == "duplicate" and p.gold == g]
            dups_b = [p for p in pb if p.label == "duplicate" and p.gold == g]
            for i in range(max(len(dups_a), len(dups_b))):
                da = dups_a[i] if i < len(dups_a) else None
                db = dups_b[i] if i < len(dups_b) else None
                rows.append(_gold_row(kind, g, da, db))
        rows.extend(_spurious_rows(scorer, kind, pa, pb, pred_a, pred_b))
    return rows


def _gold_row(kind: str, g: int | None, x: Pair | None, y: Pair | None) -> Row:
    la, lb = (x.label if x else None), (y.label if y else None)
    fa, fb = (x.fields if x else ()), (y.fields if y else ())
    return Row(
        kind,
        g,
        x.pred if x else None,
        y.pred if y else None,
        la,
        lb,
        fa,
        fb,
        x.other_fields if x else (),
        y.other_fields if y else (),
        _status_vs_gold(la, lb, fa == fb),
    )


def _spurious_rows(
    scorer: Scorer,
    kind: str,
    pa: Sequence[Pair],
    pb: Sequence[Pair],
    pred_a: Records,
    pred_b: Records,
) -> list[Row]:
    """Rows for predictions no gold record took, A's and B's aligned by the scorer."""
    sa = [p.pred for p in pa if p.label == "spurious" and p.pred is not None]
    sb = [p.pred for p in pb if p.label == "spurious" and p.pred is not None]
    ra, rb = list(pred_a.get(kind) or []), list(pred_b.get(kind) or [])
    out: list[Row] = []
    for pair in scorer.align(kind, [ra[i] for i in sa], [rb[j] for j in sb]):
        a = sa[pair.gold] if pair.gold is not None and pair.label != "duplicate" else None
        b = sb[pair.pred] if pair.pred is not None else None
        if a is not None and b is not None:
            status: Status = "changed" if pair.label == "partial" else "same"
            out.append(Row(kind, None, a, b, "spurious", "spurious", status=status))
        elif a is not None:  # gone in B: one false positive fewer
            out.append(Row(kind, None, a, None, "spurious", None, status="improvement"))
        elif b is not None:  # new in B
            out.append(Row(kind, None, None, b, None, "spurious", status="regression"))
    return out


def rows_single(score: DocScore) -> list[Row]:
    """Rows of gold | A for one run scored against gold (errors count as regressions)."""
    return [
        Row(
            p.kind,
            p.gold,
            p.pred,
            None,
            p.label,
            None,
            p.fields,
            (),
            p.other_fields,
            (),
            "same" if p.label == "match" else "regression",
        )
        for p in score.pairs
    ]


_B_VS_A_STATUS: dict[str, Status] = {
    "match": "same",
    "partial": "regression",  # an A record B changed
    "missed": "regression",  # an A record B lost
    "spurious": "changed",  # new in B
    "duplicate": "changed",
}


def rows_b_vs_a(score: DocScore) -> list[Row]:
    """Rows of A | B from B scored against A (no gold): A is the baseline."""
    out = []
    for p in score.pairs:
        status = _B_VS_A_STATUS[p.label]
        a = p.gold if p.label != "duplicate" else None
        out.append(
            Row(p.kind, None, a, p.pred, None, p.label, (), p.fields, (), p.other_fields, status)
        )
    return out


def rows_plain(records: Records, kinds: Sequence[str]) -> list[Row]:
    """Rows for one run with nothing to compare it to."""
    return [Row(kind, None, i, None) for kind in kinds for i in range(len(records.get(kind) or []))]


def build_doc(
    scorer: Scorer,
    doc_id: str,
    source: str,
    text: str | None,
    a: Records,
    b: Records | None = None,
    gold: Records | None = None,
    *,
    errors: tuple[str | None, str | None] = (None, None),
) -> DocView:
    """Score and align one document (see the module docstring for the four cases)."""
    kinds = scorer.kinds
    la = {k: [dict(r) for r in a.get(k) or []] for k in kinds}
    lb = None if b is None else {k: [dict(r) for r in b.get(k) or []] for k in kinds}
    lg = None if gold is None else {k: [dict(r) for r in gold.get(k) or []] for k in kinds}
    view = DocView(doc_id, source, text, la, lb, lg, scorer=scorer)
    if lg is not None:
        view.score_a = scorer.score_document(doc_id, lg, la, text, error=errors[0])
        if lb is not None:
            view.score_b = scorer.score_document(doc_id, lg, lb, text, error=errors[1])
            view.rows = join_rows(scorer, view.score_a, view.score_b, la, lb)
        else:
            view.rows = rows_single(view.score_a)
    elif lb is not None:
        view.score_b = scorer.score_document(doc_id, la, lb, text, error=errors[1])
        view.rows = rows_b_vs_a(view.score_b)
    else:
        view.rows = rows_plain(la, kinds)
    view.rows = as_tree(view)
    return view


def as_tree(view: DocView) -> list[Row]:
    """Rows in the tree the task's links draw: each record right under the record it links to
    (a partnership, its initiatives through ``parent``, each one's metrics through
    ``programme``), depth-first in the original order; unlinked rows keep their place.

    A row is placed by the record of its first column that has one (gold, else A, else B),
    following that column's ids, so a run's own links shape its rows even without gold.
    """
    if view.scorer is None:
        return view.rows
    records = view.scorer.task.records
    if not any(spec.links for spec in records.values()):
        return view.rows
    rows = view.rows
    at: dict[tuple[str, str, str], int] = {}  # (column, kind, id) -> row index
    for i, row in enumerate(rows):
        id_field = records[row.kind].id
        for col in ("gold", "a", "b"):
            rec = view.record(row, col) if getattr(view, col) is not None else None
            if id_field and rec is not None and rec.get(id_field) is not None:
                at.setdefault((col, row.kind, str(rec[id_field])), i)
    parent: dict[int, int] = {}
    for i, row in enumerate(rows):
        first = next(
            (c for c in ("gold", "a", "b") if getattr(view, c) is not None and view.record(row, c)),
            None,
        )
        if first is None:
            continue
        rec = view.record(row, first) or {}
        for link, target in records[row.kind].links.items():
            j = at.get((first, target, str(rec.get(link))))
            if rec.get(link) is not None and j is not None and j != i:
                parent[i] = j
                break
    children: dict[int, list[int]] = {}
    for i, j in parent.items():
        children.setdefault(j, []).append(i)
    out: list[Row] = []
    seen: set[int] = set()

    def visit(i: int, depth: int) -> None:
        if i in seen:  # a cycle of links: show each row once
            return
        seen.add(i)
        out.append(dataclasses.replace(rows[i], depth=depth))
        for k in children.get(i, []):
            visit(k, depth + 1)

    for i in range(len(rows)):
        if i not in parent or not _reaches_root(i, parent):
            visit(i, 0)
    for i in range(len(rows)):  # rows left in a cycle
        visit(i, 0)
    return out


def _reaches_root(i: int, parent: Mapping[int, int]) -> bool:
    seen = {i}
    while i in parent:
        i = parent[i]
        if i in seen:
            return False
        seen.add(i)
    return True


# --------------------------------------------------------------------------- list, navigation


def order_docs(
    docs: Iterable[DocView],
    sort: SortKey = "id",
    *,
    changed_only: bool = False,
    regressions_only: bool = False,
) -> list[DocView]:
    """The document list as shown: filtered, then sorted.

    ``f1``: worst first (documents without a score last); ``change``: biggest F1 drop first
    when gold and two runs give one, else most changed rows first; ``id``: by id.
    """
    shown = [
        d for d in docs if (not changed_only or d.changed) and (not regressions_only or d.regressed)
    ]
    if sort == "f1":
        return sorted(shown, key=lambda d: (d.f1 is None, d.f1 or 0.0, d.doc_id))
    if sort == "change":
        return sorted(
            shown,
            key=lambda d: (
                d.delta if d.delta is not None else 0.0,
                -d.n_changed,
                d.doc_id,
            ),
        )
    return sorted(shown, key=lambda d: d.doc_id)


def find_regression(
    docs: Sequence[DocView], doc: int, row: int, step: Literal[1, -1] = 1
) -> tuple[int, int] | None:
    """The next (``step=1``) or previous regression after position ``(doc, row)``.

    Walks rows of the current document, then the following (or preceding) documents, and
    wraps around; returns ``(doc, row)`` indices into ``docs`` and its rows, or None if there
    is no regression anywhere. ``row=-1`` means "before the first row".
    """
    flat = [(i, j) for i, d in enumerate(docs) for j, r in enumerate(d.rows)
            if r.status == "regression"]  # fmt: skip
    if not flat:
        return None
    here = (doc, row)
    if step == 1:
        later = [p for p in flat if p > here]
        return later[0] if later else flat[0]
    earlier = [p for p in flat if p < here]
    return earlier[-1] if earlier else flat[-1]


# --------------------------------------------------------------------------- showing records


def summarize(view: DocView | Scorer | None, kind: str, record: Mapping[str, Any] | None) -> str:
    """A short one-line description of a record: the task's ``summarize`` hook."""
    if record is None:
        return ""
    scorer = view.scorer if isinstance(view, DocView) else view
    if scorer is None:
        return str(next(iter(record.values()), ""))
    return scorer.task.summarize(kind, record) or "?"


def field_value(record: Mapping[str, Any] | None, name: str) -> str:
    """A field of a record as short text (lists joined with ``、``)."""
    if record is None:
        return "∅"
    value = record.get(name)
    if isinstance(value, list):
        return "、".join(str(v) for v in value) or "[]"
    if name in ("value", "value_max"):
        return show_number(value) if value is not None else "null"
    return "null" if value is None else str(value)


def describe_row(view: DocView, row: Row) -> list[str]:
    """Lines explaining a row: each run's verdict and, field by field, what differs."""
    gold_col = "gold" if view.gold is not None else "a"
    ref = view.record(row, gold_col)
    lines = []
    runs = [("A", "a", row.label_a, row.fields_a, row.other_a)]
    if view.b is not None:
        runs.append(("B", "b", row.label_b, row.fields_b, row.other_b))
    if view.gold is None:
        runs = runs[1:] if view.b is not None else []
    for name, col, label, fields, other in runs:
        if label is None:
            continue
        text = f"{name} {label_word(label, view.gold is not None)}"
        diffs = [
            f"{f}: {field_value(ref, f)} ≠ {field_value(view.record(row, col), f)}"
            for f in (*fields, *other)
        ]
        lines.append(text + (" · " + "; ".join(diffs) if diffs else ""))
    return lines or ["(no verdict: nothing to compare with)"]


def label_word(label: Label, with_gold: bool) -> str:
    """How a verdict reads: scorer's words with gold, run-vs-run words without."""
    if with_gold:
        return label
    return {
        "match": "same",
        "partial": "changed",
        "missed": "lost (in A only)",
        "spurious": "new (in B only)",
        "duplicate": "duplicate in B",
    }[label]


# --------------------------------------------------------------------------- source text


def wrap_offsets(text: str, width: int) -> list[tuple[int, int]]:
    """Split ``text`` into display lines of at most ``width`` terminal cells.

    Returns ``[start, end)`` offsets into ``text`` (newlines excluded), measuring each
    character with rich's cell widths so a Chinese character takes two cells. Breaks happen
    anywhere (Chinese has no spaces to break on).
    """
    width = max(width, 2)
    lines: list[tuple[int, int]] = []
    start = 0
    used = 0
    for i, ch in enumerate(text):
        if ch == "\n":
            lines.append((start, i))
            start, used = i + 1, 0
            continue
        w = cell_len(ch) if ch.isprintable() else 1  # controls are drawn as one space
        if used + w > width and i > start:
            lines.append((start, i))
            start, used = i, 0
        used += w
    lines.append((start, len(text)))
    return lines


def line_of(lines: Sequence[tuple[int, int]], offset: int) -> int:
    """Index of the display line that holds character ``offset`` (the last line starting at
    or before it; a newline belongs to the line it ends)."""
    return max(bisect_right([start for start, _ in lines], offset) - 1, 0)


def span(record: Mapping[str, Any] | None, key: str = "span") -> tuple[int, int] | None:
    """A record's ``[start, end)`` span, or None if missing or malformed."""
    return None if record is None else span_of(record.get(key))


def highlights(view: DocView) -> list[tuple[int, int, str]]:
    """``(start, end, label)`` for every record span of the document, in its row's label.

    Rows without a verdict are tagged ``"none"``; spans beyond the text are dropped.
    """
    limit = len(view.text or "")
    out = []
    for row in view.rows:
        for col in ("gold", "a", "b"):
            s = span(view.record(row, col)) if getattr(view, col) is not None else None
            if s is not None and s[1] <= limit:
                out.append((s[0], s[1], row.label or "none"))
    return sorted(set(out))


def evidence_of(view: DocView, row: Row) -> tuple[int, int] | None:
    """Where to scroll for a row: the evidence of B, else A, else gold."""
    for col in ("b", "a", "gold"):
        if getattr(view, col) is None:
            continue
        s = span(view.record(row, col), "evidence_span") or span(view.record(row, col))
        if s is not None:
            return s
    return None


def id_links(view: DocView, column: str) -> dict[str, dict[str, str]]:
    """Per kind with ids: a run's id -> the gold id it was aligned to (to carry a run's
    links over into gold)."""
    score = view.score_b if column == "b" else view.score_a
    if score is None or view.gold is None or view.scorer is None:
        return {}
    return {
        kind: view.scorer.id_links(
            kind, score.pairs, view.records("gold", kind), view.records(column, kind)
        )
        for kind, spec in view.scorer.task.records.items()
        if spec.id
    }
