"""Cleaning: what goes, what stays, and the offset map back to the original text."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
import typer
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from llmx.commands import clean as clean_command
from llmx.core.documents import CleanedText
from llmx.text import boilerplate
from llmx.text.boilerplate import classify_line, find_boilerplate
from llmx.text.cleaning import REASONS, clean, find_duplicate_lines
from llmx.text.pinyin import find_pinyin

ROOT = Path(__file__).parents[1]
SEEDS = {p.name[:3]: p for p in sorted((ROOT / "seeds").glob("*.txt"))}
DATA = Path(__file__).parent / "data" / "text"
PINYIN = re.compile(r"[(（][a-zA-Z\u00c0-\u024f\u0300-\u036f ]+[)）]")


def seed(key: str) -> str:
    return SEEDS[key].read_text(encoding="utf-8")


def removed_text(original: str, cleaned: CleanedText, reason: str) -> str:
    return "".join(original[r.start : r.end] for r in cleaned.removed if r.reason == reason)


def check_invariant(original: str, cleaned: CleanedText) -> None:
    """Cleaning only deletes: kept chars map back, removals and kept chars tile the text."""
    assert len(cleaned.to_original) == len(cleaned.text)
    assert cleaned.original_length == len(original)
    for i, char in enumerate(cleaned.text):
        assert original[cleaned.to_original[i]] == char
    assert all(a < b for a, b in zip(cleaned.to_original, cleaned.to_original[1:], strict=False))
    covered = [0] * len(original)
    for position in cleaned.to_original:
        covered[position] += 1
    previous_end = 0
    for removal in cleaned.removed:
        assert removal.reason in REASONS
        assert previous_end <= removal.start < removal.end <= len(original)
        previous_end = removal.end
        for position in range(removal.start, removal.end):
            covered[position] += 1
    assert all(count == 1 for count in covered)


# --- the seeds ----------------------------------------------------------------------------


@pytest.mark.parametrize("key", sorted(SEEDS))
def test_seed_offset_map(key: str) -> None:
    text = seed(key)
    check_invariant(text, clean(text))


def test_seed_000_keeps_metrics_drops_contact_ads_and_captions() -> None:
    text = seed("000")
    cleaned = clean(text)
    for kept in [
        "穗黔携手“智力引擎”助黔南腾飞——2024年广州市高层次人才赴黔南州智力帮扶活动侧记",
        "先后深入项目基地15个,通过讲座、专题培训等培训320余人次,现场指导200余人次",
        "坐诊、查房202人次,现场解决问题32个,提出指导建议58条,达成项目合作意向11个",
        "聘请了17名广州高层次专家",
        "用活地方特色 助力打造世界级景区",
        "奋力谱写民族地区高质量发展黔南新篇章。",
    ]:
        assert kept in cleaned.text
    for gone in ["13524678515", "400 0123 021", "扫一扫", "二维码", "版权声明", "冯小东 摄"]:
        assert gone not in cleaned.text
    assert cleaned.text.endswith("奋力谱写民族地区高质量发展黔南新篇章。")


def test_seed_001_drops_breadcrumb_and_meta_keeps_traditional_article() -> None:
    text = seed("001")
    cleaned = clean(text)
    assert cleaned.text.startswith("搭建幫扶協作橋樑,惠州惠陽紮實推進與貞豐協調發展\n11月12日,")
    for kept in [
        "4批共10名醫療專業技術人員幫扶貞豐",
        "1322名貞豐縣籍務工人員在惠陽企業內實現穩定就業",
        "伯恩光學(惠州)有限公司等22家企業參與,提供就業崗位6000餘個,進場群眾達500餘人",
        "示範帶動全鎮茶農4000戶",
        "(記者 盧偉 通訊員 陳丹娜)",
    ]:
        assert kept in cleaned.text
    for gone in ["香港商报官网", "2021-11-12", "来源:香港商报网", "责任编辑"]:
        assert gone not in cleaned.text
    assert "    " not in cleaned.text and "\n\n" not in cleaned.text


def test_seed_002_drops_header_nav_and_related_reading() -> None:
    text = seed("002")
    cleaned = clean(text)
    assert cleaned.text.startswith(
        "荔湾南海携手再出发!共建人才高质量发展合作区\n荔南人才,共联未来。"
    )
    for kept in [
        "重点企业、园区代表共200多人参加了活动",
        "发布区域人才合作6大品牌",
        "自2009年广佛同城启动以来",
        "奋力开创区域人才创新融合发展新模式!",
    ]:
        assert kept in cleaned.text
    for gone in [
        "服务粉丝",
        "当前位置",
        "凤凰网广东佛山",
        "相关阅读",
        "热门文章",
        "6267亩",
        "麦肯锡",
    ]:
        assert gone not in cleaned.text
    assert cleaned.text.endswith("奋力开创区域人才创新融合发展新模式!")


def test_seed_003_collapses_the_repeated_article_to_one_copy() -> None:
    text = seed("003")
    cleaned = clean(text)
    for kept in [
        "贵州册亨:人才“组团式”帮扶 激活乡村振兴“智力引擎”",
        "推动32名县处级干部全覆盖结对联系服务70名干部人才",
        "开展医疗学术和专科培训3153人次,培养技术骨干人才14人,新增医疗新技术新项目36项",
        "惠及5600余名群众",
        "共选派17名教育人才",
        "培训“土专家”“田秀才”和技术能手5300余人次。",
    ]:
        assert text.count(kept) == 2
        assert cleaned.text.count(kept) == 1
    for gone in [
        "巩固拓展脱贫成果",
        "时间:2023",
        "姚卜成",
        "责任编辑",
        "ICP备",
        "版权所有",
        "部委省市",
    ]:
        assert gone not in cleaned.text
    # The first copy is the one kept; the second is removed as a duplicate.
    first = text.index("开展医疗学术和专科培训3153人次")
    assert cleaned.to_original[cleaned.text.index("开展医疗学术和专科培训3153人次")] == first
    assert len(removed_text(text, cleaned, "duplicate")) > 1500
    assert cleaned.text.endswith("技术能手5300余人次。")


def test_seed_004_strips_pinyin_keeps_content() -> None:
    text = seed("004")
    cleaned = clean(text)
    assert len(PINYIN.findall(text)) > 200
    assert PINYIN.findall(cleaned.text) == []
    pinyin = [text[r.start : r.end] for r in cleaned.removed if r.reason == "pinyin"]
    assert "(xié)" in pinyin and "(rèn)" in pinyin
    for kept in [
        "西寧市認真貫徹習近平總書記對深化東西部協作和定點幫扶工作",
        "西寧市先后邀請南京市15名農文旅專家、10名企業家",
        "西寧市邀請南京市10名醫療專家",
        "蘭西城市群9個節點城市的500余名教師",
        "同時接收南京市56名“三支”人才來寧開展指導服務",
        "選派8名黨政干部赴南京開展為期一年的掛職鍛煉",
    ]:
        assert kept in cleaned.text


def test_every_seed_loses_something_but_keeps_most_article_text() -> None:
    for key in SEEDS:
        text = seed(key)
        cleaned = clean(text)
        assert 0.35 * len(text) < len(cleaned.text) < len(text)


# --- hypothesis: the invariant on made-up pages ---------------------------------------------

FRAGMENTS = [
    "協(xié)作",
    "認(rèn)真",
    "數據(data)",
    "（2023）",
    "培训320余人次,",
    "现场指导200余人次。",
    "当前位置:首页 > 新闻 > 正文",
    "责任编辑:张三",
    "扫一扫关注公众号",
    "相关阅读",
    "  • 某某项目启动",
    "京ICP备2022015544号-1",
    "来源:某某网",
    "专家坐诊 冯小东 摄",
    "东西部协作结对帮扶,选派10名医生赴当地开展诊疗服务,惠及群众5600余名。",
    "\n",
    "\n\n",
    "\r\n",
    "  ",
    "\u3000\u3000",
    "\t",
    "\u200b",
    "0",
    "\x0c",
]
pages = st.one_of(
    st.lists(st.sampled_from(FRAGMENTS), max_size=40).map("".join),
    st.text(max_size=200),
)


@settings(max_examples=150, deadline=None)
@given(pages)
def test_offset_map_invariant_on_generated_text(text: str) -> None:
    check_invariant(text, clean(text))


# --- pinyin ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("協(xié)作", "協作"),
        ("認(rèn)真貫(guàn)徹(chè)", "認真貫徹"),
        ("中國(zhōngguó)", "中國"),
        ("单位（dān wèi）", "单位"),
        ("好的(de)", "好的"),
        ("綠(lü)色", "綠色"),
        ("運輸?shù)拳h(huán)節", "運輸?shù)拳h節"),  # garbled, but tone-marked
        ("數據(data)", "數據(data)"),
        ("（2023）", "（2023）"),
        ("年份(2023)", "年份(2023)"),
        ("咖啡(café)", "咖啡(café)"),
        ("公司(Ltd)", "公司(Ltd)"),
        ("我(a)", "我(a)"),
        ("Beijing (Běijīng)", "Beijing (Běijīng)"),
    ],
)
def test_pinyin(text: str, expected: str) -> None:
    cleaned = clean(text, boilerplate=False, duplicates=False, whitespace=False)
    assert cleaned.text == expected


def test_pinyin_spans_are_the_brackets() -> None:
    assert find_pinyin("協(xié)作") == [(1, 6)]


def test_pinyin_with_combining_tone_marks() -> None:
    text = "協(xie\u0301)作"  # decomposed é
    assert clean(text).text == "協作"


# --- boilerplate -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("香港商报官网 > 广东 > 特别报道", "nav"),
        ("当前位置:首页 > 情感 > 故事 >", "nav"),
        ("联系我们|网站介绍|管理团队|欢迎投稿|杂志订阅|网站声明|", "nav"),
        ("首页 新闻 政务 视频 登录 注册", "nav"),
        ("[责任编辑:薛正轩 ]", "meta"),
        ("责任编辑朱峰", "meta"),
        ("监 审韩世雄", "meta"),
        ("来源:香港商报网", "meta"),
        ("时间:2023-07-11 11:24:12来源:中国乡村振兴网作者:李明辅", "meta"),
        ("日期: 来源:凤凰网广东佛山收集编辑:凤凰网广东佛山", "meta"),
        ("2023年7月11日", "meta"),
        ("京ICP备2022015544号-1", "footer"),
        ("主管:国家乡村振兴局 主办:中国乡村振兴网", "footer"),
        ("版权所有:中国乡村振兴网", "footer"),
        ("或微信/手机:13524678515; 13564686846", "contact"),
        ("地址:北京市朝阳区太阳宫北街1号", "contact"),
        ("扫一扫关注公众号", "share"),
        ("请说明您的需求、用途、税收、公司、联系人、手机号,以便快速帮您对接资源。", "share"),
        ("上一篇:某某新闻", "pager"),
        ("专家坐诊询问患儿病情 冯小东 摄", "caption"),
        ("頂圖:貞豐縣人社局工作人員現場共享對接就業數據系統", "caption"),
        ("相关阅读", "related"),
        ("0", "symbols"),
        ("2021-11-12", "symbols"),
    ],
)
def test_boilerplate_lines(line: str, kind: str) -> None:
    assert find_boilerplate([line]) == [kind]


@pytest.mark.parametrize(
    "line",
    [
        "当地通过微信公众号、二维码等方式宣传政策,累计覆盖群众5000余人。",
        "来源于群众的需求,是这项工作的出发点。",
        "记者从自治区科技厅获悉:为进一步扩大引进国外新品种、新技术、新工艺的成果应用。",
        "六大品牌 引领区域人才合作发展",
        "4批共10名醫療專業技術人員幫扶貞豐",
        "组建综合协调、教育、医疗、科技、挂职干部5个工作专班",
        "伯恩光學(惠州)有限公司等22家企業參與,提供就業崗位6000餘個",
        "版权保护工作成效明显,全年查处侵权案件32起,较上年增长15%,惠及企业200余家。" * 8,
        "文化旅游组专家在都匀南沙洲考察",
        "图书馆新增藏书5000册",
        "",
    ],
)
def test_content_lines_are_not_boilerplate(line: str) -> None:
    assert classify_line(line) is None


def test_page_rules_header_slogans_related_and_tail() -> None:
    article = "东西部协作结对帮扶,选派10名医生赴当地开展诊疗服务,惠及群众5600余名。"
    lines = [
        "服务粉丝",  # short line above the breadcrumb
        "当前位置:首页 > 新闻",
        "巩固拓展脱贫成果",  # slogans repeated at the top
        "巩固拓展脱贫成果",
        "标题:协作结硕果",
        article,
        "培训教师",  # a short line inside the article stays
        article,
        "相关阅读",
        "• 某某项目启动",
        "某某县举行招聘会",
        "专题专栏",  # short leftover between removed lines after the article
        "京ICP备2022015544号-1",
    ]
    labels = find_boilerplate(lines)
    assert labels[0] == "header" and labels[1] == "nav"
    assert labels[2] == labels[3] == "slogan"
    assert labels[5] is None and labels[6] is None and labels[7] is None
    assert labels[8:12] == ["related"] * 4
    assert labels[12] == "footer"


def test_without_article_text_only_line_rules_apply() -> None:
    lines = ["服务粉丝", "当前位置:首页 > 新闻", "服务粉丝", "培训教师"]
    assert find_boilerplate(lines) == [None, "nav", None, None]


# --- duplicates ------------------------------------------------------------------------------


def test_duplicate_body_second_copy_removed() -> None:
    body = [
        "作为曾经的国家深度贫困县,近年来,贵州省册亨县在如期实现整体脱贫后接续奋斗。",
        "医疗人才帮扶",
        "开展医疗学术和专科培训3153人次,培养技术骨干人才14人,新增医疗新技术新项目36项。",
    ]
    lines = [*body, "", "其他内容与前文不同,介绍了当地的产业发展情况和未来规划。", *body]
    flags = find_duplicate_lines(lines)
    assert flags == [False] * 5 + [True] * 3


def test_repeated_phrase_is_not_a_duplicate_body() -> None:
    lines = [
        "东西部协作持续深化,两地干部人才交流频繁。",
        "两地携手推进东西部协作持续深化。",
        "东西部协作持续深化",
    ]
    assert find_duplicate_lines(lines) == [False, False, False]


def test_near_copy_with_small_edits_is_a_duplicate() -> None:
    paragraph = (
        "开展帮扶以来,通过设立博士名医工作站,开展医疗学术和专科培训3153人次,"
        "培养技术骨干人才14人,新增医疗新技术新项目36项,开创多项先例,惠及5600余名群众。"
    )
    edited = paragraph.replace("开创多项先例", "开创了多项先例")
    assert find_duplicate_lines([paragraph, "", edited]) == [False, False, True]


# --- whitespace ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("甲  乙", "甲 乙"),
        ("甲\u3000\u3000乙", "甲\u3000乙"),
        ("\u3000\u3000段落开头", "段落开头"),
        ("    缩进\n    段落", "缩进\n段落"),
        ("第一段\n\n\n第二段", "第一段\n第二段"),
        ("第一段\r\n \r\n第二段", "第一段\n第二段"),
        ("第一段\r第二段", "第一段\r第二段"),
        ("甲\u200b乙", "甲乙"),
        ("  \n 甲 \n  ", "甲"),
        ("", ""),
        (" \n\t", ""),
    ],
)
def test_whitespace(text: str, expected: str) -> None:
    cleaned = clean(text)
    assert cleaned.text == expected
    check_invariant(text, cleaned)


def test_steps_can_be_switched_off() -> None:
    text = seed("003")
    assert (
        clean(text, pinyin=False, duplicates=False, boilerplate=False, whitespace=False).text
        == text
    )
    no_dupes = clean(text, duplicates=False)
    assert no_dupes.text.count("开展医疗学术和专科培训3153人次") == 2
    reasons = Counter(r.reason for r in clean(text, boilerplate=False).removed)
    assert "boilerplate" not in reasons and reasons["duplicate"] > 0


# --- llmx clean ------------------------------------------------------------------------------


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command()(clean_command.command)
    return app


def test_cli_prints_cleaned_text() -> None:
    result = CliRunner().invoke(_app(), [str(DATA / "page.txt")])
    assert result.exit_code == 0, result.output
    assert result.stdout == "搭建幫扶協作橋樑\n4批共10名醫療專業技術人員幫扶貞豐\n"


def test_cli_simplified_and_several_files() -> None:
    result = CliRunner().invoke(_app(), [str(DATA / "page.txt"), str(SEEDS["000"]), "--simplified"])
    assert result.exit_code == 0, result.output
    assert "==> page <==\n搭建帮扶协作桥梁\n4批共10名医疗专业技术人员帮扶贞丰\n" in result.stdout
    assert "==> 000_485f80de59385c06 <==" in result.stdout
    assert "培训320余人次" in result.stdout


def test_cli_show_and_problems(tmp_path: Path) -> None:
    binary = tmp_path / "blob.txt"
    binary.write_bytes(b"\x00\x01\x02binary")
    result = CliRunner().invoke(
        _app(), [str(DATA / "page.txt"), str(binary), str(tmp_path / "missing.txt"), "--show"]
    )
    assert result.exit_code == 1
    assert "協⟦pinyin: (xié)⟧作" in result.stdout  # the original, removals marked (no tty)
    assert re.search(r"page: \d+ -> 27 chars; removed .*boilerplate \d+", result.stdout)
    errors = result.stderr.splitlines()
    assert len(errors) == 2
    assert "blob.txt" in errors[0] and "binary" in errors[0]
    assert "missing.txt" in errors[1]


def test_a_removed_line_keeps_the_pinyin_reason_of_its_annotation() -> None:
    text = "广州市对口帮扶黔南州，培训320余人次。\n责任编辑：王(wáng)明\n"
    reasons = {text[r.start : r.end]: r.reason for r in clean(text).removed}
    assert reasons["(wáng)"] == "pinyin"
    assert reasons["责任编辑：王"] == "boilerplate"
    assert reasons["明\n"] == "boilerplate"


@settings(max_examples=300, deadline=None)
@given(
    st.text(
        alphabet=st.one_of(
            st.sampled_from(
                "版权所有声明归©公网安备案号许可证编号转载请注明联系未经授权使用复制镜像"
            ),
            st.sampled_from("cCoOpPyYrRiIgGhHtTaAlLsSeEvVdD İıſK:：0123456789()-京沪粤"),
            st.characters(codec="utf-8"),
        ),
        max_size=60,
    )
)
def test_prefiltered_boilerplate_patterns_match_like_the_plain_ones(line: str) -> None:
    plain_footer = re.compile(boilerplate.FOOTER_STRONG_PATTERN, re.IGNORECASE)
    plain_phone = re.compile(boilerplate.PHONE_PATTERN)
    for fast, plain in (
        (boilerplate._FOOTER_STRONG, plain_footer),
        (boilerplate._PHONE, plain_phone),
    ):
        assert [m.span() for m in fast.finditer(line)] == [m.span() for m in plain.finditer(line)]
