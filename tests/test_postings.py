"""The built-in ``postings`` task: a second task, shaped nothing like ``cooperation``, driven
end to end by its schema, prompts and scoring spec -- checked through the real CLI."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
from _cli import extract_args, run_llmx
from textual.widgets import DataTable

from llmx.annotation import PINYIN, quote_pattern
from llmx.core.results import DocMeta, DocResult
from llmx.evaluation.gold import GoldDoc, load_gold
from llmx.evaluation.report import EvalReport, read_report
from llmx.review.model import summarize
from llmx.review.sources import load_review
from llmx.tasks import available_tasks, load_task
from llmx.testing import Reply, ScriptedServer, request_text

REPO = Path(__file__).resolve().parent.parent
GOLD_DIR = REPO / "evals" / "postings" / "gold"
FIELDS = ("who", "count", "origin", "destination", "role", "period", "batches")


@pytest.fixture(scope="module")
def gold() -> dict[str, GoldDoc]:
    return load_gold(GOLD_DIR, "postings")


def _as_predictions(gold: dict[str, GoldDoc], records: dict[str, list[dict[str, Any]]]) -> str:
    """DocResult JSONL lines carrying ``records`` (doc_id -> postings) as predictions."""
    lines = []
    for doc_id, doc in gold.items():
        result = DocResult(
            doc_id=doc_id,
            source=doc.source,
            task="postings",
            status="ok",
            meta=DocMeta(backend="llm", task="postings"),
        )
        result.set_records("postings", records[doc_id])
        lines.append(result.model_dump_json())
    return "\n".join(lines) + "\n"


def _gold_records(gold: dict[str, GoldDoc]) -> dict[str, list[dict[str, Any]]]:
    return {
        doc_id: [{k: v for k, v in r.items() if k != "note"} for r in doc.records("postings")]
        for doc_id, doc in gold.items()
    }


def _eval(tmp_path: Path, predictions: str, *extra: str) -> tuple[int, EvalReport, str]:
    path = tmp_path / "pred.jsonl"
    path.write_text(predictions, encoding="utf-8")
    report = tmp_path / "report.json"
    res = run_llmx(
        "eval", "--task", "postings", "--predictions", str(path), "--report", str(report),
        *extra, cwd=REPO,
    )  # fmt: skip
    assert report.exists(), res.stderr
    return res.returncode, read_report(report), res.stdout + res.stderr


# ------------------------------------------------------------------------------ the task


def test_the_task_loads_with_one_kind_anchored_on_who() -> None:
    task = load_task("postings")
    assert "postings" in available_tasks() and "cooperation" in available_tasks()
    assert task.kinds == ("postings",)
    spec = task.records["postings"]
    assert (spec.quote, spec.anchor, spec.id, dict(spec.links)) == ("evidence", "who", None, {})
    scoring = task.scoring["postings"]
    assert scoring.key_fields == ("count", "origin", "destination", "role")
    assert set(scoring.field_names) == set(FIELDS)
    assert task.offline_extractor is not None
    line = task.summarize(
        "postings",
        {"who": "8名干部", "count": 8, "origin": ["西宁"], "destination": ["南京"],
         "role": "挂职锻炼", "period": "为期一年"},
    )  # fmt: skip
    assert line == "8名干部 西宁→南京 挂职锻炼，为期一年"


def test_check_gold_holds_count_and_batches_to_the_who_phrase() -> None:
    check = load_task("postings").hook("check_gold")
    ok = {"who": "4批医生共10人", "count": 10, "batches": 4, "origin": ["甲县"], "destination": []}
    assert check("postings", ok) == []
    assert check("postings", {**ok, "count": 4}) == ["count 4 but who says 10"]
    assert check("postings", {**ok, "batches": None}) == ["batches None but who says 4"]
    assert check("postings", {**ok, "origin": []}) == ["neither an origin nor a destination"]


def test_llmx_task_check_postings_passes() -> None:
    res = run_llmx("task", "check", "postings", cwd=REPO)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "FAIL" not in res.stdout
    assert "gold spans slice to their quotes: 20 records" in res.stdout


def test_gold_covers_every_seed_including_one_without_postings(gold: dict[str, GoldDoc]) -> None:
    seeds = sorted(p.stem for p in (REPO / "seeds").glob("*.txt"))
    assert sorted(gold) == seeds
    sizes = {doc_id: len(doc.records("postings")) for doc_id, doc in gold.items()}
    assert sizes["002_c1b10669b61d45c7"] == 0 and sum(sizes.values()) == 20


# ------------------------------------------------------------------------------ scoring


def test_gold_scored_against_itself_is_perfect(gold: dict[str, GoldDoc], tmp_path: Path) -> None:
    code, report, out = _eval(
        tmp_path, _as_predictions(gold, _gold_records(gold)), "--min-f1", "postings=1.0"
    )
    assert code == 0, out
    scores = report.summary["postings"]
    assert (scores.strict.precision, scores.strict.recall, scores.strict.f1) == (1.0, 1.0, 1.0)
    assert scores.partial.f1 == 1.0
    assert scores.counts.tp == 20 and scores.counts.fp == scores.counts.fn == 0
    assert scores.fields == dict.fromkeys(FIELDS, 1.0)
    assert scores.grounding == 1.0


def test_a_wrong_count_and_a_wrong_destination_lower_exactly_those_fields(
    gold: dict[str, GoldDoc], tmp_path: Path
) -> None:
    records = copy.deepcopy(_gold_records(gold))
    by_who = {r["who"]: r for r in records["003_772acaec4cde31f8"]}
    by_who["17名教育人才"]["destination"] = ["贵阳市"]  # wrong place, same sentence
    by_who["49名科技特派员"]["count"] = 94  # wrong number of people
    code, report, out = _eval(tmp_path, _as_predictions(gold, records))
    assert code == 0, out
    scores = report.summary["postings"]
    # two gold postings are now partial matches (strict: one FP and one FN each)
    assert (scores.counts.tp, scores.counts.fp, scores.counts.fn) == (18, 2, 2)
    assert scores.strict.f1 == pytest.approx(0.9)
    assert 0.9 < scores.partial.f1 < 1.0
    assert scores.fields == {**dict.fromkeys(FIELDS, 1.0), "count": 0.95, "destination": 0.95}
    [doc] = [d for d in report.documents if d.score.doc_id == "003_772acaec4cde31f8"]
    partial = {
        doc.predictions["postings"][p.pred]["who"]: p.fields
        for p in doc.score.pairs
        if p.label == "partial" and p.pred is not None
    }
    assert partial == {"17名教育人才": ("destination",), "49名科技特派员": ("count",)}
    others = [d for d in report.documents if d.score.doc_id != "003_772acaec4cde31f8"]
    assert all(d.scores["postings"].strict.f1 == 1.0 for d in others if d.score.pairs)


def test_a_wrong_period_is_reported_but_keeps_the_match_strict(
    gold: dict[str, GoldDoc], tmp_path: Path
) -> None:
    records = copy.deepcopy(_gold_records(gold))
    [first] = [r for r in records["004_b1446ab249e9a55d"] if r["who"].startswith("8名黨政")]
    first["period"] = "两个月"
    _, report, _ = _eval(tmp_path, _as_predictions(gold, records))
    scores = report.summary["postings"]
    assert scores.strict.f1 == 1.0
    assert scores.fields["period"] == pytest.approx(19 / 20)


def test_a_missing_and_an_invented_posting_count_as_fn_and_fp(
    gold: dict[str, GoldDoc], tmp_path: Path
) -> None:
    records = copy.deepcopy(_gold_records(gold))
    records["000_485f80de59385c06"].pop()  # the culture-tourism experts are missed
    text = (REPO / "seeds" / "002_c1b10669b61d45c7.txt").read_text(encoding="utf-8")
    quote = "两地党政有关领导、人才代表、专家学者和重点企业、园区代表共200多人参加了活动"
    start = text.index(quote)
    records["002_c1b10669b61d45c7"] = [  # attending a ceremony is not a posting
        {"who": "200多人", "count": 200, "batches": None, "origin": ["两地"],
         "destination": ["荔湾"], "role": "参加活动", "period": None, "evidence": quote,
         "span": [text.index("200多人"), text.index("200多人") + 5],
         "evidence_span": [start, start + len(quote)]}
    ]  # fmt: skip
    _, report, _ = _eval(tmp_path, _as_predictions(gold, records))
    counts = report.summary["postings"].counts
    assert (counts.tp, counts.fp, counts.fn) == (19, 1, 1)


# ------------------------------------------------------------------------------ rules backend


def test_rules_backend_scores_the_gold_through_the_cli(tmp_path: Path) -> None:
    report, saved = tmp_path / "rules.json", tmp_path / "rules.jsonl"
    res = run_llmx(
        "eval", "--task", "postings", "--backend", "rules", "--report", str(report),
        "--save-predictions", str(saved), cwd=REPO,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    rep = read_report(report)
    scores = rep.summary["postings"]
    assert rep.provenance.backend == "rules" and rep.provenance.task == "postings"
    assert scores.counts.tp > 0 and scores.grounding == 1.0
    # the visit, the forum and the ceremony are not postings: the rules find none in 002
    [doc002] = [d for d in rep.documents if d.score.doc_id == "002_c1b10669b61d45c7"]
    assert doc002.predictions["postings"] == []

    # the review view-model reads the run, learns the task from it and speaks postings
    review = load_review(saved, gold_dir=GOLD_DIR, root=REPO)
    assert review.task.name == "postings" and len(review.docs) == 5 and not review.warnings
    rows = [(view, row) for view in review.docs for row in view.rows]
    assert len([r for _, r in rows if r.gold is not None]) == 20
    lines = [summarize(v, r.kind, v.record(r, "gold") or v.record(r, "a")) for v, r in rows]
    assert "4批醫療專業技術人員共10人 惠陽區→貞豐縣人民醫院、" in "".join(lines)
    assert all("→" in line for line in lines)


def _rules(text: str) -> list[dict[str, Any]]:
    extractor = load_task("postings").offline_extractor
    assert extractor is not None
    return extractor(text)["postings"]


def test_rules_follow_the_people_and_skip_visits() -> None:
    text = (
        "甲市选派6名干部赴乙县挂职锻炼。丙县邀请丁市5名专家来丙县开展技术指导。"
        "戊市组织10名企业家赴己县考察调研。庚区选派了2批教师共9人分别到辛县第一中学、辛县第二中学支教。"
    )
    got = {r["who"]: r for r in _rules(text)}
    assert set(got) == {"6名干部", "5名专家", "2批教师共9人"}
    assert (got["6名干部"]["origin"], got["6名干部"]["destination"]) == (["甲市"], ["乙县"])
    assert got["6名干部"]["role"] == "挂职锻炼"
    assert (got["5名专家"]["origin"], got["5名专家"]["destination"]) == (["丁市"], ["丙县"])
    assert (got["2批教师共9人"]["count"], got["2批教师共9人"]["batches"]) == (9, 2)
    assert got["2批教师共9人"]["destination"] == ["辛县第一中学", "辛县第二中学"]
    for r in got.values():
        s, e = r["_span"]
        assert text[s:e] == r["who"]
        es, ee = r["_evidence_span"]
        assert text[es:ee] == r["evidence"] and es <= s < e <= ee


def test_rules_quote_traditional_text_as_given() -> None:
    text = "西寧市接收南京市8名醫療專家來寧開展指導服務，為期一年。"
    [r] = _rules(text)
    assert r["who"] == "8名醫療專家" and r["origin"] == ["南京市"]
    assert r["destination"] == ["西寧市"] and r["role"] == "指導服務"
    assert r["period"] == "為期一年"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n",
        "2024年8月23日。",
        "选派",
        "选派了名干部赴。",
        "来宾市选派",
        "赴" * 5000,
        "共10人，",
    ],
)
def test_rules_take_any_text_without_crashing(text: str) -> None:
    for r in _rules(text):
        s, e = r["_span"]
        assert text[s:e] == r["who"]


# ------------------------------------------------------------------------------ llm path


def _faithful_model(gold: GoldDoc) -> Any:
    """A scripted model that returns the gold postings it can see in each chunk, copying
    ``who`` and ``evidence`` from the text it was sent (cleaned: no glued pinyin) and
    writing the other fields as an annotator would."""

    def clean(quote: str) -> str:  # pinyin after any character: mojibake hides some Han
        return re.sub(PINYIN, "", quote)

    def reply(request: dict[str, Any]) -> Reply:
        text = request_text(request)
        out = []
        for r in gold.records("postings"):
            ev = quote_pattern(clean(r["evidence"])).search(text)
            if ev is None:
                continue
            who = quote_pattern(clean(r["who"])).search(text, ev.start(), ev.end())
            assert who is not None
            keep = ("count", "batches", "origin", "destination", "role", "period")
            out.append({**{k: r[k] for k in keep}, "who": who.group(), "evidence": ev.group()})
        return Reply.data({"postings": out})

    return reply


@pytest.mark.slow
def test_llm_extraction_of_a_pinyin_laden_document_grounds_and_scores_perfectly(
    gold: dict[str, GoldDoc], tmp_path: Path
) -> None:
    doc = gold["004_b1446ab249e9a55d"]
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / Path(doc.source).name).write_bytes((REPO / doc.source).read_bytes())
    out = tmp_path / "out.jsonl"
    with ScriptedServer(_faithful_model(doc)) as server:
        args = extract_args(corpus, out, server.base_url, tmp_path / "cache", "--task", "postings")
        res = run_llmx(*args, "--model", "scripted", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    [line] = [json.loads(x) for x in out.read_text("utf-8").splitlines()]
    assert line["task"] == "postings" and len(line["postings"]) == 9
    # who came back clean; grounding stored the verbatim slice, pinyin included
    assert any("(yī)" in r["who"] for r in line["postings"])
    _, report, text = _eval(tmp_path, out.read_text("utf-8"))
    [scored] = [d for d in report.documents if d.score.doc_id == doc.doc_id]
    assert scored.scores["postings"].strict.f1 == 1.0, text
    assert report.summary["postings"].counts.fn == 11  # the four documents not extracted


# ------------------------------------------------------------------------------ review UI


async def test_review_app_shows_a_postings_run_against_its_gold(tmp_path: Path) -> None:
    from llmx.api import aextract
    from llmx.output import write_results
    from llmx.review.app import ReviewApp

    results = await aextract(
        sorted((REPO / "seeds").glob("*.txt")), task="postings", backend="rules", cache=False
    )
    run = tmp_path / "rules.jsonl"
    write_results(results, run)
    app = ReviewApp(load_review(run, gold_dir=GOLD_DIR, root=REPO))
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        await pilot.press("z")  # hide the document list: the record cells get room
        await pilot.pause()
        assert app.doc is not None and app.doc.doc_id == "000_485f80de59385c06"
        table = app.query_one("#records", DataTable)
        rows = [" | ".join(str(c) for c in table.get_row_at(i)) for i in range(table.row_count)]
        assert len(rows) == 3  # the three gold postings of 000, the rules matched one
        assert any("3位文化旅游方面的专家 华南师范大学旅游管理学院" in r for r in rows)
        screen = "".join(strip.text for strip in app.screen._compositor.render_strips())
        assert "5/5 docs" in screen and "智力帮扶" in screen
