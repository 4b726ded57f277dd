"""Score predicted records against gold records: pure functions of a task's spec, no I/O.

How a document is scored, for every record kind of the task (kinds that are linked to first):

1. Every (gold, prediction) pair gets a *record similarity* in [0, 1]: the task's scoring spec
   (:mod:`llmx.evaluation.spec`) weighs a location similarity (their spans overlap, or their
   quotes are alike) and one similarity per scored field, each from a named comparator
   (:mod:`llmx.evaluation.comparators`). A pair is *admissible* only if one of the spec's
   ``admit`` floors is reached (e.g. the two records sit on the same stretch of text) and the
   similarity reaches the spec's ``min_similarity``.
2. Admissible pairs are aligned by maximum-weight bipartite matching
   (``scipy.optimize.linear_sum_assignment``) on records sorted into a canonical order, so the
   result does not depend on the order records were written in -- unlike greedy matching.
3. A matched pair whose *key fields* all agree is a ``match``; otherwise a ``partial`` listing
   the key fields that differ (a wrong value on the right span is ``partial("value",)``, not a
   spurious plus a missed record). An unmatched prediction that repeats a matched gold record
   (same normalised anchor and quote) is a ``duplicate``; other unmatched predictions are
   ``spurious``, unmatched gold records ``missed``.
4. Link fields (``RECORDS[kind]["links"]``) are judged through the alignment of the kind they
   point to: a predicted link is right when the record it names was matched to the gold
   record the gold link names, whatever ids the model chose.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from statistics import fmean
from typing import Any

import numpy as np
from rapidfuzz import fuzz
from scipy.optimize import linear_sum_assignment

from llmx.evaluation import normalize as norm
from llmx.evaluation.comparators import Comparator, Context, resolve, text_similarity
from llmx.evaluation.labels import PRF, Counts, DocScore, KindScores, Pair, Tally, prf
from llmx.evaluation.spec import ANY, KindScoring
from llmx.tasks import RecordSpec, Task, TaskError, load_task

Record = Mapping[str, Any]
Span = tuple[int, int]
LinkMap = Mapping[str, str]
"""Predicted id -> id of the gold record it was matched to (one linked kind)."""


# --------------------------------------------------------------------------- spans


def span_of(value: Any) -> Span | None:
    """A ``[start, end)`` pair of ints with ``start < end``, else None (missing or malformed)."""
    if not isinstance(value, list | tuple) or len(value) != 2:
        return None
    start, end = value
    if isinstance(start, bool) or isinstance(end, bool):
        return None
    if not isinstance(start, int) or not isinstance(end, int) or not 0 <= start < end:
        return None
    return start, end


def iou(a: Span | None, b: Span | None) -> float:
    """Intersection over union of two spans (0 when either is missing)."""
    if a is None or b is None:
        return 0.0
    inter = min(a[1], b[1]) - max(a[0], b[0])
    if inter <= 0:
        return 0.0
    return inter / (max(a[1], b[1]) - min(a[0], b[0]))


def containment(a: Span | None, b: Span | None) -> float:
    """Overlap divided by the shorter span: 1.0 when one span lies inside the other."""
    if a is None or b is None:
        return 0.0
    inter = min(a[1], b[1]) - max(a[0], b[0])
    if inter <= 0:
        return 0.0
    return inter / min(a[1] - a[0], b[1] - b[0])


def location(gold: Record, pred: Record, spec: RecordSpec) -> float:
    """How much two records are about the same stretch of text, in [0, 1].

    With spans on both sides: the IoU of the anchors, else the quote overlap (weighted lower
    unless the anchors read the same -- the same number grounded to another occurrence).
    A prediction without spans is placed by its quotes instead.
    """
    gs, ps = span_of(gold.get("span")), span_of(pred.get("span"))
    ge, pe = span_of(gold.get("evidence_span")), span_of(pred.get("evidence_span"))
    same_anchor = norm.loose(gold.get(spec.anchor)) == norm.loose(pred.get(spec.anchor))
    if (gs or ge) and (ps or pe):
        return max(iou(gs, ps), containment(ge, pe) * (0.9 if same_anchor else 0.5))
    anchor_sim = (
        1.0 if same_anchor else text_similarity(gold.get(spec.anchor), pred.get(spec.anchor))
    )
    g_ev, p_ev = norm.text(gold.get(spec.quote)), norm.text(pred.get(spec.quote))
    ev_sim = fuzz.partial_ratio(g_ev, p_ev) / 100.0 if g_ev and p_ev else 0.0
    return anchor_sim * ev_sim


def is_grounded(record: Record, text: str, spec: RecordSpec) -> bool:
    """Do the record's spans slice ``text`` to its quotes (after normalisation)?

    ``evidence_span`` must slice to the quote; ``span`` must slice to text containing the
    anchor -- or, for kinds whose anchor is optional (a name that is not verbatim), may be
    absent or repeat the evidence span. Pinyin glued into the source (``協(xié)作``) is ignored
    on both sides.
    """
    ev_span = span_of(record.get("evidence_span"))
    quote = norm.loose(record.get(spec.quote))
    if ev_span is None or ev_span[1] > len(text) or not quote:
        return False
    if quote not in norm.loose(text[ev_span[0] : ev_span[1]]):
        return False
    span = span_of(record.get("span"))
    anchor = norm.loose(record.get(spec.anchor))
    if (
        span is not None
        and span[1] <= len(text)
        and anchor
        and anchor in norm.loose(text[span[0] : span[1]])
    ):
        return True
    if spec.anchor_required:
        return False
    return span is None or span == ev_span


# --------------------------------------------------------------------------- record compare


@dataclass(frozen=True, slots=True)
class Compared:
    """How a gold and a predicted record compare."""

    similarity: float
    admissible: bool
    equal: dict[str, bool]  # every scored field -> agrees?


def _canonical_order(records: Sequence[Record]) -> list[int]:
    """Indices of ``records`` sorted by content, so input order cannot change the alignment."""
    keys = [json.dumps(r, sort_keys=True, ensure_ascii=False, default=str) for r in records]
    return sorted(range(len(records)), key=lambda i: (keys[i], i))


def _reaches(value: float, floor: float | str) -> bool:
    return value > 0 if floor == ANY else value >= float(floor)


class Scorer:
    """Scores records of one task: every kind, field and link as its spec says."""

    def __init__(self, task: Task) -> None:
        self.task = task
        self.kinds: tuple[str, ...] = task.kinds
        self.comparators = resolve(task.hook("COMPARATORS"))
        for kind, ks in task.scoring.items():
            for rule in ks.fields:
                if rule.compare not in self.comparators:
                    raise TaskError(
                        f"task {task.name}: SCORING[{kind!r}][{rule.name!r}] uses comparator "
                        f"{rule.compare!r}; known: {', '.join(sorted(self.comparators))}"
                    )

    # -- one pair ----------------------------------------------------------------------------

    def compare(self, kind: str, gold: Record, pred: Record, ctx: Context) -> Compared:
        """Field-by-field comparison of two records of ``kind``."""
        ks: KindScoring = self.task.scoring[kind]
        spec = self.task.records[kind]
        equal: dict[str, bool] = {}
        sims: dict[str, float] = {}
        for rule in ks.fields:
            comparator: Comparator = self.comparators[rule.compare]
            equal[rule.name], sims[rule.name] = comparator(gold, pred, rule, ctx)
        loc = location(gold, pred, spec)
        similarity = ks.location * loc + sum(r.weight * sims[r.name] for r in ks.fields)
        reached = {"location": loc, **sims}
        admissible = any(_reaches(reached[name], floor) for name, floor in ks.admit.items())
        return Compared(similarity, admissible and similarity >= ks.min_similarity, equal)

    def context(self, kind: str, links: Mapping[str, LinkMap]) -> Context:
        return Context(links=links, link_targets=self.task.records[kind].links)

    # -- one kind ----------------------------------------------------------------------------

    def align(
        self,
        kind: str,
        gold: Sequence[Record],
        pred: Sequence[Record],
        links: Mapping[str, LinkMap] | None = None,
    ) -> list[Pair]:
        """Label every gold and predicted record of one kind (see the module docstring)."""
        ks = self.task.scoring[kind]
        ctx = self.context(kind, links or {})
        g_order, p_order = _canonical_order(gold), _canonical_order(pred)
        table = [[self.compare(kind, gold[g], pred[p], ctx) for p in p_order] for g in g_order]

        weights = np.zeros((len(gold), len(pred)))
        for i, row in enumerate(table):
            for j, c in enumerate(row):
                if c.admissible:
                    # a hair for each agreeing key field breaks ties towards the stricter match
                    agree = sum(c.equal[f] for f in ks.key_fields)
                    weights[i, j] = c.similarity + 1e-6 * agree
        rows, cols = linear_sum_assignment(weights, maximize=True) if weights.size else ([], [])

        pairs: list[Pair] = []
        matched_g: dict[int, int] = {}  # canonical gold row -> canonical pred col
        for i, j in zip(rows, cols, strict=True):
            c = table[i][j]
            if not c.admissible:
                continue
            matched_g[int(i)] = int(j)
            pairs.append(self._matched(kind, g_order[i], p_order[j], c.equal, c.similarity))

        used_p = set(matched_g.values())
        spec = self.task.records[kind]
        for j in range(len(pred)):
            if j in used_p:
                continue
            rep = _repeats(spec, table, matched_g, gold, pred, g_order, p_order, j)
            if rep is None:
                pairs.append(Pair(kind, "spurious", None, p_order[j]))
            else:
                pairs.append(
                    Pair(kind, "duplicate", g_order[rep], p_order[j], (), table[rep][j].similarity)
                )
        for i in range(len(gold)):
            if i not in matched_g:
                pairs.append(Pair(kind, "missed", g_order[i], None))
        return pairs

    def _matched(
        self, kind: str, g: int, p: int, equal: Mapping[str, bool], similarity: float
    ) -> Pair:
        ks = self.task.scoring[kind]
        wrong = tuple(f for f in ks.key_fields if not equal[f])
        other = tuple(f for f in ks.field_names if f not in ks.key_fields and not equal[f])
        return Pair(kind, "partial" if wrong else "match", g, p, wrong, round(similarity, 6), other)

    def id_links(
        self, kind: str, pairs: Sequence[Pair], gold: Sequence[Record], pred: Sequence[Record]
    ) -> dict[str, str]:
        """Predicted id -> gold id, from the matched pairs of a kind that has ids."""
        id_field = self.task.records[kind].id
        out: dict[str, str] = {}
        if id_field is None:
            return out
        for pair in pairs:
            if pair.kind == kind and pair.label in ("match", "partial"):
                assert pair.gold is not None and pair.pred is not None
                pid, gid = pred[pair.pred].get(id_field), gold[pair.gold].get(id_field)
                if pid is not None and gid is not None:
                    out.setdefault(str(pid), str(gid))
        return out

    # -- one document ------------------------------------------------------------------------

    def score_document(
        self,
        doc_id: str,
        gold: Mapping[str, Sequence[Record]],
        pred: Mapping[str, Sequence[Record]],
        text: str | None = None,
        *,
        error: str | None = None,
    ) -> DocScore:
        """Score one document's predicted records against its gold records, for every kind.

        Kinds are aligned in :attr:`kinds` order; each kind with ids then yields a link map
        (predicted id -> gold id) by which link fields are judged. Links within one kind (a
        record's parent) are judged once every kind is aligned. ``text`` is the document as
        read, for the grounding rate.
        """
        out = DocScore(doc_id=doc_id, error=error)
        links: dict[str, dict[str, str]] = {}
        by_kind: dict[str, list[Pair]] = {}
        records = {k: (list(gold.get(k) or []), list(pred.get(k) or [])) for k in self.kinds}
        for kind in self.kinds:
            g, p = records[kind]
            by_kind[kind] = self.align(kind, g, p, links)
            links[kind] = self.id_links(kind, by_kind[kind], g, p)
        for kind in self.kinds:
            g, p = records[kind]
            pairs = self._rejudge_links(kind, by_kind[kind], g, p, links)
            pairs.sort(key=_pair_order)
            out.pairs.extend(pairs)
            out.counts[kind] = _counts(pairs)
            out.fields[kind] = self._tallies(kind, pairs)
            split_by = self.task.scoring[kind].split_by
            if split_by:
                out.groups[kind] = _group_counts(split_by, pairs, g, p)
            if text is not None:
                spec = self.task.records[kind]
                out.grounding[kind] = Tally(sum(is_grounded(r, text, spec) for r in p), len(p))
        return out

    def _rejudge_links(
        self,
        kind: str,
        pairs: list[Pair],
        gold: Sequence[Record],
        pred: Sequence[Record],
        links: Mapping[str, LinkMap],
    ) -> list[Pair]:
        """Judge link fields with every kind's link map (a link to a record of the same kind
        could not be judged while that kind was still being aligned)."""
        rules = [r for r in self.task.scoring[kind].fields if r.compare == "link"]
        if not rules:
            return pairs
        ctx = self.context(kind, links)
        out = []
        for pair in pairs:
            if pair.label not in ("match", "partial"):
                out.append(pair)
                continue
            assert pair.gold is not None and pair.pred is not None
            g, p = gold[pair.gold], pred[pair.pred]
            equal = {
                f: f not in pair.fields and f not in pair.other_fields
                for f in self.task.scoring[kind].field_names
            }
            for rule in rules:
                equal[rule.name] = self.comparators[rule.compare](g, p, rule, ctx)[0]
            out.append(self._matched(kind, pair.gold, pair.pred, equal, pair.similarity))
        return out

    def _tallies(self, kind: str, pairs: Iterable[Pair]) -> dict[str, Tally]:
        names = self.task.scoring[kind].field_names
        hits = dict.fromkeys(names, 0)
        total = 0
        for p in pairs:
            if p.label in ("match", "partial"):
                total += 1
                for f in names:
                    hits[f] += f not in p.fields and f not in p.other_fields
        return {f: Tally(hits[f], total) for f in names}

    # -- a dataset ---------------------------------------------------------------------------

    def summarize(self, docs: Sequence[DocScore]) -> dict[str, KindScores]:
        """Micro and macro scores, per-field accuracy, link accuracy and grounding rate."""
        out: dict[str, KindScores] = {}
        for kind in self.task.records:
            link_fields = tuple(self.task.records[kind].links)
            out[kind] = summarize_kind(docs, kind, link_fields)
        return out


def scorer_for(task: str | None = None) -> Scorer:
    """The scorer of a task by name (one per loaded task: reloading a task gives a new one)."""
    return _scorer(load_task(task))


@cache
def _scorer(task: Task) -> Scorer:
    return Scorer(task)


def _repeats(
    spec: RecordSpec,
    table: list[list[Compared]],
    matched_g: Mapping[int, int],
    gold: Sequence[Record],
    pred: Sequence[Record],
    g_order: Sequence[int],
    p_order: Sequence[int],
    j: int,
) -> int | None:
    """The canonical gold row an unmatched prediction ``j`` repeats, or None.

    A repeat quotes the same anchor (as the gold record or its matched prediction does) and
    the same statement -- wherever it sits, so a copy from a repeated article counts too.
    """
    p = pred[p_order[j]]
    p_anchor, p_quote = norm.loose(p.get(spec.anchor)), norm.loose(p.get(spec.quote))
    if not p_anchor:
        return None
    best: tuple[float, int] | None = None
    for i, jm in matched_g.items():
        g, twin = gold[g_order[i]], pred[p_order[jm]]
        if p_anchor not in (norm.loose(g.get(spec.anchor)), norm.loose(twin.get(spec.anchor))):
            continue
        quote_sim = max(
            fuzz.ratio(p_quote, norm.loose(g.get(spec.quote))),
            fuzz.ratio(p_quote, norm.loose(twin.get(spec.quote))),
        )
        if quote_sim < 80:
            continue
        cand = (table[i][j].similarity, -i)
        if best is None or cand > best:
            best = cand
    return None if best is None else -best[1]


# --------------------------------------------------------------------------- counting


def _counts(pairs: Iterable[Pair]) -> Counts:
    tp = fp = fn = 0
    credit: list[float] = []
    for p in pairs:
        if p.label == "match":
            tp += 1
            credit.append(1.0)
        elif p.label == "partial":
            fp += 1
            fn += 1
            credit.append(p.similarity)
        elif p.label in ("spurious", "duplicate"):
            fp += 1
        else:
            fn += 1
    # fsum is exact, so the order pairs come in cannot change the last bit
    return Counts(tp, fp, fn, math.fsum(credit))


def _group_counts(
    field: str, pairs: Iterable[Pair], gold: Sequence[Record], pred: Sequence[Record]
) -> dict[str, Counts]:
    """Counts per value of ``field`` (see ``DocScore.groups``); a missing value is "unknown"
    (e.g. a result written before the field existed)."""

    def value(records: Sequence[Record], index: int | None) -> str:
        return "unknown" if index is None else str(records[index].get(field) or "unknown")

    out: dict[str, Counts] = {}

    def add(group: str, counts: Counts) -> None:
        out[group] = out.get(group, Counts()) + counts

    for p in pairs:
        g, q = value(gold, p.gold), value(pred, p.pred)
        if p.label == "match":
            add(g, Counts(1, 0, 0, 1.0))
        elif p.label == "partial":
            add(q, Counts(0, 1, 0, 0.0))
            add(g, Counts(0, 0, 1, p.similarity if g == q else 0.0))
        elif p.label in ("spurious", "duplicate"):
            add(q, Counts(0, 1, 0))
        else:
            add(g, Counts(0, 0, 1))
    return out


_LABEL_RANK = {"match": 0, "partial": 0, "duplicate": 1, "missed": 2, "spurious": 3}


def _pair_order(p: Pair) -> tuple[int, int, int, int]:
    """Gold order first (a matched pair before its duplicates), then spurious predictions."""
    return (p.gold is None, p.gold or 0, _LABEL_RANK[p.label], p.pred or 0)


def _mean_prf(values: Sequence[PRF]) -> PRF:
    if not values:
        return prf(0, 0, 0)
    return PRF(
        fmean(v.precision for v in values),
        fmean(v.recall for v in values),
        fmean(v.f1 for v in values),
    )


def summarize_kind(
    docs: Sequence[DocScore], kind: str, link_fields: Sequence[str] = ()
) -> KindScores:
    """Micro and macro scores, per-field accuracy and grounding rate of one kind."""
    per_doc = [d.counts.get(kind, Counts()) for d in docs]
    total = sum(per_doc, Counts())
    active = [c for c in per_doc if c.n_gold or c.n_pred]
    fields: dict[str, Tally] = {}
    for d in docs:
        for f, t in d.fields.get(kind, {}).items():
            fields[f] = fields.get(f, Tally()) + t
    grounding = sum((d.grounding.get(kind, Tally()) for d in docs), Tally())
    groups: dict[str, Counts] = {}
    for d in docs:
        for name, c in d.groups.get(kind, {}).items():
            groups[name] = groups.get(name, Counts()) + c
    return KindScores(
        counts=total,
        strict=total.strict,
        partial=total.partial,
        macro_strict=_mean_prf([c.strict for c in active]),
        macro_partial=_mean_prf([c.partial for c in active]),
        fields={f: t.rate for f, t in fields.items()},
        grounding=grounding.rate,
        docs=len(active),
        links={f: fields[f].rate for f in link_fields if f in fields},
        groups=dict(sorted(groups.items())),
    )
