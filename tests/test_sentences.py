"""Sentence spans: consecutive, non-empty, covering the text, cut after the right marks."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from llmx.text.sentences import split_sentences

SEEDS = sorted((Path(__file__).parents[1] / "seeds").glob("*.txt"))

sentence_text = st.text(
    alphabet=st.one_of(
        st.sampled_from("培训人次协作帮扶甲乙丙123.5万"),
        st.sampled_from("。！？!?；;…”’」』）,，、 \u3000\n\r\t"),
        st.characters(codec="utf-8"),
    ),
    max_size=120,
)


def _pieces(text: str) -> list[str]:
    return [text[start:end] for start, end in split_sentences(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("甲。乙！丙？丁", ["甲。", "乙！", "丙？", "丁"]),
        ("他说：“好。”然后走了。", ["他说：“好。”", "然后走了。"]),
        ("「德藝雙馨」錦旗。」下一句", ["「德藝雙馨」錦旗。」", "下一句"]),
        ("等等……还有！？好", ["等等……", "还有！？", "好"]),
        ("第一行\n第二行\r\n\r\n第三行", ["第一行\n", "第二行\r\n\r\n", "第三行"]),
        ("金额1.2万元,增长3.5%。", ["金额1.2万元,增长3.5%。"]),
        ("甲;乙; 丙", ["甲;", "乙; ", "丙"]),
        ("（完）。）后", ["（完）。）", "后"]),
        ("", []),
        ("\n", ["\n"]),
    ],
)
def test_split_examples(text: str, expected: list[str]) -> None:
    assert _pieces(text) == expected


@given(sentence_text)
def test_spans_cover_text_without_gaps_or_empties(text: str) -> None:
    spans = split_sentences(text)
    assert "".join(text[start:end] for start, end in spans) == text
    position = 0
    for start, end in spans:
        assert start == position and end > start
        position = end


@given(sentence_text)
def test_each_span_holds_exactly_one_sentence(text: str) -> None:
    # A span split again is itself: the boundaries found are the only ones inside it.
    for start, end in split_sentences(text):
        assert split_sentences(text[start:end]) == [(0, end - start)]


def test_seed_sentences() -> None:
    for seed in SEEDS:
        text = seed.read_text(encoding="utf-8")
        pieces = _pieces(text)
        assert "".join(pieces) == text
        assert len(pieces) > 20
    text = SEEDS[0].read_text(encoding="utf-8")
    assert "广州与黔南,同饮珠江水,山海一家亲。" in _pieces(text)
