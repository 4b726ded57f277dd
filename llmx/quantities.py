"""Chinese quantity expressions: find them, parse them, canonicalise their units.

What counts as a quantity here: a number (Arabic ``3153``, ``1.2万``, ``1,322``; Chinese
``两千``, ``一万二``, ``十几``, ``二三十``; ``半`` before a duration) followed by a unit or
classifier from :data:`UNITS`, with optional qualifiers before (``近`` ``约`` ``超过`` ...), between
(``余`` ``多`` ``来``) and after (``以上`` ``左右`` ...), or a range (``3至5名``, ``3-5名``,
``半年至一年``). Bare numbers without a unit are not reported by :func:`find_quantities` (they are
mostly dates, codes and list numbers); :func:`parse_quantity` accepts them when the whole string
is a number (``1.2万``).

Value convention:

- ``value`` is the number as written with 万/亿 folded in: ``1.2万人`` -> 12000, unit ``人``;
  ``1.5万亩`` -> 15000, unit ``亩``.
- Money is the exception: 万/亿 directly before a currency stays in the unit, so ``500万元`` ->
  ``value`` 500, ``unit`` ``万元`` (as the schema's examples write it), and
  ``canonical_value`` 5000000 with ``unit_canonical`` ``元``.
- ``canonical_value``/``canonical_value_max`` are ``value``/``value_max`` expressed in
  ``unit_canonical``: people 名/人/位 -> 人; 人次 stays 人次 (never the same as people); counts keep
  their (simplified) classifier; money -> 元; area -> 亩 (公顷 x15, 平方米 x0.0015); distance ->
  公里; weight -> 公斤; durations keep 年/月/周/天/小时 (no conversion between them).
- ``kind`` says what sort of quantity it is; :data:`REPORTED_KINDS` are the ones that can be a
  reported amount (people, money, counts, area, rates; durations, distances and ages are not).
- ``十几`` -> range 11..19, ``几十`` -> range 20..90 (a leading 几 is 2..9, a trailing one 1..9),
  ``二三十`` -> range 20..30, ``一两个`` -> range 1..2.

Not quantities: years and dates (``2024年``, ``8月23日``, ``2023-07-11``, ``11:24:12``), phone and
licence numbers, ordinals (``第三届``), numbers glued to Latin letters (``5A级``, ``3D``), numbers
right after an opening quote or book-title mark (slogans and names: ``“三支”``, ``“四个明显提升”``),
plan names (``十四五``), a lone ``一`` before a classifier (an indefinite article: ``一名患者``,
``一批专家``), a lone 百/千/万/亿 (idioms: ``千家万户``), and ``几``/``数`` without a number.

Traditional script is understood: a small same-length character table maps the numerals,
qualifiers and units that differ (``餘`` ``萬`` ``個`` ``項`` ...) before matching, and spans and
``text`` always come from the string as given.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import cn2an

from llmx.core.results import Qualifier

QuantityKind = Literal[
    "people",
    "person_times",
    "count",
    "area",
    "money",
    "rate",
    "weight",
    "distance",
    "duration",
    "age",
]
"""What a quantity measures. Only :data:`REPORTED_KINDS` are reported amounts."""

REPORTED_KINDS: frozenset[str] = frozenset(
    {"people", "person_times", "count", "area", "money", "rate", "weight"}
)


@dataclass(frozen=True, slots=True)
class Quantity:
    """A quantity expression found in text.

    Attributes:
        text: The expression as written, e.g. ``320余人次``.
        start: Offset of ``text`` in the scanned string.
        end: End offset (exclusive).
        value: The number, multipliers folded in (``1.2万`` -> 12000); for money the value is in
            the written unit (``500万元`` -> 500).
        value_max: Upper bound of a range (``3至5名`` -> 5), else None.
        unit: The unit as written (``人次``, ``万元``, ``個``), or None.
        unit_canonical: The canonical unit (``万元`` -> ``元``, ``名`` -> ``人``), or None.
        qualifier: One of :data:`llmx.core.results.Qualifier`.
        kind: What it measures (:data:`QuantityKind`), None when there is no unit.
        canonical_value: ``value`` expressed in ``unit_canonical``.
        canonical_value_max: ``value_max`` expressed in ``unit_canonical``.
        unit_simplified: ``unit`` in simplified script (``個`` -> ``个``).
    """

    text: str
    start: int
    end: int
    value: float
    value_max: float | None = None
    unit: str | None = None
    unit_canonical: str | None = None
    qualifier: Qualifier = "exact"
    kind: QuantityKind | None = None
    canonical_value: float | None = None
    canonical_value_max: float | None = None
    unit_simplified: str | None = None

    @property
    def is_reported_amount(self) -> bool:
        """True for a reported amount (people, money, counts...; not a duration, distance, age)."""
        return self.kind in REPORTED_KINDS


# unit (simplified) -> (kind, canonical unit, factor to the canonical unit)
UNITS: dict[str, tuple[QuantityKind, str, float]] = {
    "人次": ("person_times", "人次", 1.0),
    "名": ("people", "人", 1.0),
    "人": ("people", "人", 1.0),
    "位": ("people", "人", 1.0),
    **{c: ("count", c, 1.0) for c in "个项家户批条场所例期支台篇次套座间件本门类种株棵头处辆份轮"},
    "亩": ("area", "亩", 1.0),
    "公顷": ("area", "亩", 15.0),
    "平方米": ("area", "亩", 0.0015),
    "平方公里": ("area", "亩", 1500.0),
    "元": ("money", "元", 1.0),
    "万元": ("money", "元", 1e4),
    "亿元": ("money", "元", 1e8),
    "美元": ("money", "美元", 1.0),
    "万美元": ("money", "美元", 1e4),
    "亿美元": ("money", "美元", 1e8),
    "%": ("rate", "%", 1.0),
    "％": ("rate", "%", 1.0),
    "个百分点": ("rate", "个百分点", 1.0),
    "倍": ("rate", "倍", 1.0),
    "吨": ("weight", "公斤", 1000.0),
    "公斤": ("weight", "公斤", 1.0),
    "千克": ("weight", "公斤", 1.0),
    "斤": ("weight", "公斤", 0.5),
    "公里": ("distance", "公里", 1.0),
    "千米": ("distance", "公里", 1.0),
    "米": ("distance", "公里", 0.001),
    "年": ("duration", "年", 1.0),
    "个月": ("duration", "月", 1.0),
    "周": ("duration", "周", 1.0),
    "天": ("duration", "天", 1.0),
    "小时": ("duration", "小时", 1.0),
    "分钟": ("duration", "分钟", 1.0),
    "岁": ("age", "岁", 1.0),
}

# A unit followed by one of these characters starts another word (项目, 条件, 座谈, 支持 ...).
_UNIT_NOT_BEFORE: dict[str, str] = {
    "人": "民工",
    "名": "义称额",
    "位": "于置列居次数一",
    "个": "别",
    "项": "目链",
    "家": "庭长属乡",
    "户": "籍口外",
    "批": "准示复评",
    "条": "件例款约",
    "场": "所景馆地",
    "所": "有以在属得需谓长",
    "例": "如外子",
    "期": "间限望待工末盼刊",
    "支": "持付援出撑部教医农",
    "台": "湾阶风山河",
    "次": "日年月要序",
    "座": "谈位",
    "间": "接隔歇断",
    "本": "地土人市区县届次年月期轮身级着",
    "门": "口诊户槛票峡",
    "类": "似",
    "种": "植养子苗",
    "头": "部等条号",
    "处": "理长级室",
    "份": "额",
    "轮": "流",
    "元": "素旦化年月代宵帅老首",
    "天": "然津山下空地",
    "周": "边末年岁期围",
    "年": "级代度",
    "米": "粉饭",
}

_PREFIX_QUALIFIERS: dict[str, Qualifier] = {
    "超过": "more_than",
    "逾": "more_than",
    "多达": "exact",
    "高达": "exact",
    "约": "approx",
    "大约": "approx",
    "近": "nearly",
    "将近": "nearly",
    "接近": "nearly",
    "不到": "less_than",
    "不足": "less_than",
    "至少": "at_least",
    "不少于": "at_least",
    "最多": "at_most",
    "不超过": "at_most",
}
_SUFFIX_QUALIFIERS: dict[str, Qualifier] = {"余": "more_than", "多": "more_than", "来": "approx"}
_POST_QUALIFIERS: dict[str, Qualifier] = {
    "以上": "more_than",
    "左右": "approx",
    "以下": "at_most",
    "以内": "at_most",
}

# Traditional -> simplified for the characters this module matches on (all one-to-one, so
# offsets are unchanged).
_TRADITIONAL = "餘萬億兩個項場條戶臺間門類畝頃噸約過將點來週歲鐘時筆處輛輪種數幾"
_SIMPLIFIED = "余万亿两个项场条户台间门类亩顷吨约过将点来周岁钟时笔处辆轮种数几"
_T2S = str.maketrans(_TRADITIONAL, _SIMPLIFIED)
_HAS_TRADITIONAL = re.compile(f"[{_TRADITIONAL}]")


def show_number(value: object) -> str:
    """A record's number as people write it (``320.0`` -> ``320``, ``1.2e8`` -> ``120000000``);
    ``?`` for a missing or non-numeric one."""
    if isinstance(value, bool) or value is None:
        return "?"
    if isinstance(value, int | float):
        return f"{value:.12g}"
    return str(value)


def _simplified(text: str) -> str:
    """``text`` with :data:`_T2S` applied; already simplified text (the usual case, e.g. a
    matching view) is returned as is, without a per-character pass."""
    return text.translate(_T2S) if _HAS_TRADITIONAL.search(text) else text


_CN_DIGIT_VALUES = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_POWERS = "十百千万亿"
_CN_NUM_CHARS = "".join(_CN_DIGIT_VALUES) + _CN_POWERS + "几"
_MULTIPLIERS = {"十": 10.0, "百": 100.0, "千": 1e3, "万": 1e4, "亿": 1e8}
_PLAN_NAMES = frozenset({"十一五", "十二五", "十三五", "十四五", "十五五"})
_OPENING_MARKS = "“「『《〈‘\"'【"
_CURRENCIES = ("元", "美元")

# Digit runs are possessive (``++``): giving digits back only leaves a digit next, and nothing
# that may follow a number starts with one, so backtracking into them never finds a match; it
# only made scans quadratic in the length of digit runs (dates, phone numbers).
_AR = r"\d{1,3}+(?:,\d{3})+(?!\d)(?:\.\d++)?|\d++(?:\.\d++)?"
_CN = rf"[{_CN_NUM_CHARS}]+(?:点[零〇一二三四五六七八九]+)?"
_NUMBER = rf"(?:{_AR})(?:[十百千]?[万亿]|[百千](?![米克]))?|{_CN}|半"
# Alternations of literals are tried one by one at every candidate position; the lookahead on
# their first characters fails most positions at once (same matches, ~20% faster scans).
_UNIT_RE = "(?=[{}])(?:{})".format(
    "".join(sorted({re.escape(u[0]) for u in UNITS})),
    "|".join(re.escape(u) for u in sorted(UNITS, key=len, reverse=True)),
)
_PRE_RE = "(?=[{}])(?:{})".format(
    "".join(sorted({p[0] for p in _PREFIX_QUALIFIERS})),
    "|".join(sorted(_PREFIX_QUALIFIERS, key=len, reverse=True)),
)
_RANGE_SEP = r"至|到|~|～|-|－|—"

# Every quantity starts with a digit, a Chinese numeral, 半 or a prefix qualifier: the lookahead
# lets the regex engine skip every other position at C speed (2-3x faster scans).
_STARTS = "".join(sorted({p[0] for p in _PREFIX_QUALIFIERS} | set(_CN_NUM_CHARS) | {"半"}))
_QUANTITY = re.compile(
    rf"(?=[\d{_STARTS}])"
    rf"(?P<pre>{_PRE_RE})?"
    rf"(?P<num>{_NUMBER})"
    rf"(?:(?P<unit1>{_UNIT_RE})?(?P<sep>{_RANGE_SEP})(?P<num2>{_NUMBER}))?"
    rf"(?P<suf>[余多来])?"
    rf"(?P<unit>{_UNIT_RE})"
    rf"(?P<post>以上|左右|以下|以内)?"
)
_PERCENT = re.compile(
    rf"(?=[{''.join(sorted({p[0] for p in _PREFIX_QUALIFIERS}))}百])"
    rf"(?P<pre>{_PRE_RE})?百分之(?P<num>{_CN}|{_AR})"
)
_WHOLE_NUMBER = re.compile(rf"(?P<pre>{_PRE_RE})?(?P<num>{_NUMBER})(?P<suf>[余多来])?")
_GROUPS = ("pre", "num", "unit1", "sep", "num2", "suf", "unit", "post")
_ARABIC = re.compile(r"([\d,]+(?:\.\d+)?)([十百千]?[万亿]|[百千])?")
_PERCENT_WORD = "百分之"  # every _PERCENT match holds it


def parse_number(text: str) -> tuple[float, float | None] | None:
    """Parse a numeral (``3153``, ``1.2万``, ``两千``, ``十几``, ``二三十``, ``半``).

    Returns ``(value, value_max)`` -- ``value_max`` is set for vague ranges such as ``十几`` --
    or None when ``text`` is not a number this module understands.
    """
    return _parse_simplified(_simplified(text).strip())


def _parse_simplified(s: str) -> tuple[float, float | None] | None:
    """:func:`parse_number` on a stripped string already in simplified script (a match in
    ``find_quantities``' simplified text: simplifying it again would change nothing)."""
    if not s:
        return None
    if s == "半":
        return 0.5, None
    if s[0].isdigit():
        m = _ARABIC.fullmatch(s)
        if not m:
            return None
        try:
            base = float(m.group(1).replace(",", ""))
        except ValueError:
            return None
        for ch in m.group(2) or "":
            base *= _MULTIPLIERS[ch]
        return base, None
    return _parse_chinese(s)


def _cn2an(s: str) -> float | None:
    """cn2an on an isolated Chinese numeral; None if it refuses it."""
    try:
        return float(cn2an.cn2an(s, "normal"))
    except (ValueError, KeyError, IndexError):
        return None


# A pure function of a numeral, and cn2an is slow (~15 us a call): numerals repeat across texts.
@lru_cache(maxsize=4096)
def _parse_chinese(s: str) -> tuple[float, float | None] | None:
    if s in _PLAN_NAMES or s == "几":
        return None
    if s in _MULTIPLIERS:  # 逾千人: callers decide whether a lone 千 is a number
        return _MULTIPLIERS[s], None
    if "几" in s:
        if s.count("几") > 1:
            return None
        i = s.index("几")
        lo_digit = "二" if i == 0 else "一"
        lo, hi = _cn2an(s.replace("几", lo_digit)), _cn2an(s.replace("几", "九"))
        return (lo, hi) if lo is not None and hi is not None else None
    digits_only = all(c in _CN_DIGIT_VALUES for c in s.split("点")[0])
    head = s.split("点")[0]
    # Two neighbouring digits (二三十, 一两, 十二三, 三五) are an approximate range.
    for i in range(len(head) - 1):
        a, b = head[i], head[i + 1]
        if a in _CN_DIGIT_VALUES and b in _CN_DIGIT_VALUES and a not in "零〇":
            va, vb = _CN_DIGIT_VALUES[a], _CN_DIGIT_VALUES[b]
            if (vb == va + 1 or (va, vb) == (3, 5)) and not (digits_only and len(head) > 2):
                lo = _cn2an(s[:i] + a + s[i + 2 :])
                hi = _cn2an(s[:i] + b + s[i + 2 :])
                return (lo, hi) if lo is not None and hi is not None else None
    if digits_only and len(head) > 1:
        return None  # digit-by-digit strings (二〇二三) are years or codes, not amounts
    value = _cn2an(s)
    return None if value is None else (value, None)


def find_quantities(text: str) -> list[Quantity]:
    """Every quantity in ``text``, in order, non-overlapping.

    Each quantity carries a unit; durations, distances and ages are found too but flagged by
    ``kind`` (see :attr:`Quantity.is_reported_amount`).
    """
    norm = _simplified(text)
    found: list[Quantity] = []
    for m in _QUANTITY.finditer(norm):
        q = _from_match(text, norm, m)
        if q is not None:
            found.append(q)
    if _PERCENT_WORD in norm:  # no percent scan (~15% of the time) for text without 百分之
        for m in _PERCENT.finditer(norm):
            q = _from_percent(text, norm, m)
            if q is not None and not any(o.start < q.end and q.start < o.end for o in found):
                found.append(q)
        found.sort(key=lambda q: q.start)  # the first scan's are in order already
    return found


def parse_quantity(text: str) -> Quantity | None:
    """Parse one expression (e.g. a model's ``value_text``); None if it holds no quantity.

    Offsets are into ``text``. A string that is only a number (``1.2万``, ``约200``) parses
    with ``unit`` None; a lone ``一`` with a classifier (``一个``) is accepted here, since the
    caller has already decided the string is a quantity.
    """
    found = find_quantities(text)
    if found:
        return found[0]
    norm = _simplified(text)
    m = _WHOLE_NUMBER.fullmatch(norm.strip())
    offset = len(norm) - len(norm.lstrip())
    if m is not None:
        parsed = _parse_simplified(m.group("num"))  # a match in `norm`, already simplified
        if parsed is None:
            return None
        value, value_max = parsed
        qualifier = _qualifier(m.group("pre"), m.group("suf"), None, value_max is not None)
        return Quantity(
            text=text[offset + m.start() : offset + m.end()],
            start=offset + m.start(),
            end=offset + m.end(),
            value=value,
            value_max=value_max,
            qualifier=qualifier,
            canonical_value=value,
            canonical_value_max=value_max,
        )
    # A lone 一 + classifier: find_quantities treats it as an article, the caller does not.
    m2 = re.search(rf"一(?P<unit>{_UNIT_RE})", norm)
    if m2 is not None:
        unit = m2.group("unit")
        kind, canon, factor = UNITS[unit]
        return Quantity(
            text=text[m2.start() : m2.end()],
            start=m2.start(),
            end=m2.end(),
            value=1.0,
            unit=text[m2.start("unit") : m2.end("unit")],
            unit_canonical=canon,
            kind=kind,
            canonical_value=factor,
            unit_simplified=unit,
        )
    return None


def _qualifier(pre: str | None, suf: str | None, post: str | None, is_range: bool) -> Qualifier:
    if is_range:
        return "range"
    if pre and _PREFIX_QUALIFIERS[pre] != "exact":
        return _PREFIX_QUALIFIERS[pre]
    if suf:
        return _SUFFIX_QUALIFIERS[suf]
    if post:
        return _POST_QUALIFIERS[post]
    return "exact"


def _bad_context(norm: str, num_start: int, num: str, pre: str | None) -> bool:
    """True when the characters around a number say it is not an amount."""
    before = norm[num_start - 1] if num_start > 0 else ""
    if pre == "近" and num_start >= 2 and norm[num_start - 2] == "最":
        return True  # 最近 = recently
    if pre == "约" and num_start >= 2 and norm[num_start - 2] in "预签条制合公节":
        return True
    if pre:
        return False
    if before and (before in _CN_NUM_CHARS or before.isdigit() or before in "第数好每"):
        return True
    if before and before in _OPENING_MARKS:
        return True
    if num[0].isdigit():
        if before and (before.isascii() and (before.isalnum() or before in ".-:/_")):
            return True
        if before and before in "－：":
            return True
    return False


def _from_match(text: str, norm: str, m: re.Match[str]) -> Quantity | None:
    pre, num, unit1, sep, num2, suf, unit, post = m.group(*_GROUPS)  # one call, not eight
    start, end = m.span()
    after = norm[end] if end < len(norm) else ""
    if _bad_context(norm, m.start("num"), num, pre):
        return None
    if after and after in _UNIT_NOT_BEFORE.get(unit, "") and not post:
        return None
    if unit1 is not None and unit1 != unit:
        return None
    if sep in ("-", "－", "—") and (not num[0].isdigit() or not num2 or not num2[0].isdigit()):
        return None  # a dash range only between Arabic numbers (not 荔湾—南海)
    # Years: 2024年, 二〇二三年; a bare 月 or 日 never gets here (not units).
    if unit == "年" and _looks_like_year(num):
        return None
    # Money: 万/亿 right before the currency belong to the unit (500万元 -> 500 万元).
    unit_s, num_core, num2_core = unit, num, num2
    mult_pos = m.end("num2" if num2 else "num") - 1
    if unit in _CURRENCIES and norm[mult_pos] in "万亿" and mult_pos > m.start("num"):
        mult = norm[mult_pos]
        unit_s = mult + unit
        if num2_core:
            num2_core = num2_core[:-1]
            num_core = num_core[:-1] if num_core[-1] == mult else num_core
        else:
            num_core = num_core[:-1]
        # as written: the multiplier plus the currency, even when 余 sits between (500万余元)
        unit_written = text[mult_pos] + text[m.start("unit") : m.end("unit")]
    else:
        unit_written = text[m.start("unit") : m.end("unit")]
    if _lone_article(num_core, unit_s, pre, suf, num2):
        return None
    parsed = _parse_simplified(num_core)
    if parsed is None:
        return None
    value, value_max = parsed
    if num2_core is not None:
        parsed2 = _parse_simplified(num2_core)
        if parsed2 is None or value_max is not None:
            return None
        value_max = parsed2[1] if parsed2[1] is not None else parsed2[0]
        if value_max <= value:
            return None
    if num[0].isdigit() and len(num.replace(",", "").split(".")[0]) > 9:
        return None  # long digit runs are codes and phone numbers
    kind, canon, factor = UNITS[unit_s]
    qualifier = _qualifier(pre, suf, post, value_max is not None)
    # Positional: a frozen dataclass's __init__ matching twelve keywords costs ~1 us a call.
    return Quantity(
        text[start:end],  # text
        start,
        end,
        value,
        value_max,
        unit_written,  # unit
        canon,  # unit_canonical
        qualifier,
        kind,
        value * factor,  # canonical_value
        None if value_max is None else value_max * factor,  # canonical_value_max
        unit_s,  # unit_simplified
    )


def _looks_like_year(num: str) -> bool:
    if num[0].isdigit():
        return len(num) == 4 and num.isdigit() and 1000 <= int(num) <= 2200
    return len(num) == 4 and all(c in _CN_DIGIT_VALUES for c in num)


def _lone_article(num: str, unit: str, pre: str | None, suf: str | None, num2: str | None) -> bool:
    """A lone 一 before a classifier (一名患者, 一批专家) is an article, not a count; a lone
    百/千/万/亿 is an idiom (千家万户)."""
    if num2 is not None or pre or suf:
        return False
    if num == "一":
        return UNITS[unit][0] != "duration"
    return num in ("百", "千", "万", "亿")


def _from_percent(text: str, norm: str, m: re.Match[str]) -> Quantity | None:
    if not m.group("pre") and m.start() > 0 and norm[m.start() - 1] in _CN_NUM_CHARS:
        return None
    parsed = _parse_simplified(m.group("num"))
    if parsed is None:
        return None
    value, value_max = parsed
    return Quantity(
        text=text[m.start() : m.end()],
        start=m.start(),
        end=m.end(),
        value=value,
        value_max=value_max,
        unit="%",
        unit_canonical="%",
        qualifier=_qualifier(m.group("pre"), None, None, value_max is not None),
        kind="rate",
        canonical_value=value,
        canonical_value_max=value_max,
        unit_simplified="%",
    )
