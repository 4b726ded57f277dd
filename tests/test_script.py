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


def test_lone_surrogates_are_kept_and_the_rest_converted() -> None:
    # JSON input may carry "\ud800"; the compiled converter refuses to encode it.
    assert to_simplified("協\ud800作") == "协\ud800作"


# Han tokens (some only convert as a phrase: 乾隆 stays, 頭髮 -> 头发) between non-Han breaks.
_han_token = st.sampled_from(["協作", "乾隆", "頭髮", "著名", "後臺", "幫扶", "東", "醫療專業"])
_break = st.sampled_from(["，", "。", " ", "\n", "a", "3", "（"])
broken_text = st.lists(st.tuples(_han_token, _break), max_size=60).map(
    lambda pairs: "".join(token + br for token, br in pairs)
)


@given(broken_text)
def test_bounded_pieces_convert_like_the_whole_text(text: str) -> None:
    whole = str(script._converter().convert(text))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(script, "_PIECE", 16)  # many cuts; Han runs here are at most 4 chars
        assert all(len(p) <= 16 for p in script._pieces(text))
        assert "".join(script._pieces(text)) == text
        assert to_simplified(text) == whole


@given(st.text(alphabet=st.sampled_from("協作頭髮乾隆後 ，"), max_size=200))
def test_pieces_stay_bounded_in_unbroken_han(text: str) -> None:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(script, "_PIECE", 8)
        pieces = script._pieces(text)
        assert "".join(pieces) == text
        assert all(0 < len(p) <= 8 for p in pieces) or text == ""


_REAL_CONVERTER = script._converter()


class _LengtheningConverter:
    """A converter with a phrase rule that changes length (頭髮 -> 头发发), else real t2s."""

    def convert(self, text: str) -> str:
        return str(_REAL_CONVERTER.convert(text)).replace("头发", "头发发")


@given(mixed_text)
def test_length_changing_phrases_fall_back_to_characters(text: str) -> None:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(script, "_converter", _LengtheningConverter)
        script._convert_char.cache_clear()
        out = to_simplified(text)
    script._convert_char.cache_clear()
    assert len(out) == len(text)
    # A line without the lengthened phrase converts whole, so phrase rules apply (彷彿 -> 仿佛,
    # though 彷 alone stays): each character is as written, converted alone, or as in real t2s.
    real = to_simplified(text)
    for before, after, whole in zip(text, out, real, strict=True):
        assert after in (before, str(_REAL_CONVERTER.convert(before)), whole)
