"""Score predicted records against gold records: pure functions, no I/O.

How a document is scored, per kind:

1. Every (gold, prediction) pair gets a *record similarity* in [0, 1], a weighted mean of field
   similarities (see :data:`SPECS`). A pair is *admissible* only if the two records are about
   the same place or thing (their spans or quotes overlap, or, for programmes, their names are
   alike) and the similarity reaches :data:`MIN_SIMILARITY`.
2. Admissible pairs are aligned by maximum-weight bipartite matching
   (``scipy.optimize.linear_sum_assignment``) on records sorted into a canonical order, so the
   result does not depend on the order records were written in -- unlike greedy matching.
3. A matched pair whose *key fields* all agree is a ``match``; otherwise a ``partial`` listing
   the key fields that differ (a wrong value on the right span is ``partial("value",)``, not a
   spurious plus a missed record). An unmatched prediction that repeats a matched gold record
   (same normalised anchor and quote) is a ``duplicate``; other unmatched predictions are
   ``spurious``, unmatched gold records ``missed``.

Key fields (they decide strict scoring):
    metrics: value (value and value_max, in canonical units), unit (canonical: 万元 -> 元 with
    the value scaled, 名/位 -> 人, 人次 kept apart), qualifier, subject (lenient: fuzzy ratio
    >= 0.8, or one contains the other). The programme link is reported per field but is not
    key: it depends on how programmes were aligned, and is scored there.
    programmes: name (lenient like subject), donors, recipients (as sets; an item matches an
    item it contains or is contained in: 广州 ~ 广州市). Domains and dates are reported per
    field only; domains are a judgement call.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from statistics import fmean
from typing import Any

import numpy as np
from rapidfuzz import fuzz
from scipy.optimize import linear_sum_assignment

from llmx.evaluation import normalize as norm
from llmx.evaluation.labels import PRF, Counts, DocScore, KindScores, Pair, Tally, prf
from llmx.tasks import RecordSpec, load_task

KINDS = ("programmes", "metrics")
MIN_SIMILARITY = 0.5
"""Below this record similarity two records are not the same record (-> spurious + missed)."""
TEXT_OK = 0.8
"""Fuzzy ratio from which two short texts (subject, name) count as the same."""

Record = Mapping[str, Any]
Span = tuple[int, int]


# --------------------------------------------------------------------------- field helpers


def programme_links(
    pairs: Sequence[Pair], gold: Sequence[Record], pred: Sequence[Record]
) -> dict[str, str]:
    """Predicted programme id -> gold programme id, from the aligned programme pairs (so a
    metric's link is judged through the alignment, whatever ids the model chose)."""
    out: dict[str, str] = {}
    for pair in pairs:
        if pair.kind == "programmes" and pair.label in ("match", "partial"):
            assert pair.gold is not None and pair.pred is not None
            pid, gid = pred[pair.pred].get("id"), gold[pair.gold].get("id")
            if pid is not None and gid is not None:
                out.setdefault(str(pid), str(gid))
    return out


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


def text_similarity(a: Any, b: Any) -> float:
    """Fuzzy ratio in [0, 1] of two normalised short texts; two empty texts are equal."""
    x, y = norm.label(a), norm.label(b)
    if not x and not y:
        return 1.0
    return fuzz.ratio(x, y) / 100.0


def same_text(a: Any, b: Any) -> bool:
    """Lenient equality of short texts: fuzzy ratio >= :data:`TEXT_OK`, or containment.

    Containment needs two characters, so a single 人 does not equal every subject.
    """
    x, y = norm.label(a), norm.label(b)
    if x == y:
        return True
    if not x or not y:
        return False
    if min(len(x), len(y)) >= 2 and (x in y or y in x):
        return True
    return fuzz.ratio(x, y) / 100.0 >= TEXT_OK


def set_similarity(a: Any, b: Any) -> float:
    """Jaccard similarity of two label lists; an item matches one it contains (广州 ~ 广州市).

    Items are paired one-to-one by assignment, so the result is order-independent.
    """
    x, y = sorted(norm.label_set(a)), sorted(norm.label_set(b))
    if not x and not y:
        return 1.0
    if not x or not y:
        return 0.0
    eq = np.array([[same_text(i, j) for j in y] for i in x], dtype=float)
    rows, cols = linear_sum_assignment(-eq)
    hits = float(eq[rows, cols].sum())
    return hits / (len(x) + len(y) - hits)


# --------------------------------------------------------------------------- record compare


@dataclass(frozen=True, slots=True)
class Compared:
    """How a gold and a predicted record compare."""

    similarity: float
    admissible: bool
    equal: dict[str, bool]  # every compared field -> agrees?


LinkMap = Mapping[str, str]
"""Predicted programme id -> id of the gold programme it was matched to."""


def _location(gold: Record, pred: Record, anchor: str) -> float:
    """How much two records are about the same stretch of text, in [0, 1].

    With spans on both sides: the IoU of the anchors, else the evidence overlap (weighted
    lower unless the anchors read the same -- the same number grounded to another occurrence).
    A prediction without spans is placed by its quotes instead.
    """
    gs, ps = span_of(gold.get("span")), span_of(pred.get("span"))
    ge, pe = span_of(gold.get("evidence_span")), span_of(pred.get("evidence_span"))
    same_anchor = norm.loose(gold.get(anchor)) == norm.loose(pred.get(anchor))
    if (gs or ge) and (ps or pe):
        return max(iou(gs, ps), containment(ge, pe) * (0.9 if same_anchor else 0.5))
    anchor_sim = 1.0 if same_anchor else text_similarity(gold.get(anchor), pred.get(anchor))
    g_ev, p_ev = norm.text(gold.get("evidence")), norm.text(pred.get("evidence"))
    ev_sim = fuzz.partial_ratio(g_ev, p_ev) / 100.0 if g_ev and p_ev else 0.0
    return anchor_sim * ev_sim


def compare_metric(gold: Record, pred: Record, links: LinkMap) -> Compared:
    """Field-by-field comparison of two metric records."""
    gv, gmax, gu = norm.amount(
        gold.get("value"), gold.get("value_max"), gold.get("unit"), gold.get("value_text")
    )
    pv, pmax, pu = norm.amount(
        pred.get("value"), pred.get("value_max"), pred.get("unit"), pred.get("value_text")
    )
    g_link, p_link = gold.get("programme"), pred.get("programme")
    p_link_gold = links.get(str(p_link)) if p_link is not None else None
    equal = {
        "value": norm.same_number(gv, pv) and norm.same_number(gmax, pmax),
        "unit": gu == pu,
        "qualifier": (gold.get("qualifier") or "exact") == (pred.get("qualifier") or "exact"),
        "subject": same_text(gold.get("subject"), pred.get("subject")),
        "programme": (g_link is None and p_link is None)
        or (g_link is not None and p_link_gold == str(g_link)),
    }
    loc = _location(gold, pred, "value_text")
    subject = 1.0 if equal["subject"] else text_similarity(gold.get("subject"), pred.get("subject"))
    sim = (
        0.40 * loc
        + 0.20 * equal["value"]
        + 0.10 * equal["unit"]
        + 0.05 * equal["qualifier"]
        + 0.15 * subject
        + 0.10 * equal["programme"]
    )
    return Compared(sim, loc > 0 and sim >= MIN_SIMILARITY, equal)


def compare_programme(gold: Record, pred: Record, links: LinkMap) -> Compared:
    """Field-by-field comparison of two programme records (``links`` is unused)."""
    del links
    donors = set_similarity(gold.get("donors"), pred.get("donors"))
    recipients = set_similarity(gold.get("recipients"), pred.get("recipients"))
    domains_g, domains_p = norm.label_set(gold.get("domains")), norm.label_set(pred.get("domains"))
    domains = (
        len(domains_g & domains_p) / len(domains_g | domains_p) if domains_g | domains_p else 1.0
    )
    equal = {
        "name": same_text(gold.get("name"), pred.get("name")),
        "donors": donors == 1.0,
        "recipients": recipients == 1.0,
        "domains": domains == 1.0,
        "start_date": norm.label(gold.get("start_date")) == norm.label(pred.get("start_date")),
        "end_date": norm.label(gold.get("end_date")) == norm.label(pred.get("end_date")),
    }
    name = 1.0 if equal["name"] else text_similarity(gold.get("name"), pred.get("name"))
    loc = _location(gold, pred, "name")
    sim = 0.35 * name + 0.20 * loc + 0.15 * donors + 0.15 * recipients + 0.15 * domains
    # names recur across a text, so a like name is enough; so is sharing the same sentence
    return Compared(sim, (name >= 0.5 or loc >= 0.5) and sim >= MIN_SIMILARITY, equal)


@dataclass(frozen=True, slots=True)
class KindSpec:
    """What the scorer needs to know about one record kind."""

    compare: Callable[[Record, Record, LinkMap], Compared]
    key_fields: tuple[str, ...]
    fields: tuple[str, ...]  # all fields reported in per-field accuracy


SPECS: dict[str, KindSpec] = {
    "metrics": KindSpec(
        compare=compare_metric,
        key_fields=("value", "unit", "qualifier", "subject"),
        fields=("value", "unit", "qualifier", "subject", "programme"),
    ),
    "programmes": KindSpec(
        compare=compare_programme,
        key_fields=("name", "donors", "recipients"),
        fields=("name", "donors", "recipients", "domains", "start_date", "end_date"),
    ),
}


def grounding_spec(kind: str) -> RecordSpec:
    """Which fields a record's spans point at: the task schema's own ``RECORDS`` declaration,
    the same one grounding used to compute them."""
    return load_task("cooperation").records[kind]


# --------------------------------------------------------------------------- alignment


def _canonical_order(records: Sequence[Record]) -> list[int]:
    """Indices of ``records`` sorted by content, so input order cannot change the alignment."""
    keys = [json.dumps(r, sort_keys=True, ensure_ascii=False, default=str) for r in records]
    return sorted(range(len(records)), key=lambda i: (keys[i], i))


def align(
    kind: str, gold: Sequence[Record], pred: Sequence[Record], links: LinkMap | None = None
) -> list[Pair]:
    """Label every gold and predicted record of one kind (see the module docstring)."""
    spec = SPECS[kind]
    links = links or {}
    g_order, p_order = _canonical_order(gold), _canonical_order(pred)
    table = [[spec.compare(gold[g], pred[p], links) for p in p_order] for g in g_order]

    weights = np.zeros((len(gold), len(pred)))
    for i, row in enumerate(table):
        for j, c in enumerate(row):
            if c.admissible:
                # a hair for each agreeing key field breaks ties towards the stricter match
                agree = sum(c.equal[f] for f in spec.key_fields)
                weights[i, j] = c.similarity + 1e-6 * agree
    rows, cols = linear_sum_assignment(weights, maximize=True) if weights.size else ([], [])

    pairs: list[Pair] = []
    matched_g: dict[int, int] = {}  # canonical gold row -> canonical pred col
    for i, j in zip(rows, cols, strict=True):
        c = table[i][j]
        if not c.admissible:
            continue
        matched_g[int(i)] = int(j)
        wrong = tuple(f for f in spec.key_fields if not c.equal[f])
        other = tuple(f for f in spec.fields if f not in spec.key_fields and not c.equal[f])
        pairs.append(
            Pair(
                kind,
                "partial" if wrong else "match",
                g_order[i],
                p_order[j],
                wrong,
                round(c.similarity, 6),
                other,
            )
        )

    used_p = set(matched_g.values())
    for j in range(len(pred)):
        if j in used_p:
            continue
        rep = _repeats(grounding_spec(kind), table, matched_g, gold, pred, g_order, p_order, j)
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


# --------------------------------------------------------------------------- grounding


def is_grounded(record: Record, text: str, spec: RecordSpec) -> bool:
    """Do the record's spans slice ``text`` to its quotes (after normalisation)?

    ``evidence_span`` must slice to the evidence; ``span`` must slice to text containing the
    anchor (``value_text``) -- or, for kinds whose anchor is optional (a programme name that
    is not verbatim), may be absent or repeat the evidence span. Pinyin glued into the
    source (``協(xié)作``) is ignored on both sides.
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


# --------------------------------------------------------------------------- documents


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


def _tallies(kind: str, pairs: Iterable[Pair]) -> dict[str, Tally]:
    spec = SPECS[kind]
    hits = dict.fromkeys(spec.fields, 0)
    total = 0
    for p in pairs:
        if p.label in ("match", "partial"):
            total += 1
            for f in spec.fields:
                hits[f] += f not in p.fields and f not in p.other_fields
    return {f: Tally(hits[f], total) for f in spec.fields}


_LABEL_RANK = {"match": 0, "partial": 0, "duplicate": 1, "missed": 2, "spurious": 3}


def _pair_order(p: Pair) -> tuple[int, int, int, int]:
    """Gold order first (a matched pair before its duplicates), then spurious predictions."""
    return (p.gold is None, p.gold or 0, _LABEL_RANK[p.label], p.pred or 0)


def score_document(
    doc_id: str,
    gold: Mapping[str, Sequence[Record]],
    pred: Mapping[str, Sequence[Record]],
    text: str | None = None,
    *,
    error: str | None = None,
) -> DocScore:
    """Score one document's predicted records against its gold records, for every kind.

    Programmes are aligned first; the matched programme ids then let a metric's programme
    link be judged (predicted ``P2`` is right if it was matched to the gold programme the gold
    metric links to). ``text`` is the document as read, for the grounding rate.
    """
    out = DocScore(doc_id=doc_id, error=error)
    links: dict[str, str] = {}
    for kind in KINDS:
        g, p = list(gold.get(kind) or []), list(pred.get(kind) or [])
        pairs = align(kind, g, p, links)
        if kind == "programmes":
            links.update(programme_links(pairs, g, p))
        pairs.sort(key=_pair_order)
        out.pairs.extend(pairs)
        out.counts[kind] = _counts(pairs)
        out.fields[kind] = _tallies(kind, pairs)
        if text is not None:
            spec = grounding_spec(kind)
            out.grounding[kind] = Tally(sum(is_grounded(r, text, spec) for r in p), len(p))
    return out


# --------------------------------------------------------------------------- datasets


def _mean_prf(values: Sequence[PRF]) -> PRF:
    if not values:
        return prf(0, 0, 0)
    return PRF(
        fmean(v.precision for v in values),
        fmean(v.recall for v in values),
        fmean(v.f1 for v in values),
    )


def summarize(docs: Sequence[DocScore], kinds: Sequence[str] = KINDS) -> dict[str, KindScores]:
    """Micro and macro scores, per-field accuracy and grounding rate, per kind."""
    out: dict[str, KindScores] = {}
    for kind in kinds:
        per_doc = [d.counts.get(kind, Counts()) for d in docs]
        total = sum(per_doc, Counts())
        active = [c for c in per_doc if c.n_gold or c.n_pred]
        fields: dict[str, Tally] = {}
        for d in docs:
            for f, t in d.fields.get(kind, {}).items():
                fields[f] = fields.get(f, Tally()) + t
        grounding = sum((d.grounding.get(kind, Tally()) for d in docs), Tally())
        out[kind] = KindScores(
            counts=total,
            strict=total.strict,
            partial=total.partial,
            macro_strict=_mean_prf([c.strict for c in active]),
            macro_partial=_mean_prf([c.partial for c in active]),
            fields={f: t.rate for f, t in fields.items()},
            grounding=grounding.rate,
            docs=len(active),
        )
    return out
