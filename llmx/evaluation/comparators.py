"""Field comparators: the small library a task's scoring spec picks from by name.

A comparator takes the gold record, the predicted record, the field's rule and the context of
the document being scored, and answers ``(equal, similarity)``: whether the field agrees (key
fields decide strict matching) and how close it is in [0, 1] (weighted into the record
similarity that drives the alignment). Both sides go through the same normalisation
(:mod:`llmx.evaluation.normalize`): script, width, whitespace, punctuation, Chinese amounts.

- ``exact``: values equal (``options.default`` stands in for a missing value).
- ``label``: equal after normalisation (script, width, punctuation, case).
- ``text``: fuzzy ratio >= 0.8, or one contains the other (2+ characters); similarity is the
  fuzzy ratio.
- ``set``: the lists pair up one-to-one, an item matching one it contains (广州 ~ 广州市);
  similarity is the Jaccard index.
- ``label_set``: the normalised sets are equal; similarity is the Jaccard index.
- ``number``: numbers equal within ``options.tolerance`` (relative, default 1e-6).
- ``amount``: Chinese quantities equal in canonical units (1.2万人次 == 12000 人次); the upper
  bound counts only when a side's ``options.qualifier`` field says ``options.range``.
- ``unit``: canonical units equal (名 == 人, 万元 -> 元; 人次 stays apart).
- ``link``: both empty, or the predicted id was aligned to the gold id (through the matching
  of the kind it links to).

Unless said otherwise the similarity is 1 when equal, else 0.
A task adds its own with a ``COMPARATORS = {name: function}`` hook.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
from rapidfuzz import fuzz
from scipy.optimize import linear_sum_assignment

from llmx.evaluation import normalize as norm
from llmx.evaluation.spec import FieldRule

TEXT_OK = 0.8
"""Fuzzy ratio from which two short texts (subject, name) count as the same."""

Record = Mapping[str, Any]
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Context:
    """What a comparator may know beyond the two records.

    Attributes:
        links: Linked kind -> predicted id -> gold id, from the alignment of that kind (so a
            link is judged through the alignment, whatever ids the model chose).
        link_targets: Link field -> the kind it links to (the kind's ``RECORDS`` links).
    """

    links: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    link_targets: Mapping[str, str] = field(default_factory=dict)


Comparator = Callable[[Record, Record, FieldRule, Context], tuple[bool, float]]


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


def matched_jaccard(x: Sequence[T], y: Sequence[T], score: Callable[[T, T], float]) -> float:
    """Jaccard similarity of two collections whose items pair up one-to-one by assignment,
    each pair counting ``score`` in [0, 1] -- order-independent; two empty ones are equal.
    Task comparators over lists (e.g. parties) build on it."""
    if not x and not y:
        return 1.0
    if not x or not y:
        return 0.0
    sim = np.array([[score(i, j) for j in y] for i in x], dtype=float)
    rows, cols = linear_sum_assignment(-sim)
    hits = float(sim[rows, cols].sum())
    return hits / (len(x) + len(y) - hits)


def set_similarity(a: Any, b: Any) -> float:
    """Jaccard similarity of two label lists; an item matches one it contains (广州 ~ 广州市)."""
    x, y = sorted(norm.label_set(a)), sorted(norm.label_set(b))
    return matched_jaccard(x, y, lambda i, j: float(same_text(i, j)))


def _bool(equal: bool) -> tuple[bool, float]:
    return equal, 1.0 if equal else 0.0


def exact(gold: Record, pred: Record, rule: FieldRule, ctx: Context) -> tuple[bool, float]:
    default = rule.options.get("default")
    g, p = gold.get(rule.name), pred.get(rule.name)
    return _bool((default if g is None else g) == (default if p is None else p))


def label(gold: Record, pred: Record, rule: FieldRule, ctx: Context) -> tuple[bool, float]:
    return _bool(norm.label(gold.get(rule.name)) == norm.label(pred.get(rule.name)))


def text(gold: Record, pred: Record, rule: FieldRule, ctx: Context) -> tuple[bool, float]:
    g, p = gold.get(rule.name), pred.get(rule.name)
    if same_text(g, p):
        return True, 1.0
    return False, text_similarity(g, p)


def set_(gold: Record, pred: Record, rule: FieldRule, ctx: Context) -> tuple[bool, float]:
    sim = set_similarity(gold.get(rule.name), pred.get(rule.name))
    return sim == 1.0, sim


def label_set(gold: Record, pred: Record, rule: FieldRule, ctx: Context) -> tuple[bool, float]:
    g, p = norm.label_set(gold.get(rule.name)), norm.label_set(pred.get(rule.name))
    sim = len(g & p) / len(g | p) if g | p else 1.0
    return sim == 1.0, sim


def number(gold: Record, pred: Record, rule: FieldRule, ctx: Context) -> tuple[bool, float]:
    g, p = norm.number(gold.get(rule.name)), norm.number(pred.get(rule.name))
    if g is None or p is None:
        return _bool(g is None and p is None)
    tolerance = float(rule.options.get("tolerance", 1e-6))
    return _bool(abs(g - p) <= tolerance * max(abs(g), abs(p)) + 1e-9)


def _amount(record: Record, rule: FieldRule) -> tuple[float | None, float | None, str]:
    opts = rule.options
    value = record.get(opts.get("value", rule.name))
    return norm.amount(
        value,
        record.get(opts.get("max", "value_max")),
        record.get(opts.get("unit", "unit")),
        record.get(opts.get("text", "value_text")),
    )


def amount(gold: Record, pred: Record, rule: FieldRule, ctx: Context) -> tuple[bool, float]:
    gv, gmax, _ = _amount(gold, rule)
    pv, pmax, _ = _amount(pred, rule)
    qualifier = rule.options.get("qualifier")
    if qualifier:
        # An upper bound means something only on a range: models often fill value_max with
        # the value itself on a plain quantity, which is not a wrong number.
        range_word = rule.options.get("range", "range")
        if range_word not in (gold.get(qualifier), pred.get(qualifier)):
            gmax = pmax = None
    return _bool(norm.same_number(gv, pv) and norm.same_number(gmax, pmax))


def unit(gold: Record, pred: Record, rule: FieldRule, ctx: Context) -> tuple[bool, float]:
    opts = rule.options
    both = [
        norm.amount(
            r.get(opts.get("value", "value")),
            r.get(opts.get("max", "value_max")),
            r.get(rule.name),
            r.get(opts.get("text", "value_text")),
        )[2]
        for r in (gold, pred)
    ]
    return _bool(both[0] == both[1])


def link(gold: Record, pred: Record, rule: FieldRule, ctx: Context) -> tuple[bool, float]:
    g, p = gold.get(rule.name), pred.get(rule.name)
    if g is None or p is None:
        return _bool(g is None and p is None)
    target = ctx.link_targets.get(rule.name, "")
    return _bool(ctx.links.get(target, {}).get(str(p)) == str(g))


LIBRARY: dict[str, Comparator] = {
    "exact": exact,
    "label": label,
    "text": text,
    "set": set_,
    "label_set": label_set,
    "number": number,
    "amount": amount,
    "unit": unit,
    "link": link,
}
"""Comparators by the name a scoring spec uses."""


def resolve(names: Mapping[str, Comparator] | None = None) -> dict[str, Comparator]:
    """The library plus a task's own comparators (the task's win on a name clash)."""
    return {**LIBRARY, **(names or {})}
