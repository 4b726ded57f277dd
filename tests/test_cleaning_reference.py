"""The sped-up cleaning (issue #13) against the code it replaced, kept in _cleaning_reference.

Speed work must not change one byte of the output, for any input: cleaned text, offset map,
removals and reasons. Pages are generated from the seeds' lines, boilerplate, pinyin
glosses, copies and near-copies of blocks, whitespace and zero-width runs, every line break
``str.splitlines`` knows, lone surrogates and arbitrary text; small thresholds force the
numpy paths and their block boundaries onto small inputs too.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import _cleaning_reference as reference
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llmx.core.documents import CleanedText
from llmx.text import cleaning, pinyin
from llmx.text.boilerplate import classify_line
from llmx.text.cleaning import clean, find_duplicate_lines
from llmx.text.pinyin import find_pinyin, is_pinyin_annotation

# Oracle tests of the issue-13 speed round (new code against a copy of the old): with the
# slow suite, which CI runs; the modules' own tests stay in the default run.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).parents[1]
SEED_TEXTS = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "seeds").glob("*.txt"))]
SEED_LINES = sorted({line.strip() for text in SEED_TEXTS for line in text.splitlines()} - {""})

JUNK = [
    "首页 > 新闻中心",
    "当前位置:首页 > 新闻 > 正文",
    "联系我们|网站介绍|管理团队|",
    "责任编辑：张三",
    "来源:某某网 作者:李四",
    "分享到：微信 微博",
    "【打印】【关闭】",
    "相关阅读",
    "  • 某某项目启动",
    "京ICP备2022015544号-1",
    "Copyright © 2023 某某网 版权所有",
    "联系电话:0851-12345678",
    "专家坐诊 冯小东 摄",
    "图为帮扶干部走访农户",
    "2021-11-12 10:30",
    "上一篇:某某",
    "如您有合作需求请扫码联系",
    "協(xié)作培(péi)訓(xùn)",
    "認(rèn)真貫(guàn)徹(chè)",
    "中國(zhōngguó)",
    "数据(data)",
    "运输?shù)拳h(huán)节",
    "（2023）",
    "0",
    "|",
]
SPACES = [" ", "  ", "\t", "\u3000", "\u3000\u3000", "\xa0", "\u200b", "\u2060\ufeff", " \u200b "]
BREAKS = ["\n", "\n", "\n", "\r\n", "\r", "\n\n", "\n \n", "\u3000\n\n", "\x0b", "\x0c", "\x1c"]
BREAKS += ["\x85", "\u2028", "\u2029", "\n\u200b\n", "\r\r\n"]
ODD = ["\ud800", "\udfff", "\U0001f600", "\U00020000", "a\u0301", ""]


@st.composite
def pages(draw: st.DrawFn) -> str:
    """A scraped-looking page: lines with spaces around them, breaks, copies of blocks."""
    pieces = draw(
        st.lists(
            st.one_of(
                st.sampled_from(SEED_LINES),
                st.sampled_from(JUNK),
                st.sampled_from(SEED_LINES).map(lambda line: line[: len(line) // 2]),
                st.text(max_size=30),
                st.lists(st.sampled_from(ODD + SPACES + JUNK), max_size=6).map("".join),
            ),
            max_size=30,
        )
    )
    lines = []
    for piece in pieces:
        cut = draw(st.integers(0, len(piece)))  # spaces inside the line, too
        inner = piece[:cut] + draw(st.sampled_from(["", "", *SPACES])) + piece[cut:]
        lines.append(
            draw(st.sampled_from(["", *SPACES])) + inner + draw(st.sampled_from(["", *SPACES]))
        )
    if lines and draw(st.booleans()):  # a copy (maybe edited) of a block of lines
        a = draw(st.integers(0, len(lines) - 1))
        b = draw(st.integers(a + 1, len(lines)))
        copy = lines[a:b]
        if draw(st.booleans()):
            i = draw(st.integers(0, len(copy) - 1))
            cut = draw(st.integers(0, len(copy[i])))
            copy[i] = copy[i][:cut] + draw(st.sampled_from(["", "某", "有限公司"])) + copy[i][cut:]
        lines[draw(st.integers(b, len(lines))) : 0] = copy
    out = []
    for line in lines:
        out += [line, draw(st.sampled_from(BREAKS))]
    return "".join(out[: draw(st.integers(max(0, len(out) - 2), len(out)))])


def same(new: CleanedText, old: CleanedText) -> None:
    assert new.text == old.text
    assert new.to_original == old.to_original  # both array('i'): the same type, too
    assert new.removed == old.removed
    assert new.original_length == old.original_length


def check(text: str, **steps: bool) -> None:
    same(clean(text, **steps), reference.clean(text, **steps))


@contextmanager
def small_thresholds() -> Iterator[None]:
    """numpy paths for every page, and blocks of a few characters (many block boundaries)."""
    saved = cleaning._NUMPY_GRAMS_FROM, cleaning._BLOCK
    cleaning._NUMPY_GRAMS_FROM, cleaning._BLOCK = 0, 7
    try:
        yield
    finally:
        cleaning._NUMPY_GRAMS_FROM, cleaning._BLOCK = saved


STEPS = st.fixed_dictionaries(
    {name: st.booleans() for name in ("pinyin", "duplicates", "boilerplate", "whitespace")}
)


@settings(max_examples=75, deadline=None)
@given(pages())
def test_clean_matches_the_reference(text: str) -> None:
    check(text)


@settings(max_examples=50, deadline=None)
@given(st.one_of(pages(), st.text(max_size=300)), STEPS)
def test_clean_matches_the_reference_with_small_thresholds(text: str, steps: dict) -> None:
    with small_thresholds():
        check(text, **steps)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.sampled_from([*SPACES, *BREAKS, *ODD, "a", "。", "字", SEED_LINES[0]]), max_size=40
    ).map("".join),
    STEPS,
)
def test_whitespace_and_breaks_match_the_reference(text: str, steps: dict) -> None:
    check(text, **steps)
    with small_thresholds():
        check(text, **steps)


@pytest.mark.parametrize("seed", range(len(SEED_TEXTS)))
def test_seeds_and_seed_variants_match_the_reference(seed: int) -> None:
    text = SEED_TEXTS[seed]
    lines = text.splitlines(keepends=True)
    random.Random(seed).shuffle(lines)
    for variant in (text, "".join(lines), text + text, text + text[: len(text) // 2]):
        check(variant)
        check(variant.replace("\n", "\r\n"))


# --- duplicate lines ---------------------------------------------------------------------

# Few distinct characters: grams repeat often and containment lands near the 80 % line.
near_copies = st.lists(st.text(alphabet="甲乙丙 丁\u3000a", max_size=60), max_size=40)


@settings(max_examples=150, deadline=None)
@given(st.one_of(near_copies, st.lists(st.sampled_from(SEED_LINES), max_size=40)))
def test_find_duplicate_lines_matches_the_reference(lines: list[str]) -> None:
    expected = reference.find_duplicate_lines(lines)
    assert find_duplicate_lines(lines) == expected
    with small_thresholds():
        assert find_duplicate_lines(lines) == expected


def test_containment_at_the_threshold_matches_the_reference() -> None:
    """Lines sharing exactly 80 % (and just under) of their grams with the text above."""
    rng = random.Random(13)
    base = "".join(chr(0x4E00 + rng.randrange(3000)) for _ in range(200))
    lines = [base]
    for grams in (20, 24, 25, 40):  # line of 24 grams sharing 20: 0.833; 25 sharing 20: 0.8
        lines.append(
            base[:24] + "".join(chr(0xA000 + rng.randrange(100)) for _ in range(grams - 20))
        )
    lines += [base[:100], base[50:150]]
    with small_thresholds():
        assert find_duplicate_lines(lines) == reference.find_duplicate_lines(lines)


def test_a_page_with_more_characters_than_fit_in_64_bit_grams_matches_the_reference() -> None:
    """Over 7,131 distinct characters: the exact packing does not fit, the set path answers."""
    rng = random.Random(5)
    alphabet = [chr(0x4E00 + i) for i in range(9000)]
    rng.shuffle(alphabet)
    body = ["".join(alphabet[i : i + 300]) for i in range(0, 9000, 300)]
    lines = [*body, "", *body[:10], body[12][:150] + "某某某"]
    assert cleaning._copied_by_sorting(["".join(lines)]) is None  # the fallback is taken
    assert find_duplicate_lines(lines) == reference.find_duplicate_lines(lines)
    check("\n".join(lines))


@pytest.mark.slow  # ~1 s of pages either side of the sampling threshold
@pytest.mark.parametrize("chars", [250_000, 310_000])
def test_long_pages_match_the_reference(chars: int) -> None:
    """Either side of 300,000 characters, where 5-grams start being sampled."""
    rng = random.Random(chars)
    lines = [line for text in SEED_TEXTS for line in text.splitlines(keepends=True)]
    page: list[str] = []
    while sum(map(len, page)) < chars:
        page.append(rng.choice(lines))
    text = "".join(page)
    text += text[: len(text) // 8]  # and a copy of the start: flagged, sampled or not
    cut = text[:chars] + text[-len(text) // 9 :]
    check(cut)


@pytest.mark.parametrize("bits", [1, 2, 15, 16, 17, 31, 32, 33, 47, 48, 49, 63, 64])
def test_radix_order_is_a_stable_argsort(bits: int) -> None:
    np = pytest.importorskip("numpy")
    rng = np.random.default_rng(bits)
    keys = rng.integers(0, 2**bits, size=600, dtype=np.uint64, endpoint=False)
    keys[::7] = keys[0]  # ties: their order must be kept
    keys[1::5] = keys[1] >> np.uint64(1)
    keys[2] = 2**bits - 1
    for sample in (keys, keys[:1], keys[:0], np.sort(keys), keys[::-1].copy()):
        expected = np.argsort(sample, kind="stable").tolist()
        assert cleaning._radix_order(sample, bits).tolist() == expected


# --- the whitespace table ----------------------------------------------------------------


def test_no_character_above_the_bmp_is_whitespace() -> None:
    """_space_table covers the BMP only: nothing beyond it may match the space regex."""
    beyond = "".join(map(chr, range(0x10000, 0x110000)))
    assert cleaning._SPACE_RUN.search(beyond) is None


def test_space_table_agrees_with_the_regex() -> None:
    table = cleaning._space_table()
    for code in range(0x10000):
        char = chr(code)
        expected = 2 if char in cleaning._ZERO_WIDTH else int(bool(cleaning._SPACE_RUN.match(char)))
        assert table[code] == expected, hex(code)


# --- boilerplate and pinyin helpers --------------------------------------------------------

CUES = ["来源:", "作者:", "日期 :", "编辑:", "发布:", "主管:", "主办单位:", "协办:", "运营:"]
CUES += ["来源", "作者", "日期", "时间", "编辑", "发布", "首页", "频道", "网", ",", "顶图", "图为"]
CUES += ["记者", "(", "[", "【", " ", "\t", "a", "1", "13912345678", "主办单位:", "技术支持:"]
CUES += [">", ">>", " > ", "»", "›", "|", "丨", "│", "┃", "摄", " 冯小东 摄", "摄影", ":", "。"]
line_parts = st.sampled_from([*CUES, *JUNK])


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.lists(line_parts, max_size=12).map("".join), st.sampled_from(SEED_LINES)))
def test_classify_line_matches_the_reference(line: str) -> None:
    assert classify_line(line) == reference.classify_line(line)


@pytest.mark.parametrize(
    "line",
    [
        "本文来源:新华网 作者:张三",  # meta cue words after the start of the line
        "网站首页 > 新闻中心",
        "专题 | 要闻 | 评论",
        "冯小东 摄",
        "(记者 李四 摄)",
        "项目现场 王五摄影",
        "图为帮扶干部走访农户",
        "顶图:东西部协作",
        "主办单位:某某网 技术支持:某某公司",
        *(f"首页{sep}新闻{sep}评论" for sep in [">", ">>", "»", "›", "|", "丨", "│", "┃"]),
        *(f"某某网 {sep} 广东" for sep in [">", ">>", "»", "›", "|", "丨", "│", "┃"]),
    ],
)
def test_classify_line_matches_the_reference_on_rule_examples(line: str) -> None:
    assert classify_line(line) is not None
    assert classify_line(line) == reference.classify_line(line)


SYLLABLES = ["xié", "xie", "zuò", "rèn", "ren", "zhōng", "guó", "zhongguo", "lü", "lv", "de"]
SYLLABLES += ["data", "Ltd", "café", "péi", "xùn", "huán", "shù", "dān", "wèi", "chè", "a", "xi"]
syllables = st.sampled_from(SYLLABLES)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(syllables, min_size=1, max_size=3).map(" ".join)
    | st.lists(syllables, min_size=1, max_size=3).map("".join),
    st.text(alphabet="協作認真貫徹中國单位好的綠色我數據咖啡公司", max_size=8),
)
def test_pinyin_verdicts_match_the_reference(annotation: str, preceding: str) -> None:
    assert is_pinyin_annotation(annotation, preceding) == reference.is_pinyin_annotation(
        annotation, preceding
    )
    word = pinyin._toneless(annotation.replace(" ", ""))
    assert pinyin._segmentations(word, preceding) == reference._segmentations(word, preceding)


@settings(max_examples=50, deadline=None)
@given(pages())
def test_find_pinyin_matches_the_reference(text: str) -> None:
    assert find_pinyin(text) == reference.find_pinyin(text)


def test_reference_is_the_code_before_the_speed_work() -> None:
    """The reference still tells steps apart (a guard against an import of the new code)."""
    assert reference.find_duplicate_lines is not find_duplicate_lines
    assert reference.clean is not clean
    assert re.search(r"for k in range\(1, len\(chars\)", Path(reference.__file__).read_text())
