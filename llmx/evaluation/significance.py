"""How sure a score is: document-level bootstrap intervals and a paired test. Computing only.

Records within one article are not independent (one model mistake repeats through a
document), so the unit resampled is the document: each bootstrap replicate draws documents
with replacement and recomputes the micro F1 from their summed counts. Every figure is
seeded, so the same scores always give the same interval.

Comparing a run with a baseline scored on the same documents uses a paired permutation test:
under "no difference" each document's two results are exchangeable, so the test swaps them
per document -- every one of the 2^n swaps when there are at most ``EXACT_UP_TO`` documents
(exact), else ``resamples`` random swaps. The one-sided p-value says how often a drop at least
as large as the one seen arises by swapping alone. With five documents the smallest possible
p-value is 1/32: a drop can be significant at 0.05 only when every document moved the same way.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from llmx.evaluation.labels import Counts, DocScore

EXACT_UP_TO = 12  # documents; beyond this the permutation test samples swaps
FIGURES = ("strict.f1", "partial.f1")


@dataclass(frozen=True, slots=True)
class Interval:
    """A bootstrap percentile interval of one F1."""

    value: float
    low: float
    high: float
    level: float
    resamples: int
    seed: int

    @property
    def width(self) -> float:
        return self.high - self.low


@dataclass(frozen=True, slots=True)
class Comparison:
    """A paired test of one F1: this run against a baseline on the same documents."""

    figure: str  # e.g. "metrics strict.f1"
    new: float
    old: float
    delta: float
    p_drop: float  # one-sided: chance of a drop this large by swapping results alone
    low: float  # bootstrap interval of the paired difference
    high: float
    documents: int
    exact: bool


def _f1(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> np.ndarray:
    """Micro F1 from summed counts, with :func:`llmx.evaluation.labels.prf`'s conventions
    (nothing predicted and nothing to find is 1.0)."""
    pred, gold = tp + fp, tp + fn
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(pred > 0, tp / np.where(pred > 0, pred, 1), np.where(fn == 0, 1.0, 0.0))
        r = np.where(gold > 0, tp / np.where(gold > 0, gold, 1), np.where(fp == 0, 1.0, 0.0))
        f = np.where(p + r > 0, 2 * p * r / np.where(p + r > 0, p + r, 1), 0.0)
    return np.asarray(f, dtype=float)


def count_matrix(
    docs: Sequence[DocScore], kind: str, mode: str, group: str | None = None
) -> np.ndarray:
    """Per document ``[tp, fp, fn]`` of one kind (strict counts, or partial credit)."""
    rows: list[tuple[float, float, float]] = []
    for d in docs:
        c = d.groups.get(kind, {}).get(group, Counts()) if group else d.counts.get(kind, Counts())
        if mode == "strict":
            rows.append((c.tp, c.fp, c.fn))
        else:
            rows.append((c.partial_tp, c.n_pred - c.partial_tp, c.n_gold - c.partial_tp))
    return np.asarray(rows, dtype=float).reshape(len(rows), 3)


def f1_of(counts: np.ndarray) -> float:
    tp, fp, fn = counts.sum(axis=0)
    return float(_f1(np.asarray(tp), np.asarray(fp), np.asarray(fn)))


def _draws(n: int, resamples: int, seed: int) -> np.ndarray:
    """How often each document is drawn, per replicate: ``resamples × n``."""
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, n, size=(resamples, n))
    weights = np.zeros((resamples, n))
    np.add.at(weights, (np.arange(resamples)[:, None], picks), 1.0)
    return weights


def bootstrap_interval(
    counts: np.ndarray, *, resamples: int = 2000, level: float = 0.95, seed: int = 0
) -> Interval:
    """Percentile interval of the micro F1 over documents resampled with replacement."""
    value = f1_of(counts)
    n = counts.shape[0]
    if n == 0:
        return Interval(value, value, value, level, 0, seed)
    sums = _draws(n, resamples, seed) @ counts
    f1 = _f1(sums[:, 0], sums[:, 1], sums[:, 2])
    tail = (1 - level) / 2
    low, high = np.quantile(f1, [tail, 1 - tail])
    return Interval(value, float(low), float(high), level, resamples, seed)


def paired_test(
    new: np.ndarray,
    old: np.ndarray,
    *,
    figure: str = "",
    resamples: int = 2000,
    level: float = 0.95,
    seed: int = 0,
) -> Comparison:
    """Paired permutation test (one-sided, for a drop) and a bootstrap interval of the
    difference, over the same documents in the same order."""
    if new.shape != old.shape:
        raise ValueError("a paired test needs the same documents in both runs")
    n = new.shape[0]
    f_new, f_old = f1_of(new), f1_of(old)
    delta = f_new - f_old
    if n == 0:
        return Comparison(figure, f_new, f_old, delta, 1.0, delta, delta, 0, True)
    exact = n <= EXACT_UP_TO
    if exact:
        swaps = np.array(list(itertools.product((False, True), repeat=n)), dtype=bool)
    else:
        swaps = np.random.default_rng(seed).random((resamples, n)) < 0.5
    mask = swaps[:, :, None]
    a = np.where(mask, old[None], new[None]).sum(axis=1)  # "new" after swapping
    b = np.where(mask, new[None], old[None]).sum(axis=1)
    deltas = _f1(a[:, 0], a[:, 1], a[:, 2]) - _f1(b[:, 0], b[:, 1], b[:, 2])
    if exact:
        p = float(np.mean(deltas <= delta + 1e-12))
    else:
        p = float((1 + np.sum(deltas <= delta + 1e-12)) / (len(deltas) + 1))
    weights = _draws(n, resamples, seed)
    sn, so = weights @ new, weights @ old
    diff = _f1(sn[:, 0], sn[:, 1], sn[:, 2]) - _f1(so[:, 0], so[:, 1], so[:, 2])
    tail = (1 - level) / 2
    low, high = np.quantile(diff, [tail, 1 - tail])
    return Comparison(figure, f_new, f_old, delta, p, float(low), float(high), n, exact)


def figures_of(docs: Sequence[DocScore], kinds: Sequence[str]) -> dict[str, np.ndarray]:
    """Every F1 that gets an interval: per kind strict and partial, and strict per sub-kind
    (``split_by``), named ``"<kind> strict.f1"`` / ``"<kind> strict.f1 · <group>"``."""
    out: dict[str, np.ndarray] = {}
    for kind in kinds:
        for figure in FIGURES:
            out[f"{kind} {figure}"] = count_matrix(docs, kind, figure.split(".")[0])
        groups = sorted({g for d in docs for g in d.groups.get(kind, {})})
        for group in groups:
            out[f"{kind} strict.f1 · {group}"] = count_matrix(docs, kind, "strict", group)
    return out


def intervals(
    docs: Sequence[DocScore],
    kinds: Sequence[str],
    *,
    resamples: int = 2000,
    level: float = 0.95,
    seed: int = 0,
) -> dict[str, Interval]:
    """A bootstrap interval for every F1 of :func:`figures_of`."""
    return {
        name: bootstrap_interval(m, resamples=resamples, level=level, seed=seed)
        for name, m in figures_of(docs, kinds).items()
    }


def compare(
    new_docs: Sequence[DocScore],
    old_docs: Sequence[DocScore],
    kinds: Sequence[str],
    *,
    resamples: int = 2000,
    level: float = 0.95,
    seed: int = 0,
) -> list[Comparison]:
    """Paired tests of every per-kind F1 over the documents both runs scored."""
    old_by_id = {d.doc_id: d for d in old_docs}
    shared = [d for d in new_docs if d.doc_id in old_by_id]
    olds = [old_by_id[d.doc_id] for d in shared]
    new_figs, old_figs = figures_of(shared, kinds), figures_of(olds, kinds)
    out = []
    for name in new_figs:
        if " · " in name:
            continue  # sub-kinds: shown with intervals, not gated
        out.append(
            paired_test(
                new_figs[name],
                old_figs[name],
                figure=name,
                resamples=resamples,
                level=level,
                seed=seed,
            )
        )
    return out
