"""The rules extractor: metrics on the seeds (found, negatives absent, spans exact), and the
programme rules (partnerships, initiatives, links) on invented sentences."""

from __future__ import annotations

import importlib
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from llmx.core.documents import Chunk, Document
from llmx.providers.base import Backend
from llmx.providers.offline import OfflineBackend as RulesBackend
from llmx.tasks import load_task

# The cooperation task's offline extractor, reached as llmx reaches it: through the task.
extract_records = load_task("cooperation").module.extract_offline  # type: ignore[union-attr]

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
SCHEMA_FIELDS = {
    "programmes": {
        "id",
        "kind",
        "parent",
        "name",
        "donors",
        "recipients",
        "domains",
        "start_date",
        "end_date",
        "evidence",
    },
    "metrics": {
        "subject",
        "value",
        "value_max",
        "unit",
        "qualifier",
        "value_text",
        "evidence",
        "status",
        "programme",
    },
}


@cache
def _seed(prefix: str) -> tuple[str, dict[str, list[dict[str, Any]]]]:
    path = next(SEEDS.glob(f"{prefix}_*.txt"))
    text = path.read_text(encoding="utf-8")
    return text, extract_records(text)


def _metric(records: dict[str, list[dict[str, Any]]], value_text: str) -> dict[str, Any]:
    found = [m for m in records["metrics"] if m["value_text"] == value_text]
    assert found, f"{value_text} not found in {[m['value_text'] for m in records['metrics']]}"
    return found[0]


# (seed, value_text, subject, value, unit, qualifier)
EXPECTED = [
    ("000", "320余人次", "培训", 320, "人次", "more_than"),
    ("000", "15个", "项目基地", 15, "个", "exact"),
    ("000", "200余人次", "现场指导", 200, "人次", "more_than"),
    ("000", "58条", "指导建议", 58, "条", "exact"),
    ("000", "17名", "广州高层次专家", 17, "名", "exact"),
    ("001", "4批", "医疗专业技术人员", 4, "批", "exact"),
    ("001", "10名", "医疗专业技术人员", 10, "名", "exact"),
    ("001", "1322名", "贞丰县籍务工人员", 1322, "名", "exact"),
    ("001", "6000餘個", "就业岗位", 6000, "个", "more_than"),
    ("001", "22家", "企业", 22, "家", "exact"),
    ("002", "200多人", "园区代表", 200, "人", "more_than"),
    ("003", "3153人次", "医疗学术和专科培训", 3153, "人次", "exact"),
    ("003", "5600余名", "群众", 5600, "名", "more_than"),
    ("003", "49名", "科技特派员", 49, "名", "exact"),
    ("003", "500余亩", "优质辣椒产业基地", 500, "亩", "more_than"),
    ("003", "4名", "博士", 4, "名", "exact"),
    ("004", "56名", "“三支”人才", 56, "名", "exact"),
    ("004", "500余名", "教师", 500, "名", "more_than"),
]


@pytest.mark.parametrize(("seed", "value_text", "subject", "value", "unit", "qualifier"), EXPECTED)
def test_expected_metrics(
    seed: str, value_text: str, subject: str, value: float, unit: str, qualifier: str
) -> None:
    _, records = _seed(seed)
    m = _metric(records, value_text)
    assert (m["subject"], m["value"], m["unit"], m["qualifier"]) == (
        subject,
        value,
        unit,
        qualifier,
    )


@pytest.mark.parametrize(
    ("seed", "absent"),
    [
        ("000", ["4天", "十年", "2024年", "8月23日", "5A", "13524678515"]),
        ("001", ["一周", "近兩周", "50多歲", "第二批", "一名", "一公里", "4天"]),
        ("002", ["1+4", "2.0", "七年", "2009年"]),
        ("003", ["第三届", "近两千公里", "2023-07-11", "11:24:12", "985", "四个", "五项"]),
        ("004", ["第二批", "第三屆", "3周", "半年至一年", "一年", "五個", "三支"]),
    ],
)
def test_negatives_absent(seed: str, absent: list[str]) -> None:
    _, records = _seed(seed)
    texts = {m["value_text"] for m in records["metrics"]}
    for bad in absent:
        assert not any(bad in t for t in texts), f"{bad} reported as a metric in seed {seed}"


@pytest.mark.parametrize("seed", ["000", "001", "002", "003", "004"])
def test_spans_slice_exactly_and_fields_match_schema(seed: str) -> None:
    text, records = _seed(seed)
    assert records["metrics"]
    ids = {p["id"] for p in records["programmes"]}
    for kind in ("programmes", "metrics"):
        for r in records[kind]:
            assert set(r) == SCHEMA_FIELDS[kind] | {"_span", "_evidence_span"}
            a, b = r["_evidence_span"]
            assert text[a:b] == r["evidence"] and r["evidence"].strip() == r["evidence"]
            anchor = r["value_text"] if kind == "metrics" else r["name"]
            s, e = r["_span"]
            assert text[s:e] == anchor
            assert a <= s < e <= b or kind == "programmes"
    for m in records["metrics"]:
        assert m["programme"] is None or m["programme"] in ids


def test_records_validate_against_the_schema() -> None:
    task = load_task("cooperation")
    for seed in ["000", "001", "002", "003", "004"]:
        _, records = _seed(seed)
        clean = {
            k: [{f: v for f, v in r.items() if not f.startswith("_")} for r in rs]
            for k, rs in records.items()
        }
        task.response_model.model_validate(clean)


def test_programmes_on_a_seed() -> None:
    _, records = _seed("000")
    progs = records["programmes"]
    assert [p["id"] for p in progs] == [f"P{i}" for i in range(1, len(progs) + 1)]
    paired = [p for p in progs if "广州市" in p["donors"] and "黔南州" in p["recipients"]]
    assert paired, progs
    # the metrics paragraph says 此次活动: it links back to the 2024 visit
    assert _metric(records, "320余人次")["programme"] == progs[0]["id"]
    assert "干部人才" in progs[0]["domains"]


def test_traditional_and_simplified_give_the_same_metrics() -> None:
    from llmx.text.script import to_simplified

    text, records = _seed("001")
    again = extract_records(to_simplified(text))
    assert [(m["subject"], m["value"], m["_span"]) for m in records["metrics"]] == [
        (m["subject"], m["value"], m["_span"]) for m in again["metrics"]
    ]


def test_deterministic() -> None:
    text, records = _seed("003")
    assert extract_records(text) == records


async def test_backend_extract_chunk() -> None:
    text, records = _seed("000")
    backend: Backend = RulesBackend()  # mypy checks the protocol
    assert (backend.name, backend.model, backend.max_chunk_chars) == ("rules", None, 20_000)
    doc = Document(id="000", text=text, source="seeds/000.txt")
    out = await backend.extract_chunk(load_task("cooperation"), Chunk(0, text, 0), doc)
    assert out.records == records
    assert out.attempts == 0 and out.usage.total_tokens == 0
    await backend.aclose()


async def test_backend_refuses_a_task_without_an_offline_extractor() -> None:
    class Other:
        name = "events"
        offline_extractor = None

    with pytest.raises(ValueError, match="no offline extractor"):
        await RulesBackend().extract_chunk(Other(), Chunk(0, "x", 0), Document("d", "x", "s"))  # type: ignore[arg-type]


# --- programmes on invented sentences (GUIDELINES.md §1-§4; places not in the seeds) ----------


def _programmes(text: str) -> list[dict[str, Any]]:
    return extract_records(text)["programmes"]


def _of_kind(text: str, kind: str) -> list[dict[str, Any]]:
    return [p for p in _programmes(text) if p["kind"] == kind]


def test_a_directed_relation_word_makes_one_partnership_with_its_date() -> None:
    text = "2016年，厦门市对口帮扶临夏州，拉开了两地协作的序幕。"
    [p] = _programmes(text)
    assert (p["kind"], p["donors"], p["recipients"]) == ("partnership", ["厦门市"], ["临夏州"])
    assert (p["start_date"], p["domains"], p["parent"]) == ("2016年", [], None)


def test_the_eastern_side_gives_in_an_east_west_pairing_whatever_the_order() -> None:
    [p] = _of_kind("临夏州与厦门市确立东西部协作结对关系。", "partnership")
    assert (p["donors"], p["recipients"]) == (["厦门市"], ["临夏州"])


def test_all_mentions_of_one_pair_are_one_partnership() -> None:
    text = (
        "2016年，厦门市对口帮扶临夏州。厦门、临夏两地统筹推进东西部协作。"
        "厦门市与临夏州两地人社部门签订了人力资源合作框架协议。"
    )
    assert len(_of_kind(text, "partnership")) == 1


def test_a_county_pairing_inside_a_city_pairing_has_it_as_parent_and_pronouns_resolve() -> None:
    text = (
        "记者在厦门市思明区了解到，自厦门市与临夏州确立东西部协作关系，"
        "该区与临夏州永靖县开展结对协作。"
    )
    city, county = _of_kind(text, "partnership")
    assert (city["donors"], city["recipients"]) == (["厦门市"], ["临夏州"])
    assert (county["donors"], county["recipients"]) == (["厦门市思明区"], ["临夏州永靖县"])
    assert (county["parent"], city["parent"]) == (city["id"], None)


def test_two_places_of_one_province_cooperating_are_equals() -> None:
    [p] = _of_kind("2018年，深圳市福田区、河源市源城区签订区域人才合作框架协议。", "partnership")
    assert p["donors"] == p["recipients"] == ["深圳市福田区", "河源市源城区"]


def test_bodies_paired_by_name_form_a_partnership_nested_in_their_places_pairing() -> None:
    text = "厦门市对口帮扶临夏州。厦门市第一医院对口帮扶临夏州人民医院。"
    places, bodies = _of_kind(text, "partnership")
    assert (bodies["donors"], bodies["recipients"]) == (["厦门市第一医院"], ["临夏州人民医院"])
    assert bodies["parent"] == places["id"]


def test_pairings_of_people_and_one_sided_mentions_are_no_partnership() -> None:
    assert _of_kind("厦门市思明区实验小学与永靖县实验小学开展师徒结对。", "partnership") == []
    assert _of_kind("临夏州积极推进东西部协作，成效明显。", "partnership") == []


def test_traditional_script_is_read_and_written_as_given() -> None:
    [p] = _of_kind("廈門市對口幫扶臨夏州。", "partnership")
    assert (p["donors"], p["recipients"]) == (["廈門市"], ["臨夏州"])


def test_bare_county_names_need_the_full_name_elsewhere() -> None:
    task_module = load_task("cooperation").module
    find_mentions = importlib.import_module(f"{task_module.__name__}.pairing").find_mentions  # type: ignore[union-attr]

    text = "和平发展是共同心愿。"
    assert find_mentions(text, text) == []
    text = "和平县位于粤北。和平与紫金两地开展结对帮扶。"
    assert [m.written for m in find_mentions(text, text)][:2] == ["和平县", "和平"]


def test_levels_give_but_form_no_partnership_and_no_parent() -> None:
    text = (
        "厦门市对口帮扶临夏州。"
        "去年以来，中央、省、州三级选派的30名科技特派员深入永靖县开展技术指导。"
    )
    [i] = _of_kind(text, "initiative")
    assert (i["donors"], i["recipients"], i["parent"]) == (["中央", "省", "州"], ["永靖县"], None)
    assert len(_of_kind(text, "partnership")) == 1


def test_a_national_assignment_has_no_parent_even_beside_a_pairing() -> None:
    text = (
        "厦门市对口帮扶临夏州。按照工作部署，福建厦门市思明区、甘肃兰州市等地共选派12名教师"
        "“组团式”帮扶永靖县教育工作。"
    )
    [i] = _of_kind(text, "initiative")
    assert i["donors"] == ["福建厦门市思明区", "甘肃兰州市"]
    assert (i["recipients"], i["parent"]) == (["永靖县"], None)


def test_an_initiative_belongs_to_the_narrowest_partnership_and_its_metrics_to_it() -> None:
    text = (
        "厦门市与临夏州确立东西部协作关系，思明区与永靖县开展结对协作。\n"
        "今年以来，思明区选派了3批医生共9人在永靖县人民医院驻点帮扶。"
    )
    records = extract_records(text)
    county = next(p for p in records["programmes"] if p["donors"] == ["思明区"])
    [i] = [p for p in records["programmes"] if p["kind"] == "initiative"]
    assert (i["donors"], i["recipients"], i["parent"]) == (["思明区"], ["永靖县"], county["id"])
    assert _metric(records, "9人")["programme"] == i["id"]


def test_staff_sent_to_the_giver_have_the_giver_as_donor() -> None:
    text = "厦门市对口帮扶临夏州。\n临夏州选派8名教师赴厦门市进行为期半年的“跟岗锻炼”。"
    [i] = _of_kind(text, "initiative")
    assert (i["name"], i["donors"], i["recipients"]) == ("跟岗锻炼", ["厦门市"], ["临夏州"])


def test_the_invited_side_gives() -> None:
    text = "厦门市对口帮扶临夏州。\n临夏州邀请厦门市12名医疗专家开展义诊活动。"
    [i] = _of_kind(text, "initiative")
    assert (i["donors"], i["recipients"]) == (["厦门市"], ["临夏州"])
    assert "医疗" in i["domains"]


def test_a_department_that_gives_is_kept_and_a_donor_named_earlier_is_carried_over() -> None:
    text = "思明区对口帮扶永靖县。\n思明区人社局坚持以稳就业为导向，全面展开与永靖县深度劳务协作。"
    [i] = _of_kind(text, "initiative")
    assert (i["donors"], i["recipients"]) == (["思明区人社局"], ["永靖县"])
    text = "思明区对口帮扶永靖县。\n在永靖县新建的产业园建设项目已经投产。"
    [i] = _of_kind(text, "initiative")
    assert (i["donors"], i["recipients"]) == (["思明区"], ["永靖县"])


def test_a_plan_is_no_initiative_and_its_figure_is_a_target_of_the_partnership() -> None:
    text = "厦门市对口帮扶临夏州。两地计划明年再选派20名教师赴临夏州支教。"
    records = extract_records(text)
    [p] = records["programmes"]
    m = _metric(records, "20名")
    assert (p["kind"], m["status"], m["programme"]) == ("partnership", "target", p["id"])


def test_a_section_heading_names_the_posting_it_reports() -> None:
    text = (
        "厦门临夏携手共进\n厦门市对口帮扶临夏州。\n医疗人才帮扶：让群众就近看病\n"
        "思明区选派5名医生赴永靖县驻点帮扶。"
    )
    [i] = _of_kind(text, "initiative")
    assert (i["name"], i["donors"], i["recipients"]) == ("医疗人才帮扶", ["思明区"], ["永靖县"])


def test_a_heading_and_its_body_are_one_initiative_and_back_references_link_to_it() -> None:
    text = (
        "2024年厦门市专家赴临夏州开展智力帮扶活动侧记\n"
        "8月1日，2024年厦门市专家赴临夏州开展智力帮扶活动。\n"
        "据了解，此次活动培训200余人次。"
    )
    records = extract_records(text)
    implied, i = records["programmes"]  # the visit implies the cities' partnership (P1b)
    assert (implied["kind"], i["parent"]) == ("partnership", implied["id"])
    assert (i["kind"], i["donors"], i["recipients"]) == ("initiative", ["厦门市"], ["临夏州"])
    assert "智力帮扶活动" in i["name"]
    assert _metric(records, "200余人次")["programme"] == i["id"]


def test_two_actions_in_one_sentence_are_two_initiatives() -> None:
    text = (
        "厦门市对口帮扶临夏州。\n临夏州选派4人赴厦门市学习管理经验，"
        "同时接收厦门市6名企业人才来临夏开展指导服务。"
    )
    study, service = _of_kind(text, "initiative")
    assert (study["name"], study["donors"]) == ("赴厦门市学习", ["厦门市"])
    assert (service["donors"], service["recipients"]) == (["厦门市"], ["临夏州"])
    assert service["name"].endswith("指导服务")


def test_an_unnamed_posting_is_named_by_what_is_done_and_a_fair_by_its_event() -> None:
    text = (
        "思明区对口帮扶永靖县。\n今年以来，思明区选派了3批共15名教师赴永靖县支教。\n"
        "6月10日，思明区人社局在永靖县举办东西部劳务协作专场招聘会，40家企业参加。"
    )
    posting, fair = _of_kind(text, "initiative")
    assert (posting["name"], posting["donors"], posting["recipients"]) == (
        "支教",
        ["思明区"],
        ["永靖县"],
    )
    assert (fair["name"], fair["donors"]) == ("东西部劳务协作专场招聘会", ["思明区人社局"])
    assert fair["start_date"] == "6月10日"


def test_both_places_with_a_relation_word_name_the_last_place_pairing_again() -> None:
    text = "厦门市对口帮扶临夏州。\n两地计划明年再共建3个产业园。"
    records = extract_records(text)
    [p] = records["programmes"]
    assert _metric(records, "3个")["programme"] == p["id"]
    assert _metric(records, "3个")["status"] == "target"


def test_a_partnership_quotes_its_most_direct_statement() -> None:
    text = "厦门、临夏两地共建产业园区。2016年，厦门市对口帮扶临夏州。"
    [p] = _of_kind(text, "partnership")
    assert p["evidence"] == "2016年，厦门市对口帮扶临夏州。"
    assert (p["donors"], p["recipients"], p["start_date"]) == (["厦门市"], ["临夏州"], "2016年")


def test_a_partnership_starts_when_the_text_says_it_began_not_on_the_report_date() -> None:
    text = "11月12日，记者了解到，厦门市与临夏州确立东西部协作关系。"
    assert _of_kind(text, "partnership")[0]["start_date"] is None
    text += "今年4月以来，厦门、临夏两地深化东西部协作。"
    assert _of_kind(text, "partnership")[0]["start_date"] == "今年4月"


def test_help_between_two_places_implies_their_partnership_unless_the_giver_is_provincial() -> None:
    text = "宁波市选派20名医生赴贵州黔西南州开展医疗帮扶。"
    p, i = _programmes(text)
    assert (p["kind"], p["name"], p["donors"], p["recipients"]) == (
        "partnership",
        "协作",
        ["宁波市"],
        ["贵州黔西南州"],
    )
    assert "_span" not in p  # 协作 is not a quote: grounding anchors it on the evidence
    assert (i["kind"], i["parent"]) == ("initiative", p["id"])
    # a body of the receiving side's own province counts as the provincial level (P1)
    text = "贵州大学选派5名博士赴黔西南州册亨县开展科技帮扶。"
    [i] = _programmes(text)
    assert (i["kind"], i["donors"], i["parent"]) == ("initiative", ["贵州大学"], None)


def test_lone_surrogates_in_the_text_do_not_stop_the_place_scan() -> None:
    # A JSON "\ud800" decodes to a lone surrogate, which UTF-8 (the place automaton's input)
    # cannot hold: the document failed with an internal UnicodeEncodeError.
    text = "惠阳区对口帮扶贞丰县\ud800，培训320人次\udfff。"
    records = extract_records(text)
    same = extract_records(text.replace("\ud800", "\ufffd").replace("\udfff", "\ufffd"))
    assert [(p["donors"], p["recipients"]) for p in records["programmes"]] == [
        (["惠阳区"], ["贞丰县"])
    ]
    assert [m["_span"] for m in records["metrics"]] == [m["_span"] for m in same["metrics"]]
