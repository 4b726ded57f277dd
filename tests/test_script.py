"""Script views: simplified and half-width, always the same length as the input."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from llmx.text import script
from llmx.text.script import normalize_for_matching, to_half_width, to_simplified

SEEDS = sorted((Path(__file__).parents[1] / "seeds").glob("*.txt"))

# Traditional and simplified Han, full-width forms, CJK punctuation, ASCII, odd characters.
mixed_text = st.text(
    alphabet=st.one_of(
        st.sampled_from("協作幫扶東西部醫療專業技術人員貞豐縣協调发展乾隆頭髮著名後臺"),
        st.characters(min_codepoint=0xFF01, max_codepoint=0xFF5E),
        st.sampled_from("，。！？；：（）【】《》“”、　…㎡①Ⅲﬁ²\n\r\t "),
        st.characters(codec="utf-8"),
    ),
    max_size=80,
)


@pytest.mark.parametrize(
    ("traditional", "simplified"),
    [
        ("協作", "协作"),
        ("東西部協作結對關係", "东西部协作结对关系"),
        ("醫療專業技術人員", "医疗专业技术人员"),
        ("協调发展", "协调发展"),
        ("already simplified 协作", "already simplified 协作"),
    ],
)
def test_to_simplified_examples(traditional: str, simplified: str) -> None:
    assert to_simplified(traditional) == simplified


def test_to_simplified_keeps_seed_lengths() -> None:
    for seed in SEEDS:
        text = seed.read_text(encoding="utf-8")
        assert len(to_simplified(text)) == len(text)


def test_to_simplified_falls_back_per_character_when_length_changes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = script._convert

    def lengthening(text: str) -> str:  # a phrase rule that adds a character
        out = real(text)
        return out + "X" if len(text) > 1 else out

    monkeypatch.setattr(script, "_convert", lengthening)
    assert to_simplified("東西部協作\n幫扶") == "东西部协作\n帮扶"


@given(mixed_text)
def test_views_keep_length(text: str) -> None:
    assert len(to_simplified(text)) == len(text)
    assert len(to_half_width(text)) == len(text)
    assert len(normalize_for_matching(text)) == len(text)


@given(mixed_text)
def test_views_change_only_han_and_compatibility_forms(text: str) -> None:
    view = normalize_for_matching(text)
    for before, after in zip(text, view, strict=True):
        if before.isascii():
            assert after == before


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("，", ","),
        ("３２０人次", "320人次"),
        ("（含）", "(含)"),
        ("ＡＢＣ：１．５万", "ABC:1.5万"),
        ("　", " "),
        ("培訓３２０餘人次（含）", "培训320余人次(含)"),
        ("㎡", "㎡"),  # NFKC would make it two characters: left alone
        ("…", "…"),
    ],
)
def test_normalize_for_matching_examples(text: str, expected: str) -> None:
    assert normalize_for_matching(text) == expected
