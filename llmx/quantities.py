"""Chinese quantity expressions: find them, parse them, canonicalise their units.

PLACEHOLDER interface until the real parser lands (issue #3): arabic numerals only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from llmx.core.results import Qualifier


@dataclass(frozen=True, slots=True)
class Quantity:
    """A quantity expression found in text.

    Attributes:
        text: The expression as written, e.g. ``320余人次``.
        start: Offset of ``text`` in the scanned string.
        end: End offset (exclusive).
        value: The number, multipliers folded in (``1.2万`` -> 12000).
        value_max: Upper bound of a range (``3至5名`` -> 5), else None.
        unit: The unit as written (``人次``, ``万元``), or None.
        unit_canonical: The canonical unit (``万元`` -> ``元`` with value scaled), or None.
        qualifier: One of :data:`llmx.core.results.Qualifier`.
    """

    text: str
    start: int
    end: int
    value: float
    value_max: float | None = None
    unit: str | None = None
    unit_canonical: str | None = None
    qualifier: Qualifier = "exact"


_NUM = re.compile(r"(\d+(?:\.\d+)?)(余|多)?(人次|名|人|个|项|家|亩|户|批|条|场|所|例|期|支|万元|元|%)")


def find_quantities(text: str) -> list[Quantity]:
    """Every metric-like quantity in ``text``, in order, non-overlapping."""
    out = []
    for m in _NUM.finditer(text):
        out.append(
            Quantity(
                text=m.group(0),
                start=m.start(),
                end=m.end(),
                value=float(m.group(1)),
                unit=m.group(3),
                unit_canonical=m.group(3),
                qualifier="more_than" if m.group(2) else "exact",
            )
        )
    return out


def parse_quantity(text: str) -> Quantity | None:
    """Parse one expression (e.g. a model's ``value_text``); None if it holds no quantity."""
    found = find_quantities(text)
    return found[0] if found else None
