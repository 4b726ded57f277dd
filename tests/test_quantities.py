"""The quantity layer: numerals, qualifiers, units, and what must not be read as a quantity."""

from __future__ import annotations

import itertools
from pathlib import Path

import cn2an
import pytest
from hypothesis import given
from hypothesis import strategies as st

from llmx.quantities import find_quantities, parse_number, parse_quantity

CASES = Path(__file__).parent / "data" / "quantities" / "seed_cases.tsv"


def _rows() -> list[list[str]]:
    lines = CASES.read_text(encoding="utf-8").splitlines()
    return [line.split("\t") for line in lines if line and not line.startswith("#")]


@pytest.mark.parametrize("row", _rows(), ids=lambda r: r[0][:12])
def test_seed_snippets(row: list[str]) -> None:
    snippet, value_text = row[0], row[1]
    found = find_quantities(snippet)
    if value_text == "-":
        assert found == [], f"{snippet!r} gave {[q.text for q in found]}"
        return
    value, value_max, unit, qualifier, kind = row[2:]
    matches = [q for q in found if q.text == value_text]
    assert len(matches) == 1, f"{snippet!r} gave {[q.text for q in found]}"
    q = matches[0]
    assert snippet[q.start : q.end] == q.text
    assert q.value == float(value)
    assert q.value_max == (None if value_max == "-" else float(value_max))
    assert q.unit == unit
    assert q.qualifier == qualifier
    assert q.kind == kind


@pytest.mark.parametrize(
    ("text", "value", "value_max", "qualifier"),
    [
        ("约200人", 200, None, "approx"),
        ("200人左右", 200, None, "approx"),
        ("将近300户", 300, None, "nearly"),
        ("不到10家", 10, None, "less_than"),
        ("不足五成", None, None, None),  # 成 is not a unit
        ("至少8名", 8, None, "at_least"),
        ("不少于8名", 8, None, "at_least"),
        ("最多5个", 5, None, "at_most"),
        ("不超过5个", 5, None, "at_most"),
        ("逾千人", 1000, None, "more_than"),  # a lone 千 is an idiom, unless a qualifier leads
        ("3至5名", 3, 5, "range"),
        ("3-5名", 3, 5, "range"),
        ("3名至5名", 3, 5, "range"),
        ("二三十人", 20, 30, "range"),
        ("十几个", 11, 19, "range"),
        ("几十家", 20, 90, "range"),
        ("一两个", 1, 2, "range"),
        ("500人以上", 500, None, "more_than"),
        ("1.2万人", 12000, None, "exact"),
        ("一万二千人", 12000, None, "exact"),
        ("1,322名", 1322, None, "exact"),
        ("百分之三十", 30, None, "exact"),
    ],
)
def test_qualifiers_and_ranges(
    text: str, value: float | None, value_max: float | None, qualifier: str | None
) -> None:
    q = parse_quantity(text)
    if value is None:
        assert find_quantities(text) == []
        return
    assert q is not None
    assert (q.value, q.value_max, q.qualifier) == (value, value_max, qualifier)


def test_money_keeps_wan_in_the_unit() -> None:
    q = parse_quantity("投入帮扶资金500万元")
    assert q is not None
    assert (q.text, q.value, q.unit, q.unit_canonical, q.canonical_value) == (
        "500万元",
        500,
        "万元",
        "元",
        5_000_000,
    )
    q = parse_quantity("1.5亿元")
    assert q is not None and (q.value, q.unit, q.canonical_value) == (1.5, "亿元", 1.5e8)
    q = parse_quantity("五十万元")
    assert q is not None and (q.value, q.unit, q.canonical_value) == (50, "万元", 500_000)
    q = parse_quantity("300余万元")
    assert q is not None and (q.value, q.unit, q.qualifier) == (300, "万元", "more_than")


def test_units_and_kinds() -> None:
    people, times = parse_quantity("30名"), parse_quantity("30人次")
    assert people is not None and times is not None
    assert people.unit_canonical == "人" and times.unit_canonical == "人次"
    assert people.is_reported_amount and times.is_reported_amount
    area = parse_quantity("2公顷")
    assert area is not None and (area.kind, area.unit_canonical, area.canonical_value) == (
        "area",
        "亩",
        30,
    )
    for text, kind in [
        ("3个百分点", "rate"),
        ("15%", "rate"),
        ("2倍", "rate"),
        ("3个月", "duration"),
    ]:
        q = parse_quantity(text)
        assert q is not None and q.kind == kind and q.text == text
    for text in ["4天", "3公里", "50岁"]:
        q = parse_quantity(text)
        assert q is not None and not q.is_reported_amount


def test_parse_quantity_bare_numbers_and_articles() -> None:
    q = parse_quantity("1.2万")
    assert q is not None and (q.value, q.unit) == (12000, None)
    q = parse_quantity("近两千")
    assert q is not None and (q.value, q.qualifier) == (2000, "nearly")
    q = parse_quantity("一个")  # a model's value_text: the caller says it is a quantity
    assert q is not None and (q.value, q.unit) == (1, "个")
    assert find_quantities("一个切入点") == []
    assert parse_quantity("今年以来") is None
    assert parse_quantity("") is None


def test_traditional_script_offsets_point_into_the_input() -> None:
    text = "提供就業崗位6000餘個,進場群眾達500餘人"
    found = find_quantities(text)
    assert [text[q.start : q.end] for q in found] == ["6000餘個", "500餘人"]
    assert [q.unit_simplified for q in found] == ["个", "人"]


def test_more_negatives() -> None:
    for text in [
        "2024年8月23日",
        "二〇二三年",
        "11:24:12",
        "第28022号",
        "第三批专家",
        "数十名专家",
        "千家万户",
        "三位一体",
        "最近10天",  # 最近 is "recently", not the qualifier 近
        "3D打印",
        "B2-20240091",
    ]:
        found = [q for q in find_quantities(text) if q.is_reported_amount]
        assert found == [], f"{text!r} gave {[q.text for q in found]}"
    assert [q.qualifier for q in find_quantities("近10天")] == ["nearly"]


def test_non_overlapping_and_ordered() -> None:
    text = "培训320余人次,指导200余人次;3至5名专家,近两千公里。"
    found = find_quantities(text)
    assert [q.text for q in found] == ["320余人次", "200余人次", "3至5名", "近两千公里"]
    for a, b in itertools.pairwise(found):
        assert a.end <= b.start


_TWO = {"二千": "两千", "二万": "两万", "二亿": "两亿", "二百": "两百"}


@given(st.integers(min_value=0, max_value=10**12))
def test_chinese_numerals_round_trip(n: int) -> None:
    written = cn2an.an2cn(n)
    assert parse_number(written) == (float(n), None)
    # 两 is the usual reading of a leading 2 before 百/千/万/亿
    for plain, two in _TWO.items():
        if written.startswith(plain):
            assert parse_number(two + written[len(plain) :]) == (float(n), None)


@given(st.integers(min_value=1, max_value=99_999), st.sampled_from(["万", "亿"]))
def test_arabic_with_multiplier(n: int, mult: str) -> None:
    scale = 1e4 if mult == "万" else 1e8
    assert parse_number(f"{n}{mult}") == (n * scale, None)
    q = parse_quantity(f"{n}{mult}人")
    assert q is not None and q.value == n * scale and q.unit == "人"


@given(st.integers(min_value=2, max_value=10**8), st.sampled_from(["名", "人次", "个", "亩"]))
def test_found_in_running_text(n: int, unit: str) -> None:
    for number in (str(n), cn2an.an2cn(n)):
        text = f"共帮扶{number}{unit},成效明显"
        found = find_quantities(text)
        assert len(found) == 1
        q = found[0]
        assert text[q.start : q.end] == q.text == f"{number}{unit}"
        assert q.value == n
