"""The review view-model: alignment of gold | A | B, filters, navigation, text layout, edits."""

from __future__ import annotations

import json
from itertools import pairwise
from pathlib import Path

import pytest
from _review_data import TEXT1, records, write_case
from hypothesis import given
from hypothesis import strategies as st
from rich.cells import cell_len

from llmx.evaluation.gold import load_gold
from llmx.evaluation.scoring import scorer_for
from llmx.review import gold_edit
from llmx.review.model import (
    build_doc,
    describe_row,
    find_regression,
    highlights,
    id_links,
    line_of,
    order_docs,
    summarize,
    wrap_offsets,
)
from llmx.review.sources import load_review

SCORER = scorer_for("cooperation")
TASK = SCORER.task


def _doc(with_gold: bool = True, with_b: bool = True):
    data = records()
    return build_doc(
        SCORER,
        "d1",
        "d1.txt",
        TEXT1,
        data["a"]["d1"],
        data["b"]["d1"] if with_b else None,
        data["gold"]["d1"] if with_gold else None,
    )


def _table(view):
    return [
        (
            r.kind[0],
            summarize(
                view, r.kind, view.record(r, "gold") or view.record(r, "a") or view.record(r, "b")
            ),
            r.label_a,
            r.label_b,
            r.status,
        )
        for r in view.rows
    ]


def test_gold_a_b_rows_join_on_the_gold_record() -> None:
    view = _doc()
    assert _table(view) == [
        ("p", "[I] 结对帮扶 广州市→黔南州", "match", "match", "same"),
        ("m", "培训 >320人次", "match", "partial", "regression"),
        ("m", "现场指导 >200人次", "match", "match", "same"),
        ("m", "资金 120000000元", "missed", "match", "improvement"),
        # the spurious record of A and of B are aligned by the scorer onto one row
        ("m", "协作项目 15个", "spurious", "spurious", "same"),
    ]
    assert view.rows[1].fields_b == ("value",)
    assert describe_row(view, view.rows[1]) == ["A match", "B partial · value: 320 ≠ 300"]
    assert view.counts_a is not None and (view.counts_a.tp, view.counts_a.fp) == (3, 1)
    assert view.delta == pytest.approx(view.f1_b - view.f1_a) and view.delta < 0
    assert view.changed and view.regressed


def test_without_gold_b_is_scored_against_a() -> None:
    view = _doc(with_gold=False)
    by_subject = {
        summarize(view, r.kind, view.record(r, "a") or view.record(r, "b")): r for r in view.rows
    }
    assert by_subject["培训 >320人次"].label_b == "partial"
    assert by_subject["培训 >320人次"].status == "regression"  # an A record B changed
    money = by_subject["资金 120000000元"]
    assert (money.a, money.label_b, money.status) == (None, "spurious", "changed")
    assert describe_row(view, money) == ["B new (in B only)"]
    assert view.f1_a is None and view.delta is None


def test_single_run_counts_each_error_as_a_regression() -> None:
    view = _doc(with_b=False)
    assert [r.status for r in view.rows] == ["same", "same", "same", "regression", "regression"]
    plain = _doc(with_gold=False, with_b=False)
    assert [r.label for r in plain.rows] == [None] * 4 and not plain.changed


def _docs(tmp_path: Path):
    paths = write_case(tmp_path)
    return load_review(paths["a"], paths["b"], paths["gold"]).docs


def test_sort_and_filters(tmp_path: Path) -> None:
    docs = _docs(tmp_path)
    assert [d.doc_id for d in order_docs(docs, "id")] == ["d1", "d2"]
    assert [d.doc_id for d in order_docs(docs, "f1")] == ["d1", "d2"]  # worst first
    assert [d.doc_id for d in order_docs(docs, "change")] == ["d1", "d2"]  # biggest drop first
    assert [d.doc_id for d in order_docs(docs, changed_only=True)] == ["d1"]
    assert [d.doc_id for d in order_docs(docs, regressions_only=True)] == ["d1"]
    d1, d2 = docs
    d1.rows = [r for r in d1.rows if r.status != "regression"]
    assert order_docs(docs, regressions_only=True) == []
    assert order_docs([d2, d1], "id")[0] is d1


def test_find_regression_walks_documents_and_wraps(tmp_path: Path) -> None:
    view = _doc(with_b=False)  # regressions at rows 3 and 4
    other = _doc()  # regression at row 1
    docs = [view, other]
    assert find_regression(docs, 0, -1) == (0, 3)
    assert find_regression(docs, 0, 3) == (0, 4)
    assert find_regression(docs, 0, 4) == (1, 1)
    assert find_regression(docs, 1, 1) == (0, 3)  # wraps around
    assert find_regression(docs, 0, 3, -1) == (1, 1)
    assert find_regression(docs, 1, 1, -1) == (0, 4)
    assert find_regression([_doc(with_gold=False, with_b=False)], 0, 0) is None


@given(st.text(alphabet="ab中文協(xié)\n\t，", max_size=60), st.integers(2, 20))
def test_wrapped_lines_fit_and_cover_the_text(text: str, width: int) -> None:
    lines = wrap_offsets(text, width)
    assert lines[0][0] == 0 and lines[-1][1] == len(text)
    for (_, end), (start, _) in pairwise(lines):
        # a soft break continues where the line ended; a hard one skips exactly the newline
        assert start == end or (start == end + 1 and text[end] == "\n")
    assert all("\n" not in text[s:e] for s, e in lines)
    for s, e in lines:
        assert cell_len(text[s:e].replace("\t", " ")) <= width
    for offset in range(len(text)):
        s, e = lines[line_of(lines, offset)]
        assert s <= offset <= e


def test_wide_characters_take_two_cells() -> None:
    assert wrap_offsets("中文中文中", 4) == [(0, 2), (2, 4), (4, 5)]


def test_highlights_stay_inside_the_text() -> None:
    view = _doc()
    spans = highlights(view)
    assert spans and all(0 <= s < e <= len(TEXT1) for s, e, _ in spans)
    assert (TEXT1.index("320余人次"), TEXT1.index("320余人次") + 6, "partial") in spans


# ----------------------------------------------------------------------- gold edits


def test_accept_replaces_and_keeps_the_programme_link(tmp_path: Path) -> None:
    paths = write_case(tmp_path)
    gold_path = paths["gold"] / "d1.json"
    gold = gold_edit.load_working(gold_path, TASK)
    view = _doc()
    row = view.rows[1]  # B's wrong value
    links = id_links(view, "b")
    assert links == {"programmes": {"P1": "P1"}}
    new = gold_edit.accept_record(
        gold, TASK, "metrics", view.record(row, "b"), replace=row.gold, links=links, origin="run B"
    )
    assert new.metrics[0].value == 300 and new.metrics[0].programme == "P1"
    assert "accepted in review" in (new.metrics[0].note or "")
    path, diff = gold_edit.write_proposal(gold_path, new)
    assert path == paths["gold"] / "proposed" / "d1.json"
    assert '-      "value": 320.0,' in diff and '+      "value": 300.0,' in diff
    assert path.with_suffix(".diff").read_text(encoding="utf-8") == diff
    # the gold itself is untouched and load_gold never sees the proposal
    assert load_gold(paths["gold"], TASK)["d1"].metrics[0].value == 320
    assert gold_edit.load_working(gold_path, TASK).metrics[0].value == 300
    # writing the gold back removes the proposal
    assert gold_edit.write_proposal(gold_path, gold) == (path, "")
    assert not path.exists()


def test_accept_new_programme_gets_a_fresh_id_and_remove_clears_links(tmp_path: Path) -> None:
    paths = write_case(tmp_path)
    gold = gold_edit.load_working(paths["gold"] / "d1.json", TASK)
    prog = dict(gold.programmes[0].model_dump(), id="P9", grounding="exact")
    added = gold_edit.accept_record(gold, TASK, "programmes", prog)
    assert [p.id for p in added.programmes] == ["P1", "P2"]
    removed = gold_edit.remove_record(gold, TASK, "programmes", 0)
    assert removed.programmes == [] and removed.metrics[0].programme is None
    assert removed.notes[-1].startswith("review: removed programme P1")


def test_accept_refuses_a_record_without_spans(tmp_path: Path) -> None:
    paths = write_case(tmp_path)
    gold = gold_edit.load_working(paths["gold"] / "d1.json", TASK)
    rec = {k: v for k, v in gold.metrics[0].model_dump().items() if k != "span"}
    with pytest.raises(ValueError, match="cannot accept"):
        gold_edit.accept_record(gold, TASK, "metrics", rec)


def test_load_review_without_gold_files_warns(tmp_path: Path) -> None:
    paths = write_case(tmp_path)
    review = load_review(paths["a"], None, tmp_path / "nowhere")
    assert not review.has_gold and "no gold folder" in review.warnings[0]
    assert [d.doc_id for d in review.docs] == ["d1", "d2"]
    assert review.docs[0].text == TEXT1


def test_text_digest_mismatch_is_noted(tmp_path: Path) -> None:
    paths = write_case(tmp_path)
    gold_file = paths["gold"] / "d2.json"
    data = json.loads(gold_file.read_text(encoding="utf-8"))
    data["text_sha256"] = "0" * 64
    gold_file.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    docs = load_review(paths["a"], None, paths["gold"]).docs
    assert any("spans may be off" in n for n in docs[1].notes)


def test_rows_form_the_programme_tree() -> None:
    """Gold 001: the county pairing sits under the city pairing, its initiatives under it, and
    each metric under the record it links to."""
    from llmx.evaluation.gold import read_gold

    root = Path(__file__).resolve().parents[1]
    gold = read_gold(root / "evals/cooperation/gold/001_a54c9a360dadffd8.json", TASK)
    recs = {k: gold.records(k) for k in TASK.kinds}
    text = (root / gold.source).read_text(encoding="utf-8")
    view = build_doc(SCORER, gold.doc_id, gold.source, text, recs, None, recs)
    by_id = {p["id"]: p for p in recs["programmes"]}
    depth_of = {}
    for row in view.rows:
        rec = view.record(row, "gold") or {}
        if row.kind == "programmes":
            depth_of[rec["id"]] = row.depth
            parent = rec.get("parent")
            assert row.depth == (0 if parent is None else depth_of[parent] + 1)
        elif rec.get("programme"):
            assert row.depth == depth_of[rec["programme"]] + 1  # its programme came first
    kinds = {by_id[i]["kind"] for i, d in depth_of.items() if d == 0}
    assert kinds == {"partnership"} and max(depth_of.values()) >= 2
