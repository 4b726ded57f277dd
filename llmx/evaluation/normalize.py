"""Normalisation applied to gold and predicted values before they are compared.

Both sides go through the same functions, so a traditional-script quote, a full-width digit or
``1.2万人次`` written as ``12000 人次`` compare equal to their simplified / half-width / folded
counterparts. Nothing here decides what counts as a match; that is ``scoring.py``'s job.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from llmx.quantities import Quantity, parse_quantity
from llmx.text.pinyin import GLUED_LATIN
from llmx.text.script import normalize_for_matching as script

_SPACE = re.compile(r"\s+")
# Punctuation that carries no meaning when comparing short fields (subjects, names, places).
_PUNCT = re.compile(r"[\s\"'“”‘’「」『』《》〈〉()（）\[\]【】,，、.。:：;；!！?？·•\-—_]+")


@lru_cache(maxsize=65536)
def text(value: Any) -> str:
    """Normalise a quote for comparison: script, no whitespace, case-folded.

    Chinese text carries no meaning in whitespace, and scraped quotes often gain or lose it.
    """
    if value is None:
        return ""
    return _SPACE.sub("", script(str(value))).casefold()


def loose(value: Any) -> str:
    """:func:`text` without parenthesised Latin runs, so ``協(xié)作`` reads ``协作``.

    Used to check that a quote is *in* a slice of the source, where scraped pinyin sits.
    """
    return GLUED_LATIN.sub("", text(value))


@lru_cache(maxsize=65536)
def label(value: Any) -> str:
    """Normalise a short field (subject, name, donor): :func:`loose` (so a name sliced from the
    page with glued pinyin, 專題調(diào)研, reads as the clean 專題調研) without punctuation."""
    return _PUNCT.sub("", loose(value))


def label_set(values: Iterable[Any] | None) -> frozenset[str]:
    """Normalise a list field (donors, recipients, domains) to a set of non-empty labels."""
    if not values:
        return frozenset()
    if isinstance(values, str):  # a model sometimes returns one string instead of a list
        values = [values]
    return frozenset(v for v in (label(x) for x in values) if v)


# Multiplier prefixes folded into the value: ``1.2`` ``万人次`` == ``12000`` ``人次``.
_MULTIPLIERS = (("千万", 1e7), ("百万", 1e6), ("亿", 1e8), ("万", 1e4), ("千", 1e3))
# Spellings of one unit. People (名/人/位) stay apart from person-times (人次) on purpose.
_UNIT_ALIASES = {
    "位": "人",
    "名": "人",
    "人": "人",
    "％": "%",
    "%": "%",
    "百分点": "个百分点",
    "rmb": "元",
    "块": "元",
    "平米": "平方米",
    "m2": "平方米",
    "㎡": "平方米",
}


def unit(value: Any) -> tuple[float, str]:
    """Canonical unit of a unit string, with the factor that scales a value into it.

    ``万元`` -> ``(10000, "元")``; ``名`` -> ``(1, "人")``; ``人次`` -> ``(1, "人次")``.
    """
    u = label(value)
    factor = 1.0
    for prefix, mult in _MULTIPLIERS:
        # only a prefix of a longer unit: 万元 -> 元, but a bare 万 (no unit) stays a unit
        if u.startswith(prefix) and len(u) > len(prefix):
            factor, u = mult, u[len(prefix) :]
            break
    return factor, _UNIT_ALIASES.get(u, u)


def number(value: Any) -> float | None:
    """A value as a float (ints, floats, numeric strings such as ``"1,200"``); else None."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    try:
        out = float(script(str(value)).replace(",", "").strip())
    except ValueError:
        return None
    return out if math.isfinite(out) else None


def _expr_number(x: float) -> str:
    return str(int(x)) if x.is_integer() and abs(x) < 1e15 else repr(x)


@lru_cache(maxsize=65536)
def _canonical(lo: float, hi: float | None, unit_text: str) -> tuple[float, float | None, str]:
    """Canonical form of a number and unit, asking the quantity parser first.

    The parser owns the unit conventions (``500万元`` -> 5000000 元, 公顷 -> 亩, 名 -> 人); the
    local table only covers what it does not read as one whole quantity.
    """
    expr = _expr_number(lo) + ("" if hi is None else "至" + _expr_number(hi)) + unit_text
    q = parse_quantity(expr) if unit_text else None
    if q is not None and q.text == expr and _has_canonical(q):
        return _from_quantity(q)
    factor, canonical = unit(unit_text)
    return lo * factor, None if hi is None else hi * factor, canonical


def _has_canonical(q: Quantity) -> bool:
    return bool(q.unit_canonical) and q.canonical_value is not None


def _from_quantity(q: Quantity) -> tuple[float, float | None, str]:
    """The parser's canonical value, upper bound and unit (units in UNITS are simplified)."""
    assert q.unit_canonical is not None and q.canonical_value is not None
    return q.canonical_value, q.canonical_value_max, q.unit_canonical


def amount(
    value: Any, value_max: Any, unit_text: Any, value_text: Any = None
) -> tuple[float | None, float | None, str]:
    """``(value, value_max, unit)`` in canonical units: ``(1.2, None, "万人次")`` ->
    ``(12000.0, None, "人次")``; ``(500, None, "万元")`` -> ``(5000000.0, None, "元")``.

    When ``value`` is not a number (a model wrote ``"320余"``), the quantity parser reads
    ``value_text`` instead, so the record is judged on what it quoted.
    """
    lo, hi = number(value), number(value_max)
    u = label(unit_text)
    if lo is None and value_text:
        parsed = parse_quantity(script(str(value_text)))
        if parsed is None:
            return None, None, unit(u)[1]
        if not _has_canonical(parsed):
            return _canonical(parsed.value, parsed.value_max, u or label(parsed.unit))
        return _from_quantity(parsed)
    if lo is None:
        return None, None if hi is None else hi, unit(u)[1]
    return _canonical(lo, hi, u)


def same_number(a: float | None, b: float | None) -> bool:
    """Equal up to float noise (``0.1 * 3`` vs ``0.3``); two missing values are equal."""
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9)
