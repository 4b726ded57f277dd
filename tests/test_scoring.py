"""The scorer: alignment labels, strict/partial counts, and its invariants (hypothesis)."""

from __future__ import annotations

import copy
import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llmx.evaluation import normalize as norm
from llmx.evaluation.comparators import set_similarity
from llmx.evaluation.labels import Counts, DocScore, prf
from llmx.evaluation.scoring import scorer_for

SCORER = scorer_for("cooperation")
KINDS = SCORER.kinds
score_document = SCORER.score_document
summarize = SCORER.summarize

Rec = dict[str, Any]

# ----------------------------------------------------------------------------- builders


def build_doc(
    metrics: list[tuple[str, int, str, str]], programmes: list[tuple[str, str, str]]
) -> tuple[str, dict[str, list[Rec]]]:
    """Synthetic text plus gold records whose spans slice it exactly."""
    text, gold_m, gold_p = "", [], []
    marks = {"exact": "", "more_than": "余", "approx": "约"}
    for k, (name, donor, recipient) in enumerate(programmes):
        sentence = f"{donor}与{recipient}开展{name}。"
        start = len(text) + sentence.index(name)
        gold_p.append(
            {
                "id": f"P{k + 1}",
                "kind": "initiative",
                "name": name,
                "donors": [donor],
                "recipients": [recipient],
                "domains": ["医疗"],
                "evidence": sentence[:-1],
                "span": (start, start + len(name)),
                "evidence_span": (len(text), len(text) + len(sentence) - 1),
            }
        )
        text += sentence
    for subject, value, unit, qualifier in metrics:
        vt = f"{value}{marks[qualifier]}{unit}"
        sentence = f"全年{subject}{vt}。"
        start = len(text) + sentence.index(vt)
        gold_m.append(
            {
                "subject": subject,
                "value": float(value),
                "value_max": None,
                "unit": unit,
                "qualifier": qualifier,
                "value_text": vt,
                "evidence": sentence[:-1],
                "programme": "P1" if programmes else None,
                "span": (start, start + len(vt)),
                "evidence_span": (len(text), len(text) + len(sentence) - 1),
            }
        )
        text += sentence
    return text, {"programmes": gold_p, "metrics": gold_m}


def metric(**over: Any) -> Rec:
    base = {
        "subject": "培训",
        "value": 320.0,
        "value_max": None,
        "unit": "人次",
        "qualifier": "more_than",
        "value_text": "320余人次",
        "evidence": "今年培训320余人次",
        "programme": None,
        "span": [4, 10],
        "evidence_span": [0, 10],
    }
    base.update(over)
    return base


TEXT = "今年培训320余人次，选派15名专家。"


def summary_view(scores: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.counts, v.strict, v.partial, v.fields, v.grounding) for k, v in scores.items()}


# ----------------------------------------------------------------------------- strategies

subjects = st.sampled_from(["培训", "专家", "医生", "教师", "项目", "资金", "学生", "干部"])
units = st.sampled_from(["人次", "名", "个", "项", "万元", "亩"])
qualifiers = st.sampled_from(["exact", "more_than", "approx"])
metric_facts = st.lists(st.tuples(subjects, st.integers(1, 99999), units, qualifiers), max_size=6)
programme_facts = st.lists(
    st.tuples(
        st.sampled_from(["组团式帮扶", "东西部协作", "对口支援", "消费帮扶"]),
        st.sampled_from(["广州市", "深圳市", "惠阳区"]),
        st.sampled_from(["黔南州", "贞丰县", "毕节市"]),
    ),
    max_size=3,
)


def perturb(gold: dict[str, list[Rec]], rnd: random.Random) -> dict[str, list[Rec]]:
    """A noisy prediction: drops, wrong values, repeats, and stray records."""
    pred: dict[str, list[Rec]] = {}
    for kind, records in gold.items():
        out = []
        for r in records:
            op = rnd.choice(["keep", "keep", "drop", "value", "unit", "dup", "subject"])
            r = {k: list(v) if isinstance(v, tuple) else v for k, v in r.items()}
            if op == "drop":
                continue
            if op == "value" and kind == "metrics":
                r["value"] = r["value"] + 1
            if op == "unit" and kind == "metrics":
                r["unit"] = "个" if r["unit"] != "个" else "项"
            if op == "subject":
                key = "subject" if kind == "metrics" else "name"
                r[key] = "完全不同的东西"
            out.append(r)
            if op == "dup":
                out.append(copy.deepcopy(r))
        if rnd.random() < 0.5 and records:
            stray = copy.deepcopy(rnd.choice(records))
            stray.update(span=[900, 903], evidence_span=[890, 910], evidence="别处的话")
            out.append(stray)
        pred[kind] = out
    return pred


# ----------------------------------------------------------------------------- properties


@settings(max_examples=40, deadline=None)
@given(metric_facts, programme_facts)
def test_gold_against_itself_scores_one_everywhere(m: Any, p: Any) -> None:
    text, gold = build_doc(m, p)
    doc = score_document("d", gold, copy.deepcopy(gold), text)
    for kind, s in summarize([doc]).items():
        assert s.strict == s.partial == s.macro_strict == prf(1, 0, 0), kind
        assert all(v == 1.0 for v in s.fields.values() if v is not None)
        assert s.grounding in (1.0, None)
        assert (s.grounding is None) == (not gold[kind])
    assert {pair.label for pair in doc.pairs} <= {"match"}


@settings(max_examples=40, deadline=None)
@given(metric_facts, programme_facts, st.randoms(use_true_random=False))
def test_shuffling_records_never_changes_a_score(m: Any, p: Any, rnd: random.Random) -> None:
    text, gold = build_doc(m, p)
    pred = perturb(gold, rnd)
    base = score_document("d", gold, pred, text)
    shuffled_gold = {k: rnd.sample(v, len(v)) for k, v in gold.items()}
    shuffled_pred = {k: rnd.sample(v, len(v)) for k, v in pred.items()}
    # programme ids travel with their records, so links stay meaningful
    again = score_document("d", shuffled_gold, shuffled_pred, text)
    assert summary_view(summarize([base])) == summary_view(summarize([again]))
    labels = sorted((x.kind, x.label, x.fields, x.similarity) for x in base.pairs)
    assert labels == sorted((x.kind, x.label, x.fields, x.similarity) for x in again.pairs)


@settings(max_examples=40, deadline=None)
@given(metric_facts, programme_facts, st.randoms(use_true_random=False))
def test_every_record_lands_in_exactly_one_pair(m: Any, p: Any, rnd: random.Random) -> None:
    text, gold = build_doc(m, p)
    pred = perturb(gold, rnd)
    doc = score_document("d", gold, pred, text)
    for kind in KINDS:
        pairs = [x for x in doc.pairs if x.kind == kind]
        preds = sorted(x.pred for x in pairs if x.pred is not None)
        golds = sorted(x.gold for x in pairs if x.gold is not None and x.label != "duplicate")
        assert preds == list(range(len(pred[kind])))
        assert golds == list(range(len(gold[kind])))
        c = doc.counts[kind]
        assert (c.n_pred, c.n_gold) == (len(pred[kind]), len(gold[kind]))
        assert c.strict.f1 <= c.partial.f1 + 1e-9


@settings(max_examples=30, deadline=None)
@given(metric_facts.filter(bool), programme_facts)
def test_empty_prediction_scores_zero(m: Any, p: Any) -> None:
    text, gold = build_doc(m, p)
    s = summarize([score_document("d", gold, {}, text)])["metrics"]
    assert s.strict == s.partial == prf(0, 0, 1) == prf(0, 0, 0).__class__(0.0, 0.0, 0.0)
    assert s.grounding is None


def test_empty_gold_and_empty_prediction() -> None:
    doc = score_document("d", {}, {}, "")
    for s in summarize([doc]).values():
        assert s.strict.f1 == s.partial.f1 == 1.0 and s.docs == 0
    assert summarize([])["metrics"].counts == Counts()


def test_empty_gold_with_predictions_scores_zero() -> None:
    s = summarize([score_document("d", {}, {"metrics": [metric()]}, TEXT)])["metrics"]
    assert s.strict == prf(0, 1, 0) and s.strict.precision == 0.0 and s.strict.recall == 0.0


@settings(max_examples=40, deadline=None)
@given(metric_facts, programme_facts, st.randoms(use_true_random=False), subjects, units)
def test_adding_a_spurious_record_never_raises_precision(
    m: Any, p: Any, rnd: random.Random, subject: str, unit: str
) -> None:
    text, gold = build_doc(m, p)
    pred = perturb(gold, rnd)
    before = summarize([score_document("d", gold, pred, text)])["metrics"]
    stray = metric(subject=subject, unit=unit, span=[5000, 5004], evidence_span=[4990, 5010])
    stray["evidence"] = "一句不在文中的话"
    pred["metrics"] = [*pred["metrics"], stray]
    after = summarize([score_document("d", gold, pred, text)])["metrics"]
    assert after.strict.precision <= before.strict.precision
    assert after.partial.precision <= before.partial.precision + 1e-12
    if gold["metrics"]:  # with nothing to find, any prediction makes recall 0 (see prf)
        assert after.strict.recall == before.strict.recall


# ----------------------------------------------------------------------------- examples


def labels(doc: DocScore, kind: str = "metrics") -> list[tuple[str, tuple[str, ...]]]:
    return [(x.label, x.fields) for x in doc.pairs if x.kind == kind]


def test_wrong_value_on_the_right_span_is_one_partial_pair() -> None:
    doc = score_document("d", {"metrics": [metric()]}, {"metrics": [metric(value=32.0)]}, TEXT)
    assert labels(doc) == [("partial", ("value",))]
    c = doc.counts["metrics"]
    assert (c.tp, c.fp, c.fn) == (0, 1, 1)
    assert 0.5 <= c.partial_tp < 1.0
    assert doc.fields["metrics"]["value"].rate == 0.0
    assert doc.fields["metrics"]["unit"].rate == 1.0


def test_wrong_value_and_unit_are_both_named() -> None:
    doc = score_document(
        "d", {"metrics": [metric()]}, {"metrics": [metric(value=3.0, unit="名")]}, TEXT
    )
    assert labels(doc) == [("partial", ("value", "unit"))]


def test_same_numbers_elsewhere_in_the_text_do_not_match() -> None:
    far = metric(span=[40, 46], evidence_span=[36, 46], evidence="另一句里培训320余人次")
    doc = score_document("d", {"metrics": [metric()]}, {"metrics": [far]}, TEXT)
    assert sorted(labels(doc)) == [("missed", ()), ("spurious", ())]


def test_duplicates_stay_false_positives() -> None:
    pred = {"metrics": [metric(), metric(), metric(span=None, evidence_span=None)]}
    doc = score_document("d", {"metrics": [metric()]}, pred, TEXT)
    assert sorted(labels(doc)) == [("duplicate", ()), ("duplicate", ()), ("match", ())]
    c = doc.counts["metrics"]
    assert (c.tp, c.fp, c.fn) == (1, 2, 0)
    assert c.strict.precision == pytest.approx(1 / 3)
    assert c.partial.precision == pytest.approx(1 / 3)


def test_repeat_from_a_copied_article_is_a_duplicate() -> None:
    copy_ = metric(span=[104, 110], evidence_span=[100, 110])
    doc = score_document("d", {"metrics": [metric()]}, {"metrics": [metric(), copy_]}, None)
    assert sorted(labels(doc)) == [("duplicate", ()), ("match", ())]


def test_alignment_is_optimal_not_greedy() -> None:
    # pred 0 is a fair match for both golds; greedy in input order would take gold 0 and
    # leave pred 1 (an exact match of gold 0) unmatched
    text = "培训320余人次，培训320余人次"
    g0 = metric(span=[2, 8], evidence_span=[0, 8], evidence="培训320余人次")
    g1 = metric(span=[11, 17], evidence_span=[9, 17], evidence="培训320余人次")
    p0 = metric(span=[5, 14], evidence_span=[0, 17], evidence=text, value=3.0)
    p1 = dict(g0)
    doc = score_document("d", {"metrics": [g0, g1]}, {"metrics": [p0, p1]}, text)
    by_pred = {x.pred: (x.label, x.gold) for x in doc.pairs}
    assert by_pred[1] == ("match", 0)
    assert by_pred[0] == ("partial", 1)


def test_units_and_scripts_are_normalised_before_comparing() -> None:
    gold = metric(value=12000.0, unit="人次", subject="医疗专家")
    pred = metric(value=1.2, unit="万人次", subject="醫療專家")
    doc = score_document("d", {"metrics": [gold]}, {"metrics": [pred]}, TEXT)
    assert labels(doc) == [("match", ())]
    assert norm.unit("名") == norm.unit("位") == (1.0, "人") != norm.unit("人次")
    assert norm.amount(50, None, "万元") == (500000.0, None, "元")
    assert norm.amount(3, 5, "位") == (3.0, 5.0, "人")


def test_a_non_numeric_value_is_read_from_value_text(monkeypatch: pytest.MonkeyPatch) -> None:
    from llmx.quantities import Quantity

    seen: list[str] = []

    def fake_parse(text: str) -> Quantity:
        seen.append(text)
        return Quantity(text, 0, len(text), 320.0, None, "人次", "人次", "more_than")

    monkeypatch.setattr(norm, "parse_quantity", fake_parse)
    assert norm.amount("320余", None, "人次", "320餘人次")[:2] == (320.0, None)
    assert seen == ["320余人次"]  # the scorer hands the parser simplified text


def test_programme_link_follows_the_programme_alignment() -> None:
    text, gold = build_doc(
        [("培训", 320, "人次", "more_than")], [("组团式帮扶", "广州市", "黔南州")]
    )
    pred = copy.deepcopy(gold)
    pred["programmes"][0]["id"] = "X7"  # a model numbers programmes its own way
    pred["metrics"][0]["programme"] = "X7"
    doc = score_document("d", gold, pred, text)
    assert doc.fields["metrics"]["programme"].rate == 1.0
    pred["metrics"][0]["programme"] = "P1"  # same id string, but no such predicted programme
    doc = score_document("d", gold, pred, text)
    assert doc.fields["metrics"]["programme"].rate == 0.0
    assert labels(doc) == [("match", ())]  # the link is reported, not a key field
    assert [x.other_fields for x in doc.pairs if x.kind == "metrics"] == [("programme",)]


def test_programme_fields() -> None:
    text, gold = build_doc([], [("组团式帮扶", "广州市", "黔南州")])
    pred = copy.deepcopy(gold)
    pred["programmes"][0].update(donors=["广州"], recipients=["毕节市"], domains=["教育"])
    doc = score_document("d", gold, pred, text)
    assert labels(doc, "programmes") == [("partial", ("recipients",))]
    assert doc.fields["programmes"]["donors"].rate == 1.0
    assert doc.fields["programmes"]["domains"].rate == 0.0
    assert set_similarity(["广州", "黔南"], ["黔南州", "广州市"]) == 1.0
    assert set_similarity(["甲地"], []) == 0.0


def test_grounding_rate_checks_spans_against_the_text() -> None:
    good = metric()
    bad_anchor = metric(span=[0, 2])
    bad_evidence = metric(evidence_span=[11, 18])
    ungrounded = metric(span=None, evidence_span=None)
    pred = {"metrics": [good, bad_anchor, bad_evidence, ungrounded]}
    doc = score_document("d", {"metrics": [metric()]}, pred, TEXT)
    assert doc.grounding["metrics"].hits == 1 and doc.grounding["metrics"].total == 4
    assert score_document("d", {}, pred, None).grounding == {}


def test_malformed_prediction_fields_do_not_crash() -> None:
    weird = metric(value="many", span=["a", 3], evidence_span=[5, 2], unit=None, qualifier=None)
    doc = score_document("d", {"metrics": [metric()]}, {"metrics": [weird, {}]}, TEXT)
    assert doc.counts["metrics"].n_pred == 2


def test_grounding_ignores_pinyin_glued_into_the_source() -> None:
    text = "持续打造“寧寧人才協(xié)作”品牌"
    start = text.index("寧")
    prog = {
        "id": "P1",
        "name": "宁宁人才协作",
        "evidence": text,
        "span": [start, text.index("”")],
        "evidence_span": [0, len(text)],
    }
    doc = score_document("d", {"programmes": [prog]}, {"programmes": [prog]}, text)
    assert doc.grounding["programmes"].rate == 1.0
    wrong = dict(prog, span=[0, 4])
    assert (
        score_document("d", {}, {"programmes": [wrong]}, text).grounding["programmes"].rate == 0.0
    )


def test_names_sliced_with_glued_pinyin_compare_equal_to_clean_ones() -> None:
    from llmx.evaluation.comparators import same_text

    assert norm.label("專題調(diào)研") == norm.label("專題調研")
    assert same_text("8名專業(yè)技術(shù)人員", "8名專業技術人員")
    assert set_similarity(["南京結(jié)對區"], ["南京結對區"]) == 1.0
