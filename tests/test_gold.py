"""Checks on the hand-annotated gold of the ``cooperation`` task and on its annotation tool."""

from __future__ import annotations

import json
import typing
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from llmx import annotation as annotate
from llmx.annotation import Compiler, load_source
from llmx.evaluation.gold import GoldDoc, gold_json_schema, gold_model, load_gold, text_sha256
from llmx.tasks import load_task

ROOT = Path(__file__).resolve().parents[1]
TASK = ROOT / "evals" / "cooperation"
SEEDS = sorted((ROOT / "seeds").glob("*.txt"))
COOPERATION = load_task("cooperation")
hooks: Any = COOPERATION.module
checks: Any = __import__(f"{hooks.__name__}.hooks", fromlist=["hooks"])
DOMAINS = set(typing.get_args(hooks.Domain))
QUALIFIERS = set(typing.get_args(hooks.Qualifier))
GOLD: dict[str, Any] = load_gold(TASK / "gold", COOPERATION)
COMPILER = Compiler(COOPERATION, ROOT)


def _text(doc: GoldDoc) -> str:
    return (ROOT / doc.source).read_bytes().decode("utf-8")


def test_one_gold_file_per_seed() -> None:
    assert sorted(GOLD) == [p.stem for p in SEEDS]
    model = gold_model(COOPERATION)
    for path in (TASK / "gold").glob("*.json"):
        assert model.model_validate_json(path.read_text(encoding="utf-8")).doc_id == path.stem


def test_schema_file_is_current() -> None:
    on_disk = json.loads((TASK / "gold.schema.json").read_text(encoding="utf-8"))
    assert on_disk == gold_json_schema(COOPERATION)


def test_gold_files_are_generated_from_their_sources() -> None:
    _, stale = COMPILER.compile_all(check=True)
    assert stale == [], "rerun `llmx task annotate cooperation`"


@pytest.mark.parametrize("doc_id", sorted(GOLD))
def test_text_hash_matches_seed(doc_id: str) -> None:
    doc = GOLD[doc_id]
    assert doc.source == f"seeds/{doc_id}.txt"
    assert doc.text_sha256 == text_sha256(_text(doc))


@pytest.mark.parametrize("doc_id", sorted(GOLD))
def test_metric_spans(doc_id: str) -> None:
    doc = GOLD[doc_id]
    text = _text(doc)
    ids = {p.id for p in doc.programmes}
    for m in doc.metrics:
        (s, e), (es, ee) = m.span, m.evidence_span
        assert text[s:e] == m.value_text
        assert text[es:ee] == m.evidence
        assert es <= s < e <= ee, m.value_text
        assert m.programme is None or m.programme in ids
        assert m.qualifier in QUALIFIERS
        assert (m.qualifier == "range") == (m.value_max is not None)
        assert m.subject.strip() and m.unit.strip()
    spans = [m.span for m in doc.metrics]
    assert len(spans) == len(set(spans)), "two metrics share a span"


@pytest.mark.parametrize("doc_id", sorted(GOLD))
def test_programme_spans(doc_id: str) -> None:
    doc = GOLD[doc_id]
    text = _text(doc)
    ids = [p.id for p in doc.programmes]
    assert len(ids) == len(set(ids))
    for p in doc.programmes:
        (s, e), (es, ee) = p.span, p.evidence_span
        assert text[es:ee] == p.evidence
        assert es <= s < e <= ee
        # the name (read without glued pinyin), or the evidence when the name is not in it
        assert annotate.strip_pinyin(text[s:e]) == p.name or (s, e) == (es, ee)
        assert set(p.domains) <= DOMAINS, p.domains
        assert p.donors or p.recipients, p.id


@pytest.mark.parametrize("doc_id", sorted(GOLD))
def test_programme_ids_follow_reading_order(doc_id: str) -> None:
    programmes = GOLD[doc_id].programmes
    assert [p.id for p in programmes] == [f"P{i}" for i in range(1, len(programmes) + 1)]
    starts = [p.evidence_span[0] for p in programmes]
    assert starts == sorted(starts)


@pytest.mark.parametrize("src_path", sorted((TASK / "src").glob("*.toml")), ids=lambda p: p.stem)
def test_every_number_has_a_decision(src_path: Path) -> None:
    # each number in the annotated region is a metric or an explicit [[excluded]] quote
    assert COMPILER.audit(load_source(src_path)) == []


def test_annotated_region_skips_the_repeated_copy() -> None:
    # 003 contains its article twice: every span must lie in the first copy.
    doc = GOLD["003_772acaec4cde31f8"]
    second_copy = _text(doc).index("总监审姚卜成")
    ends = [p.evidence_span[1] for p in doc.programmes] + [m.evidence_span[1] for m in doc.metrics]
    assert max(ends) <= second_copy


# --- the annotation tool itself ---------------------------------------------------------


def test_locate_fails_loudly() -> None:
    text = "培训320余人次,现场指导200余人次"
    with pytest.raises(annotate.AnnotationError, match="not found"):
        annotate.locate(text, "培训330人次")
    with pytest.raises(annotate.AnnotationError, match="ambiguous"):
        annotate.locate(text, "余人次")
    last = text.rindex("余人次")
    assert annotate.locate(text, "余人次", occurrence=2) == (last, last + 3)
    with pytest.raises(annotate.AnnotationError, match="occurrence"):
        annotate.locate(text, "余人次", occurrence=3)


def test_locate_matches_around_glued_pinyin() -> None:
    text = "打造“寧寧人才協(xié)作”品牌,數據(data),"
    s, e = annotate.locate(text, "寧寧人才協作")
    assert text[s:e] == "寧寧人才協(xié)作"
    assert annotate.strip_pinyin(text) == "打造“寧寧人才協作”品牌,數據(data),"
    # "(data)" has no tone mark: it is text, not a reading, so it is never skipped
    with pytest.raises(annotate.AnnotationError, match="not found"):
        annotate.locate(text, "數據,")


@given(
    before=st.text(alphabet="人才帮扶协作。,12", max_size=30),
    after=st.text(alphabet="人才帮扶协作。,12", max_size=30),
)
def test_locate_finds_a_unique_quote(before: str, after: str) -> None:
    quote = "培训320余人次"
    text = before + quote + after
    assert annotate.locate(text, quote) == (len(before), len(before) + len(quote))


@pytest.mark.parametrize(
    ("value_text", "qualifier"),
    [
        ("320余人次", "more_than"),
        ("200多种", "more_than"),
        ("6000餘個", "more_than"),
        ("近两千", "nearly"),
        ("约50人", "approx"),
        ("不足10名", "less_than"),
        ("3至5名", "range"),
        ("202人次", "exact"),
    ],
)
def test_expected_qualifier(value_text: str, qualifier: str) -> None:
    assert checks.expected_qualifier(value_text) == qualifier


@pytest.mark.parametrize(
    ("value_text", "unit", "value"),
    [("1.2万人", "人", 12000), ("500万元", "万元", 500), ("四個", "個", 4), ("两千", "", 2000)],
)
def test_leading_number(value_text: str, unit: str, value: float) -> None:
    assert checks.leading_number(value_text, unit) == value


def _src(tmp_path: Path, **metric: object) -> dict[str, object]:
    (tmp_path / "d.txt").write_text("活动中培训320余人次。", encoding="utf-8")
    base = {
        "subject": "培训",
        "value": 320,
        "unit": "人次",
        "qualifier": "more_than",
        "value_text": "320余人次",
        "evidence": "培训320余人次",
    }
    return {
        "doc_id": "d",
        "source": "d.txt",
        "annotator": "test",
        "metrics": [{**base, **metric}],
    }


def test_build_computes_spans(tmp_path: Path) -> None:
    doc: Any = Compiler(COOPERATION, tmp_path).build(_src(tmp_path))
    assert doc.metrics[0].span == (5, 11)
    assert doc.metrics[0].evidence_span == (3, 11)


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"value": 32}, "text says 320"),
        ({"qualifier": "exact"}, "markers say"),
        ({"unit": "名"}, "not in the quantity expression"),
        ({"programme": "P9"}, "not an id of programmes"),
        ({"qualifier": "lots"}, "qualifier"),
        ({"evidence": "培训330余人次"}, "not found"),
        ({"colour": "red"}, "unknown keys"),
    ],
)
def test_build_rejects_bad_annotations(
    tmp_path: Path, override: dict[str, object], message: str
) -> None:
    with pytest.raises(annotate.AnnotationError, match=message):
        Compiler(COOPERATION, tmp_path).build(_src(tmp_path, **override))
