"""split_sentences: the faster boundary pattern splits every text exactly as the old one did."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llmx.text.sentences import split_sentences

# Oracle tests of the issue-13 speed round (new code against a copy of the old): with the
# slow suite, which CI runs; the modules' own tests stay in the default run.
pytestmark = pytest.mark.slow


# The previous boundary pattern and function, verbatim.
_OLD_BOUNDARY = re.compile(
    r"(?:[。！？!?；;…]+[”’」』）)》〉\]】]*|[\n\r\u2028\u2029\x0b\x0c\x1c-\x1e\x85])"
    r"[\s\u200b\ufeff]*"
)


def old_split_sentences(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _OLD_BOUNDARY.finditer(text):
        end = match.end()
        if end > start:
            spans.append((start, end))
            start = end
    if start < len(text):
        spans.append((start, len(text)))
    return spans


# Dense in everything the pattern looks at: final marks, closers, breaks, spaces, and others
# (lists joined: st.text(alphabet=one_of(...)) would draw almost only from st.characters()).
_text = st.lists(
    st.one_of(
        st.sampled_from("。！？!?；;…”’」』）)》〉]】"),
        st.sampled_from("\n\r\u2028\u2029\x0b\x0c\x1c\x1d\x1e\x85 \t\u3000\u200b\ufeff\xa0"),
        st.sampled_from("协作培训320人次(含)“「[《.,"),
        st.characters(categories=["Cs"]),
        st.characters(),
    ),
    max_size=300,
).map("".join)


@settings(max_examples=150)
@given(_text)
def test_split_sentences_same_as_before(text: str) -> None:
    assert split_sentences(text) == old_split_sentences(text)


@settings(max_examples=20)
@given(_text, st.integers(min_value=1, max_value=3000))
def test_long_text_splits_as_before(text: str, repeat: int) -> None:
    long = text * repeat
    assert split_sentences(long) == old_split_sentences(long)
