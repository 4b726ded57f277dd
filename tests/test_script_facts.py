"""The half-width fast path: same output as the plain ``str.translate`` it replaced, for all input.

``to_half_width`` translates only runs of the characters NFKC folds, listed in the generated
``_script_facts.py``; these tests hold it to a copy of the previous implementation.
"""

from __future__ import annotations

import sys
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llmx.text import _script_facts, script, script_facts_gen
from llmx.text.script import normalize_for_matching, to_half_width, to_simplified


class _OldHalfWidth(dict[int, int]):
    """The previous implementation's table, verbatim."""

    def __missing__(self, code: int) -> int:
        folded = unicodedata.normalize("NFKC", chr(code))
        value = ord(folded) if len(folded) == 1 else code
        self[code] = value
        return value


_OLD_TABLE = _OldHalfWidth()


def old_to_half_width(text: str) -> str:
    if text.isascii():
        return text
    return text.translate(_OLD_TABLE)


def test_generated_facts_are_current() -> None:
    # Stale after a Python upgrade changes unicodedata: run python -m llmx.text.script_facts_gen
    if unicodedata.unidata_version != _script_facts.UNIDATA_VERSION:
        pytest.skip("facts were generated for another Unicode version (script.py ignores them)")
    assert script_facts_gen.OUT.read_text(encoding="utf-8") == script_facts_gen.render()


def test_fast_path_is_on_for_this_python() -> None:
    # Guards the test below from passing only because the fallback is in use.
    assert (script._FOLDABLE is not None) == (
        unicodedata.unidata_version == _script_facts.UNIDATA_VERSION
    )


def test_every_code_point_folds_as_before() -> None:
    # Both are per-character maps, so one string holding every code point (surrogates too)
    # checks every character; shuffled neighbours are covered by the hypothesis tests.
    every = "".join(map(chr, range(sys.maxunicode + 1)))
    assert to_half_width(every) == old_to_half_width(every)
    assert to_half_width(every[::-1]) == old_to_half_width(every[::-1])


def test_fallback_without_facts_is_the_old_translate(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(script, "_FOLDABLE", None)
    text = "協作培訓３２０人次（含）𝐀\ud800　㎡ﬁ"
    assert to_half_width(text) == old_to_half_width(text) == "協作培訓320人次(含)A\ud800 ㎡ﬁ"


_FOLDING_SAMPLE = [c for c in map(chr, range(0x10000)) if old_to_half_width(c) != c][::7]

# Lists joined: st.text(alphabet=one_of(...)) would draw almost only from st.characters().
_any_text = st.lists(
    st.one_of(
        st.sampled_from(_FOLDING_SAMPLE),
        st.characters(min_codepoint=0xFF00, max_codepoint=0xFFEF),  # full/half-width forms
        st.characters(min_codepoint=0xF900, max_codepoint=0xFAFF),  # compatibility ideographs
        st.characters(min_codepoint=0x1D400, max_codepoint=0x1D7FF),  # astral, folds (𝐀 -> A)
        st.characters(min_codepoint=0x20000, max_codepoint=0x2A6DF),  # astral Han, no fold
        st.characters(categories=["Cs"]),  # lone surrogates
        st.sampled_from("協作幫扶東西部醫療贞丰县协调发展，。！？（）【】“”　…㎡①Ⅲﬁ²\x00\n\r\t a1"),
        st.characters(),
    ),
    max_size=200,
).map("".join)


@settings(max_examples=300)
@given(_any_text)
def test_to_half_width_same_as_before(text: str) -> None:
    assert to_half_width(text) == old_to_half_width(text)


@given(_any_text)
def test_normalize_for_matching_same_as_before(text: str) -> None:
    assert normalize_for_matching(text) == to_simplified(old_to_half_width(text))


@settings(max_examples=20)
@given(_any_text, st.integers(min_value=1, max_value=5000))
def test_long_lines_same_as_before(text: str, repeat: int) -> None:
    long = text * repeat
    assert to_half_width(long) == old_to_half_width(long)
