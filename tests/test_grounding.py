"""Grounding: spans are computed in code and always index the document text as read."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from llmx.core.documents import Chunk
from llmx.grounding import Grounder, ground_chunk
from llmx.merging import Merger
from llmx.tasks import load_task
from llmx.text.cleaning import clean
from llmx.text.script import to_simplified

SEEDS = sorted((Path(__file__).resolve().parent.parent / "seeds").glob("*.txt"))
TEXTS = [p.read_text("utf-8") for p in SEEDS]
TASK = load_task("cooperation")
METRICS = TASK.records["metrics"]
# Span finding alone: any substring is an anchor (the number checks are in test_value_check.py).
ANY_ANCHOR = dataclasses.replace(METRICS, value=None, value_max=None, unit=None)


def metric(quote: str, value_text: str) -> dict:
    return {
        "subject": "x",
        "value": 1,
        "unit": "个",
        "qualifier": "exact",
        "value_text": value_text,
        "evidence": quote,
        "programme": None,
    }


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_any_verbatim_quote_of_the_cleaned_text_grounds_exactly(data: st.DataObject) -> None:
    original = data.draw(st.sampled_from(TEXTS))
    cleaned = clean(original)
    text = cleaned.text
    start = data.draw(st.integers(0, len(text) - 12))
    length = data.draw(st.integers(8, min(60, len(text) - start)))
    quote = text[start : start + length]
    a = data.draw(st.integers(0, length - 2))
    b = data.draw(st.integers(a + 1, length))
    anchor = quote[a:b]
    if not anchor.strip() or not quote.strip():
        return
    grounder = Grounder(cleaned, original)
    rec, why = grounder.ground(metric(quote, anchor), ANY_ANCHOR, Chunk(0, text, 0))
    assert rec is not None, why
    s, e = rec["span"]
    es, ee = rec["evidence_span"]
    assert es <= s < e <= ee
    # The reported strings are the exact source slices; removed pinyin may sit inside them.
    assert rec["value_text"] == original[s:e] and rec["evidence"] == original[es:ee]
    # Dropping what cleaning removed from the span gives back exactly the anchor.
    assert "".join(original[i] for i in cleaned.to_original if s <= i < e) == anchor


def test_simplified_quote_grounds_in_traditional_text() -> None:
    original = next(t for t in TEXTS if "貞豐" in t)
    cleaned = clean(original)
    i = cleaned.text.index("10名")
    quote_trad = cleaned.text[i - 10 : i + 12]
    rec, _ = Grounder(cleaned, original).ground(
        metric(to_simplified(quote_trad), "10名"), METRICS, Chunk(0, cleaned.text, 0)
    )
    assert rec is not None and rec["grounding"] == "normalized"
    assert original[rec["span"][0] : rec["span"][1]] == "10名"


def test_absent_number_is_not_grounded_and_is_reported() -> None:
    original = TEXTS[0]
    cleaned = clean(original)
    out, warnings = ground_chunk(
        Grounder(cleaned, original),
        TASK,
        Chunk(0, cleaned.text, 0),
        {"metrics": [metric("培训98765人次", "98765人次")], "programmes": []},
    )
    assert out["metrics"] == [] and len(warnings) == 1


def test_merging_renumbers_chunk_ids_and_rewrites_links() -> None:
    merger = Merger(TASK)
    p = {
        "id": "P1",
        "name": "智力帮扶",
        "donors": ["广州"],
        "recipients": [],
        "domains": [],
        "evidence": "e",
        "span": [0, 4],
        "evidence_span": [0, 4],
    }
    m1 = {**metric("e", "1个"), "programme": "P1", "span": [10, 12]}
    merger.add_chunk({"programmes": [p], "metrics": [m1]})
    q = {**p, "name": "组团式帮扶", "span": [50, 55], "evidence_span": [50, 55]}
    same = {**p, "id": "P2", "donors": ["黔南"], "span": [60, 64]}
    m2 = {**metric("e", "2个"), "programme": "P1", "span": [70, 72]}  # chunk-local P1 = 组团式
    m3 = {**metric("e", "3个"), "programme": "P2", "span": [80, 82]}  # chunk-local P2 = 智力帮扶
    dup = {**m1}  # the same quantity seen again through overlapping context
    bad = {**metric("e", "4个"), "programme": "P9", "span": [90, 92]}
    merger.add_chunk({"programmes": [q, same], "metrics": [m2, m3, dup, bad]})
    out = merger.result()
    assert [x["id"] for x in out["programmes"]] == ["P1", "P2"]
    assert out["programmes"][0]["donors"] == ["广州", "黔南"]
    assert [m["programme"] for m in out["metrics"]] == ["P1", "P2", "P1", None]
    assert any("P9" in w for w in merger.warnings)


def test_a_quote_with_glued_pinyin_grounds_in_the_cleaned_text() -> None:
    """The page as given has 協(xié)作; cleaning removed the reading; a quote copied from the
    page (reading included) is still found, and the stored quote is the page's own slice."""
    from llmx.core.documents import Chunk
    from llmx.grounding import Grounder
    from llmx.tasks import load_task
    from llmx.text.cleaning import clean

    text = "推進(jìn)南京西寧合作向多層次邁進(jìn)，西寧市邀請南京市10名醫(yī)療專家開展幫扶。"
    cleaned = clean(text)
    assert "(jìn)" not in cleaned.text
    spec = load_task("cooperation").records["metrics"]
    record = {
        "subject": "醫療專家", "value": 10, "unit": "名", "qualifier": "exact",
        "value_text": "10名", "evidence": "西寧市邀請南京市10名醫(yī)療專家開展幫扶",
    }  # fmt: skip
    grounder = Grounder(cleaned, text)
    rec, why = grounder.ground(record, spec, Chunk(0, cleaned.text, 0))
    assert why is None and rec is not None
    s, e = rec["evidence_span"]
    assert text[s:e] == "西寧市邀請南京市10名醫(yī)療專家開展幫扶"


def _view_reference(s: str) -> tuple[str, list[int]]:
    """The normalised view as first written: one regex match per character."""
    import re

    from llmx.text.script import normalize_for_matching

    norm = normalize_for_matching(s)
    keep = [i for i, ch in enumerate(norm) if not re.match(r"\s", ch)]
    return "".join(norm[i] for i in keep), keep


_VIEW_CHARS = list(" \t\n\r\u3000\xa0\u2028\u200b\x1c\x85ab協作，３２０")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(_VIEW_CHARS)))
def test_normalised_view_matches_the_per_character_reference(s: str) -> None:
    from llmx.grounding import _View

    view = _View.of(s)
    assert (view.text, view.index) == _view_reference(s)


def test_exact_quotes_never_build_the_normalised_view() -> None:
    original = TEXTS[0]
    cleaned = clean(original)
    quote = cleaned.text[10:40]
    grounder = Grounder(cleaned, original)
    rec, _ = grounder.ground(metric(quote, quote[2:6]), ANY_ANCHOR, Chunk(0, cleaned.text, 0))
    assert rec is not None and rec["grounding"] == "exact"
    assert grounder._view_built is None
