"""The rules extractor's sentence pass (sentences and the section heading above each) against
the two-pass version it replaced."""

from __future__ import annotations

import importlib
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from llmx.tasks import load_task
from llmx.text.sentences import split_sentences

TASK = load_task("cooperation")
rules = importlib.import_module(TASK.module.__name__ + ".rules")  # type: ignore[union-attr]

_SENTENCE_END = re.compile(r"[。！？!?]")


def _strip(norm: str, start: int, end: int) -> tuple[int, int]:
    while start < end and norm[start].isspace():
        start += 1
    while end > start and norm[end - 1].isspace():
        end -= 1
    return start, end


def _reference(norm: str) -> list[tuple[int, int, int, tuple[int, int] | None]]:
    """Sentences first, then each one's line read again for the heading (as first written)."""
    sentences = []
    paragraph = pos = 0
    for start, end in split_sentences(norm):
        start, end = _strip(norm, start, end)
        if start == end:
            continue
        paragraph += norm.count("\n", pos, start)
        pos = start
        sentences.append((start, end, paragraph))
    out = []
    heading = None
    first_line = True
    for start, end, paragraph in sentences:
        line_start = norm.rfind("\n", 0, start) + 1
        line_end = norm.find("\n", end)
        line_end = len(norm) if line_end < 0 else line_end
        a, b = _strip(norm, line_start, line_end)
        is_heading = 2 <= b - a <= 30 and not _SENTENCE_END.search(norm, a, b)
        if is_heading and not first_line and (a, b) != heading:
            heading = (a, b)
        first_line = False
        out.append((start, end, paragraph, None if is_heading else heading))
    return out


PIECES = [
    "甲乙",
    "医疗人才帮扶：",
    "。",
    "！",
    "；",
    "\n",
    "\r\n",
    "\r",
    " ",
    "\u3000",
    "\u2028",
    "”",
    "一二三四五六七八九十" * 4,
]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=40).map("".join))
def test_one_pass_sentences_match_the_two_pass_reference(norm: str) -> None:
    got = [tuple(s) for s in rules._split_sentences(norm)[1:]]
    assert got == _reference(norm)
