"""The scorer's verdicts -- the contract between scoring, reports, ``llmx diff`` and review.

Pure data; no computing or rendering here (``scoring.py`` fills these, ``report.py`` serialises
them, ``render.py`` draws them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Label = Literal["match", "partial", "spurious", "missed", "duplicate"]
"""match: all key fields equal; partial: matched but some fields differ (see ``fields``);
spurious: a prediction with no gold counterpart; missed: a gold record nobody predicted;
duplicate: a prediction that repeats one already matched to the same gold record."""


@dataclass(frozen=True, slots=True)
class Pair:
    """One aligned row: a gold record, a predicted record, or both.

    Attributes:
        kind: Record kind (one of the task's).
        label: The verdict.
        gold: Index into the gold list of that kind, or None. For ``duplicate``: the gold
            record it repeats.
        pred: Index into the predicted list of that kind, or None.
        fields: For ``partial``: the key fields that differ (they decide strict scoring).
        similarity: Record similarity in [0, 1] used by the assignment (0 for unpaired rows).
        other_fields: For ``match``/``partial``: non-key fields that differ (shown and counted
            in per-field accuracy, but they do not make a pair partial).
    """

    kind: str
    label: Label
    gold: int | None
    pred: int | None
    fields: tuple[str, ...] = ()
    similarity: float = 0.0
    other_fields: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PRF:
    """Precision, recall and F1."""

    precision: float
    recall: float
    f1: float


def prf(tp: float, fp: float, fn: float) -> PRF:
    """P/R/F1 that never divide by zero.

    With nothing predicted, precision is 1.0 only if there was also nothing to find (else 0.0);
    likewise recall with nothing to find. So an empty prediction for an empty gold scores 1.0,
    and an empty prediction for a non-empty gold scores 0.0 everywhere.
    """
    p = tp / (tp + fp) if tp + fp else (1.0 if fn == 0 else 0.0)
    r = tp / (tp + fn) if tp + fn else (1.0 if fp == 0 else 0.0)
    f = 2 * p * r / (p + r) if p + r else 0.0
    return PRF(p, r, f)


@dataclass(frozen=True, slots=True)
class Counts:
    """Strict and partial (similarity-weighted) counts for one kind, with derived P/R/F1.

    Strict: ``match`` -> TP; ``partial`` -> FP + FN; ``spurious``/``duplicate`` -> FP;
    ``missed`` -> FN. So ``tp + fp`` is the number of predictions and ``tp + fn`` the number of
    gold records. Partial: each ``match`` earns 1 and each ``partial`` its similarity
    (``partial_tp``), out of the same prediction and gold totals.
    """

    tp: int = 0
    fp: int = 0
    fn: int = 0
    partial_tp: float = 0.0  # 1 per match + similarity per partial

    @property
    def n_pred(self) -> int:
        return self.tp + self.fp

    @property
    def n_gold(self) -> int:
        return self.tp + self.fn

    @property
    def strict(self) -> PRF:
        return prf(self.tp, self.fp, self.fn)

    @property
    def partial(self) -> PRF:
        return prf(self.partial_tp, self.n_pred - self.partial_tp, self.n_gold - self.partial_tp)

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.tp + other.tp,
            self.fp + other.fp,
            self.fn + other.fn,
            self.partial_tp + other.partial_tp,
        )


@dataclass(frozen=True, slots=True)
class Tally:
    """``hits`` out of ``total`` (a per-field accuracy or a grounding rate)."""

    hits: int = 0
    total: int = 0

    @property
    def rate(self) -> float | None:
        """``hits / total``; None when nothing was counted (undefined, not zero)."""
        return self.hits / self.total if self.total else None

    def __add__(self, other: Tally) -> Tally:
        return Tally(self.hits + other.hits, self.total + other.total)


@dataclass(slots=True)
class DocScore:
    """Everything the scorer says about one document.

    Attributes:
        doc_id: The gold document's id.
        counts: Per kind.
        pairs: Every gold and predicted record appears in exactly one pair.
        fields: Per kind, per field: correct out of matched (``match`` + ``partial``) pairs.
        grounding: Per kind: predicted records whose spans slice the document text to their
            quotes, out of all predicted records (empty when the text was not given).
        error: Why the prediction is missing or failed (the document is scored as empty).
        groups: Per kind with a ``split_by`` field, counts per value of that field (e.g.
            partnership / initiative): a match counts for the gold record's value, a partial as
            a false positive of the predicted value and a false negative of the gold one.
    """

    doc_id: str
    counts: dict[str, Counts] = field(default_factory=dict)  # per kind
    pairs: list[Pair] = field(default_factory=list)
    fields: dict[str, dict[str, Tally]] = field(default_factory=dict)
    grounding: dict[str, Tally] = field(default_factory=dict)
    error: str | None = None
    groups: dict[str, dict[str, Counts]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class KindScores:
    """Scores of one kind over a whole dataset.

    Attributes:
        counts: Micro-summed counts over all documents.
        strict: Micro strict P/R/F1.
        partial: Micro similarity-weighted P/R/F1.
        macro_strict: Mean of per-document strict P/R/F1 over documents with any gold or
            predicted record of this kind (1.0 if there is none anywhere, like :func:`prf`).
        macro_partial: The same for partial scores.
        fields: Per-field accuracy over matched pairs (None: no matched pair).
        grounding: Share of predicted records that are grounded (None: nothing to check).
        docs: Documents that had any gold or predicted record of this kind.
        links: Per link field: accuracy over matched pairs -- the
            share of matched records that point at the right record, judged through the
            alignment of the kind they link to.
        groups: Micro counts per value of the kind's ``split_by`` field (see ``DocScore``).
    """

    counts: Counts
    strict: PRF
    partial: PRF
    macro_strict: PRF
    macro_partial: PRF
    fields: dict[str, float | None]
    grounding: float | None
    docs: int
    links: dict[str, float | None] = field(default_factory=dict)
    groups: dict[str, Counts] = field(default_factory=dict)
