"""The faster quantity scanner finds, parses and reports exactly what the old one did.

The reference is the previous module, verbatim, in ``tests/_quantities_before.py``.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import _quantities_before as old
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import llmx.quantities as new

# Oracle tests of the issue-13 speed round (new code against a copy of the old): with the
# slow suite, which CI runs; the modules' own tests stay in the default run.
pytestmark = pytest.mark.slow


SEEDS = sorted((Path(__file__).parents[1] / "seeds").glob("*.txt"))


def _fields(found: Any) -> Any:
    if found is None:
        return None
    if isinstance(found, list):
        return [dataclasses.astuple(q) for q in found]
    return dataclasses.astuple(found)


def _matches(pattern: Any, text: str) -> list[tuple[tuple[int, int], ...]]:
    """Every match with the span of every group: what the callers read from the scan."""
    return [
        (m.span(), *(m.span(g) for g in range(1, pattern.groups + 1)))
        for m in pattern.finditer(text)
    ]


def _maybe(strategy: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(st.just(""), strategy)


_number = st.one_of(
    st.from_regex(r"[0-9]{1,7}(\.[0-9]{1,2})?", fullmatch=True),
    st.sampled_from(["1,322", "12,345,678", "1,23", "٣", "５"]),
    st.text(alphabet="零〇一二两三四五六七八九十百千万亿几", min_size=1, max_size=4),
    st.just("半"),
)
_unit = st.sampled_from(sorted(new.UNITS))
# Shaped like a quantity, so the rare paths (ranges, money, 千克 after a numeral, qualifiers)
# come up often; any part may be missing or wrong.
_quantityish = st.tuples(
    _maybe(st.sampled_from(sorted(new._PREFIX_QUALIFIERS))),
    _number,
    _maybe(st.sampled_from("十百千万亿点")),
    _maybe(st.tuples(_maybe(_unit), st.sampled_from("至到~～-－—"), _number).map("".join)),
    _maybe(st.sampled_from("余多来")),
    st.one_of(_unit, st.sampled_from("克米元月日级")),
    _maybe(st.sampled_from(["以上", "左右", "以下", "以内", "民工", "项目", "年级"])),
).map("".join)
# Everything the patterns and the checks around them look at, densely, plus anything at all.
_pieces = st.one_of(
    _quantityish,
    _quantityish,
    st.sampled_from("0123456789"),
    st.sampled_from("٣５𝟠,.，。"),  # other decimal digits; commas and points
    st.sampled_from("零〇一二两三四五六七八九十百千万亿几点半"),
    _unit,
    st.sampled_from("至到~～-－—余多来"),
    st.sampled_from(["以上", "左右", "以下", "以内", "百分之", *new._PREFIX_QUALIFIERS]),
    st.sampled_from("餘萬億兩個項場條戶臺間門類畝頃噸約過將點來週歲鐘時筆處輛輪種數幾"),
    st.sampled_from("“「『《〈‘\"'【第数好每最预签条制合公节民工义月日级元素ABx:/_ \n"),
    st.sampled_from(["十四五", "二〇二三年", "2024年", "1.2万", "3.5亿元", "1000万元"]),
    st.characters(categories=["Cs"]),
    st.characters(),
)
_text = st.lists(_pieces, max_size=60).map("".join)


@settings(max_examples=200)
@given(_text)
def test_find_quantities_same_as_before(text: str) -> None:
    assert _fields(new.find_quantities(text)) == _fields(old.find_quantities(text))


@settings(max_examples=150)
@given(_text)
def test_scan_matches_same_as_before(text: str) -> None:
    assert _matches(new._QUANTITY, text) == _matches(old._QUANTITY, text)
    assert _matches(new._PERCENT, text) == _matches(old._PERCENT, text)


@settings(max_examples=150)
@given(st.lists(_pieces, max_size=6).map("".join))
def test_parsers_same_as_before(text: str) -> None:
    assert new.parse_number(text) == old.parse_number(text)
    assert _fields(new.parse_quantity(text)) == _fields(old.parse_quantity(text))


@settings(max_examples=20)
@given(_text, st.integers(min_value=1, max_value=400))
def test_long_lines_same_as_before(text: str, repeat: int) -> None:
    long = text * repeat
    assert _fields(new.find_quantities(long)) == _fields(old.find_quantities(long))


def test_seeds_same_as_before() -> None:
    for seed in SEEDS:
        text = seed.read_text(encoding="utf-8")
        assert _fields(new.find_quantities(text)) == _fields(old.find_quantities(text))


def test_simplifying_twice_changes_nothing() -> None:
    # find_quantities parses numbers from its simplified text without simplifying them again.
    assert not set(new._SIMPLIFIED) & set(new._TRADITIONAL)
