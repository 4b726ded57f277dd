"""The fast paths of the script views give the same output as before, for all input.

``to_half_width`` translates only runs of the characters NFKC folds, and ``to_simplified`` skips
OpenCC for text holding nothing t2s can change, both from the generated ``_script_facts.py``;
these tests hold them to copies of the previous implementations.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from collections.abc import Iterator

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


def old_to_simplified(text: str) -> str:
    """The previous ``to_simplified``, verbatim but for the module prefix."""
    if not script.has_han(text):
        return text
    converted = script._convert(text)
    if len(converted) == len(text):
        return converted
    out: list[str] = []
    for line in text.splitlines(keepends=True):
        for piece in script._pieces(line):
            piece_converted = script._convert(piece)
            if len(piece_converted) != len(piece):
                piece_converted = "".join(script._convert_char(ch) for ch in piece)
            out.append(piece_converted)
    return "".join(out)


# A newer OpenCC on a fresh machine must not fail the suite: to_simplified then always runs
# OpenCC (correct, only slower), and these tests say why they are skipped.
_OTHER_OPENCC = (
    "the t2s facts were read from another OpenCC, so to_simplified always runs it: "
    "regenerate them with python -m llmx.text.script_facts_gen"
)
needs_t2s_facts = pytest.mark.skipif(script._t2s_facts() is None, reason=_OTHER_OPENCC)


def test_generated_facts_are_current() -> None:
    # Stale after upgrading Python or OpenCC: run python -m llmx.text.script_facts_gen
    if unicodedata.unidata_version != _script_facts.UNIDATA_VERSION:
        pytest.skip("facts were generated for another Unicode version (script.py ignores them)")
    if script._t2s_facts() is None:
        pytest.skip(_OTHER_OPENCC)
    assert script_facts_gen.OUT.read_text(encoding="utf-8") == script_facts_gen.render()


def test_fast_path_is_on_for_this_python() -> None:
    # Guards the test below from passing only because the fallback is in use.
    assert (script._FOLDABLE is not None) == (
        unicodedata.unidata_version == _script_facts.UNIDATA_VERSION
    )


@pytest.mark.slow  # every code point: ~1 s; the default run keeps the hypothesis checks
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


@settings(max_examples=150)
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


# --- t2s: skipping OpenCC ----------------------------------------------------------------------

_KNOWN = script._t2s_facts()
_LOOK, _CHANGING, _AROUND = _KNOWN or (re.compile("(?!)"), re.compile("(?!)"), {})
_PHRASES = sorted(_script_facts.T2S_CHANGING_PHRASES)


@pytest.mark.slow  # every BMP character through OpenCC: ~0.5 s
@needs_t2s_facts
def test_every_character_t2s_is_skipped_for_comes_back_unchanged() -> None:
    quiet = "".join(
        c for c in map(chr, range(0x10000)) if not 0xD800 <= ord(c) <= 0xDFFF and not _LOOK.match(c)
    )
    assert len(quiet) > 50_000
    assert script._t2s_leaves_alone(quiet)
    assert script._convert(quiet) == quiet
    assert script._convert(quiet[::-1]) == quiet[::-1]


@pytest.fixture
def fresh_facts() -> Iterator[None]:
    """_t2s_facts computed again (another test may have cached it under a fake converter)."""
    script._t2s_facts.cache_clear()
    yield
    script._t2s_facts.cache_clear()


@needs_t2s_facts
@pytest.mark.usefixtures("fresh_facts")
def test_skip_is_taken_for_simplified_text_only(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_opencc(text: str) -> str:
        raise AssertionError(f"OpenCC called on {text!r}")

    simplified = "东西部协作：贞丰县覆盖320人次，什么都好。"
    monkeypatch.setattr(script, "_convert", no_opencc)
    assert to_simplified(simplified) == simplified
    for changing in ("協作", "反覆", "傢俱", "𫐷"):
        assert not script._t2s_leaves_alone(f"覆盖{changing}家具")


@pytest.mark.usefixtures("fresh_facts")
def test_without_matching_facts_opencc_always_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_script_facts, "OPENCC_DIGEST", "another opencc")
    assert script._t2s_facts() is None
    assert not script._t2s_leaves_alone("东西部协作")
    assert to_simplified("東西部協作反覆") == "东西部协作反复"


def test_every_changing_phrase_is_converted_among_quiet_text() -> None:
    # Read afresh from OpenCC's dictionaries, not from the generated module under test.
    for phrase in script_facts_gen.t2s_changes()[1]:
        for text in (phrase, f"覆盖{phrase}什么", f"么{phrase}", f"{phrase}覆"):
            assert to_simplified(text) == old_to_simplified(text), text


@needs_t2s_facts
def test_unknown_converter_layout_means_no_digest(monkeypatch: pytest.MonkeyPatch) -> None:
    assert script.opencc_digest() == _script_facts.OPENCC_DIGEST
    monkeypatch.setattr(script, "_converter", object)  # no .config: another OpenCC package
    assert script.opencc_digest() is None


# Neighbourhoods of what t2s changes: its characters and phrases, pieces of phrases, the
# simplified characters those phrases differ by, IDS operators, variation selectors.
_t2s_pieces = st.one_of(
    st.sampled_from(_PHRASES),
    st.sampled_from(_PHRASES).map(lambda p: p[1:]),
    st.sampled_from(_PHRASES).map(lambda p: p[:-1]),
    st.sampled_from(sorted(set("".join(_script_facts.T2S_CHANGING_PHRASES)))),
    st.sampled_from(sorted(set("".join(_script_facts.T2S_CHANGING_PHRASES.values())))),
    st.sampled_from("东西部协作贞丰县覆盖什么反复家具干净乾隆头发后台著名"),
    st.sampled_from("協作幫扶東醫療專業頭髮後臺"),
    st.sampled_from("⿰⿱⿲⿳⿴⿵⿶⿷⿸⿹⿺⿻\ufe00\ufe0f\U000e0100\x00 ，。\n"),
    st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
    st.characters(min_codepoint=0xF900, max_codepoint=0xFAFF),
    st.characters(min_codepoint=0x20000, max_codepoint=0x2A6DF),
    st.characters(categories=["Cs"]),
    st.characters(),
)
_t2s_text = st.lists(_t2s_pieces, max_size=40).map("".join)
_quiet = st.lists(
    st.one_of(
        st.sampled_from("东西部协作贞丰县覆盖什么家具干净乾隆头发后台著名⿰\ufe00\x00 ，。\n"),
        st.sampled_from(_PHRASES).map(lambda p: p[1:]),
        st.sampled_from(_PHRASES).map(lambda p: p[:-1]),
    ),
    max_size=30,
).map("".join)
# Mostly text t2s leaves alone, with at most one thing it changes somewhere in it.
_nearly_quiet = st.tuples(_quiet, st.one_of(st.just(""), _t2s_pieces), _quiet).map("".join)


@pytest.mark.slow  # oracle test of the speed round: with the slow suite
@settings(max_examples=100)
@given(_t2s_text)
def test_to_simplified_same_as_before(text: str) -> None:
    assert to_simplified(text) == old_to_simplified(text)


@pytest.mark.slow  # oracle test of the speed round: with the slow suite
@settings(max_examples=150)
@given(_nearly_quiet)
def test_nearly_quiet_text_same_as_before(text: str) -> None:
    assert to_simplified(text) == old_to_simplified(text)


@pytest.mark.slow  # oracle test of the speed round: with the slow suite
@settings(max_examples=100)
@given(st.one_of(_t2s_text, _nearly_quiet))
def test_skipped_text_is_what_opencc_returns(text: str) -> None:
    if script._t2s_leaves_alone(text):
        assert script._convert(text) == text
