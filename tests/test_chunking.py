"""Chunks: consecutive, covering the text exactly, within max_chars, cut on sentences."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from llmx.core.documents import Chunk
from llmx.text.chunking import chunk_text
from llmx.text.cleaning import clean
from llmx.text.sentences import split_sentences

SEEDS = sorted((Path(__file__).parents[1] / "seeds").glob("*.txt"))

chunk_input = st.text(
    alphabet=st.one_of(
        st.sampled_from("培训人次协作帮扶甲乙丙123"),
        st.sampled_from("。！？；…”」\n "),
    ),
    max_size=400,
)


def check_chunks(text: str, chunks: list[Chunk], max_chars: int, context_chars: int) -> None:
    """The properties every chunking must have."""
    assert "".join(c.text for c in chunks) == text
    position = 0
    for index, chunk in enumerate(chunks):
        assert chunk.index == index
        assert chunk.start == position
        assert text[chunk.start : chunk.end] == chunk.text
        assert 0 < len(chunk.text) <= max_chars or text == ""
        assert len(chunk.context) <= context_chars
        if index:
            previous = chunks[index - 1]
            assert previous.text.endswith(chunk.context)  # the tail of the previous chunk
        else:
            assert chunk.context == ""
        position = chunk.end

    # Every cut is a sentence boundary, unless it falls inside a sentence too long to fit.
    ends = {end for _, end in split_sentences(text)}
    spans = split_sentences(text)
    for chunk in chunks[:-1]:
        if chunk.end not in ends:
            containing = next(s for s in spans if s[0] < chunk.end < s[1])
            assert containing[1] - containing[0] > max_chars


@given(
    chunk_input,
    st.integers(min_value=1, max_value=60),
    st.integers(min_value=0, max_value=30),
)
def test_chunks_cover_text_and_respect_limits(
    text: str, max_chars: int, context_chars: int
) -> None:
    check_chunks(text, chunk_text(text, max_chars, context_chars), max_chars, context_chars)


def test_empty_text_gives_one_empty_chunk() -> None:
    assert chunk_text("") == [Chunk(index=0, text="", start=0, context="")]


def test_short_text_is_one_chunk() -> None:
    assert chunk_text("甲。乙。") == [Chunk(index=0, text="甲。乙。", start=0)]


def test_cuts_on_sentences_and_context_starts_at_a_sentence() -> None:
    text = "一二三四五。六七八。九十甲乙丙。丁戊己。"
    chunks = chunk_text(text, max_chars=10, context_chars=6)
    assert [c.text for c in chunks] == ["一二三四五。六七八。", "九十甲乙丙。丁戊己。"]
    assert chunks[1].context == "六七八。"  # not the raw last six chars "。六七八。"[-6:]


def test_context_falls_back_to_raw_tail_inside_a_long_sentence() -> None:
    text = "一二三四五六七八九十甲乙丙丁戊己。"
    chunks = chunk_text(text, max_chars=10, context_chars=3)
    assert [c.text for c in chunks] == ["一二三四五六七八九十", "甲乙丙丁戊己。"]
    assert chunks[1].context == "八九十"


def test_prefers_paragraph_end_in_second_half() -> None:
    text = "甲乙丙丁。\n戊己。庚辛。壬癸子丑寅卯。"
    chunks = chunk_text(text, max_chars=10, context_chars=0)
    assert (
        chunks[0].text == "甲乙丙丁。\n"
    )  # not "甲乙丙丁。\n戊己。": the cut keeps paragraphs whole
    check_chunks(text, chunks, 10, 0)


@pytest.mark.parametrize(("max_chars", "context_chars"), [(0, 10), (10, -1)])
def test_bad_arguments(max_chars: int, context_chars: int) -> None:
    with pytest.raises(ValueError):
        chunk_text("甲。", max_chars, context_chars)


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.name[:3])
def test_seed_chunks(seed: Path) -> None:
    text = clean(seed.read_text(encoding="utf-8")).text
    chunks = chunk_text(text, max_chars=500, context_chars=100)
    check_chunks(text, chunks, 500, 100)
    assert len(chunks) >= 3
    assert all(c.context for c in chunks[1:])
