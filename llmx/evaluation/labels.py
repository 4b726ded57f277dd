"""The scorer's verdicts -- the contract between scoring, reports, ``llmx diff`` and review.

Pure data; no computing or rendering here.
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
        kind: Record kind (``"programmes"`` or ``"metrics"``).
        label: The verdict.
        gold: Index into the gold list of that kind, or None.
        pred: Index into the predicted list of that kind, or None.
        fields: For ``partial``: the key fields that differ.
        similarity: Record similarity in [0, 1] used by the assignment.
    """

    kind: str
    label: Label
    gold: int | None
    pred: int | None
    fields: tuple[str, ...] = ()
    similarity: float = 0.0


@dataclass(frozen=True, slots=True)
class Counts:
    """Strict and partial (similarity-weighted) counts for one kind, with derived P/R/F1."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    partial_tp: float = 0.0  # sum of similarities of matched pairs

    @staticmethod
    def _prf(tp: float, fp: float, fn: float) -> tuple[float, float, float]:
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        return p, r, f

    @property
    def strict(self) -> tuple[float, float, float]:
        return self._prf(self.tp, self.fp, self.fn)


@dataclass(slots=True)
class DocScore:
    """Everything the scorer says about one document."""

    doc_id: str
    counts: dict[str, Counts] = field(default_factory=dict)  # per kind
    pairs: list[Pair] = field(default_factory=list)
