"""``llmx report``: the page's data and HTML, read back with a plain HTML parser (the browser
checks are in test_html_report_browser.py)."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

import pytest
from _html_report import parse_report
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from llmx import extract
from llmx.cli import app
from llmx.core.results import DocMeta, DocResult
from llmx.htmlreport.build import build_page
from llmx.htmlreport.render import render_page
from llmx.htmlreport.segments import Mark, displayable, segments
from llmx.output import text_hash, write_results
from llmx.tasks import load_task

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def seeds_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The seeds through the rules backend, and an eval report of that run."""
    out = tmp_path_factory.mktemp("seeds")
    run, report = out / "run.jsonl", out / "eval.json"
    write_results(extract([SEEDS], backend="rules", task="cooperation"), run)
    code, text = cli(
        "eval", "--task", "cooperation", "--predictions", str(run), "--report", str(report)
    )
    assert code in (0, 2), text
    return run, report


def check_spans(html: str, texts: dict[str, str]) -> int:
    """Every record's highlighted pieces join to text[start:end]; the pane is the whole text.
    ``texts``: doc dom id -> the document's text. Returns the number of spans checked."""
    parsed = parse_report(html)
    checked = 0
    for dom_id, text in texts.items():
        doc = parsed.docs[dom_id]
        assert doc.text == displayable(text)
        assert doc.length == len(text)
        for key, rec in doc.records.items():
            for role, s, e in (("anchors", "data-s", "data-e"), ("evidence", "data-es", "data-ee")):
                if s in rec:
                    got = getattr(doc, role).get(key, "")
                    assert got == displayable(text)[int(rec[s]) : int(rec[e])], (dom_id, key, role)
                    checked += 1
    return checked


# -- segments ------------------------------------------------------------------------------


@given(
    st.text(min_size=1, max_size=40),
    st.lists(st.tuples(st.integers(0, 40), st.integers(0, 40), st.booleans()), max_size=8),
)
def test_segments_cover_every_mark_exactly(text: str, raw: list[tuple[int, int, bool]]) -> None:
    marks = [
        Mark(min(a, b), max(a, b), f"0_{i}", "anchor" if anchor else "evidence")
        for i, (a, b, anchor) in enumerate(raw)
        if min(a, b) < max(a, b) <= len(text)
    ]
    segs = segments(text, marks)
    assert "".join(s.text for s in segs) == text
    for m in marks:
        covering = [
            i
            for i, s in enumerate(segs)
            if m.key in (s.anchors if m.role == "anchor" else s.evidence)
        ]
        assert covering == list(range(covering[0], covering[-1] + 1))  # contiguous
        assert "".join(segs[i].text for i in covering) == text[m.start : m.end]


def test_nested_and_crossing_spans_split_into_pieces() -> None:
    text = "0123456789"
    marks = [Mark(1, 8, "a", "evidence"), Mark(3, 5, "a", "anchor"), Mark(4, 9, "b", "anchor")]
    got = [(s.text, s.anchors, s.evidence) for s in segments(text, marks)]
    assert got == [
        ("0", (), ()),
        ("12", (), ("a",)),
        ("3", ("a",), ("a",)),
        ("4", ("a", "b"), ("a",)),
        ("567", ("b",), ("a",)),
        ("8", ("b",), ()),
        ("9", (), ()),
    ]


# -- the seeds -----------------------------------------------------------------------------


def test_seeds_page_highlights_every_span_exactly(
    seeds_run: tuple[Path, Path], tmp_path: Path
) -> None:
    run, report = seeds_run
    out = tmp_path / "report.html"
    code, text = cli(
        "report", str(run), "--inputs", str(SEEDS), "--eval", str(report), "-o", str(out)
    )
    assert code == 0, text
    html = out.read_text("utf-8")
    results = [json.loads(line) for line in run.read_text("utf-8").splitlines()]
    texts = {
        f"d{n}": (SEEDS / Path(r["source"]).name).read_text("utf-8") for n, r in enumerate(results)
    }
    records = sum(len(r["programmes"]) + len(r["metrics"]) for r in results)
    assert check_spans(html, texts) == 2 * records  # every record: its span and its evidence
    parsed = parse_report(html)
    assert parsed.scripts == 1 and parsed.external == []  # self-contained: nothing fetched
    assert "\r" not in html
    # eval: the scores, and a verdict on each of the run's records (the run is what was scored)
    assert "Field accuracy on matched pairs" in html
    labels = [r["data-label"] for d in parsed.docs.values() for r in d.records.values()]
    assert len(labels) == records and all(labels)
    golds = re.findall(r'<tr class="lb-partial"><td>partial</td><td>\w+</td><td>(.*?)</td>', html)
    assert golds and not any(re.fullmatch(r"#\d+", g) for g in golds)  # gold records read


def test_seeds_edges_sum_programmes_and_metrics(seeds_run: tuple[Path, Path]) -> None:
    run, _ = seeds_run
    page = build_page(run, inputs=[SEEDS])
    assert page.edges is not None
    assert page.edges.measure == "programmes"
    by_pair = {(e.source, e.target): e for e in page.edges.edges}
    results = [json.loads(line) for line in run.read_text("utf-8").splitlines()]
    pairs = sum(len(p["donors"]) * len(p["recipients"]) for r in results for p in r["programmes"])
    assert sum(e.measures["programmes"] for e in by_pair.values()) == pairs
    # 黔南 and 黔南州 are one node (the division), not two
    assert not any(t in ("黔南", "黔南州") for _, t in by_pair)


def test_cooperation_edges_hook() -> None:
    hook = load_task("cooperation").hook("edges")
    records = {
        "programmes": [
            {
                "id": "P1",
                "kind": "partnership",
                "donors": ["广州市"],
                "recipients": ["黔南", "黔南州"],
            },
            {
                "id": "P2",
                "kind": "initiative",
                "donors": ["广州市", "天河区"],
                "recipients": ["都匀市"],
            },
        ],
        "metrics": [
            {"programme": "P2", "value": 320.0, "unit": "人次", "status": "actual"},
            {"programme": "P2", "value": 80, "unit": "人次"},
            {"programme": "P2", "value": 1000, "unit": "人次", "status": "target"},
            {"programme": None, "value": 5, "unit": "名"},
        ],
    }
    got = hook(records)
    assert [(s, t) for s, t, _ in got] == [
        ("广州市", "黔南布依族苗族自治州"),  # 黔南 and 黔南州: one recipient
        ("广州市", "黔南布依族苗族自治州都匀市"),  # divisions by their full names
        ("广州市天河区", "黔南布依族苗族自治州都匀市"),
    ]
    assert got[0][2] == {"programmes": 1.0}
    assert got[1][2] == {"programmes": 1.0, "人次": 400.0, "人次 (target)": 1000.0}


# -- hostile and broken inputs -------------------------------------------------------------


def _result(doc_id: str, source: str, text: str | None, **records: list[dict]) -> DocResult:
    meta = DocMeta(
        backend="rules",
        task="cooperation",
        text_sha256=text_hash(text) if text is not None else None,
    )
    r = DocResult(doc_id=doc_id, source=source, task="cooperation", meta=meta)
    for kind, recs in records.items():
        r.set_records(kind, recs)
    return r


def _metric(text: str, quote: str, anchor: str, grounding: str = "exact", at: int = 0) -> dict:
    s = text.index(quote, at)
    a = text.index(anchor, s)
    return {
        "subject": "x", "value": 1.0, "unit": "人", "value_text": anchor, "evidence": quote,
        "span": [a, a + len(anchor)], "evidence_span": [s, s + len(quote)], "grounding": grounding,
    }  # fmt: skip


HOSTILE = (
    "</script><script>alert(1)</script> <b>粗体</b> & &amp; \"引号\" '单'\r\n"
    "第二行\r培训320余人次，𠀀字和😀表情共5人。\x00\ud800尾\n"
)


def test_hostile_text_ids_and_fields_render_inert_and_exact(tmp_path: Path) -> None:
    text = HOSTILE
    inputs = tmp_path / "in.jsonl"
    row = {
        "id": "a</script>\ud800",
        "text": text,
        "url": "javascript:alert(1)",
        "title": "<img src=x>",
    }
    inputs.write_text(json.dumps(row) + "\n", encoding="utf-8")  # ensure_ascii: surrogates escaped
    recs = [
        _metric(text, "培训320余人次", "320余人次"),
        _metric(text, "𠀀字和😀表情共5人", "5人", grounding="fuzzy"),
        _metric(text, "</script><script>alert(1)</script>", "<script>"),
    ]
    result = _result("a</script>\ud800", f"{inputs}:1", text, metrics=recs)
    result.fields = {"url": "javascript:alert(1)", "title": "<img src=x>"}
    run = tmp_path / "run.jsonl"
    write_results([result], run)
    out = tmp_path / "r.html"
    code, said = cli("report", str(run), "-o", str(out))  # the text found through `source`
    assert code == 0, said
    html = out.read_text("utf-8")
    assert check_spans(html, {"d0": text}) == 6
    parsed = parse_report(html)
    assert parsed.scripts == 1 and parsed.external == []
    fields = parsed.data[0]  # the records' fields: JSON that cannot close its script element
    assert ["evidence", "</script><script>alert(1)</script>"] not in fields[2]  # (highlighted)
    assert ["value_text", "<script>"] in fields[2] and ["span", "9–17"] in fields[2]
    assert "</" not in html.split('class="fields">')[1].split("</script>")[0]
    assert "javascript:alert" not in re.findall(r'href="([^"]*)"', html)
    assert "<img src=x>" not in html and "<b>粗体</b>" not in html
    assert "\r" not in html and "\x00" not in html
    assert "a&lt;/script&gt;\\xed\\xa0\\x80" in html  # the id as the run wrote it (escaped)


def test_spans_outside_the_text_are_reported_not_drawn(tmp_path: Path) -> None:
    text = "培训320余人次。"
    src = tmp_path / "doc.txt"
    src.write_text(text, encoding="utf-8")
    good = _metric(text, "培训320余人次", "320余人次")
    bad = {**good, "span": [5, 500], "evidence_span": [-3, 2]}
    odd = {**good, "span": "lots", "evidence_span": [4, 4]}
    run = tmp_path / "run.jsonl"
    write_results([_result("doc", str(src), text, metrics=[good, bad, odd])], run)
    html = render_page(build_page(run))
    doc = parse_report(html).docs["d0"]
    assert set(doc.anchors) == {"1_0"}  # only the good record is highlighted
    assert html.count("does not slice the text (length 9)") == 3 and "malformed span" in html
    assert check_spans(html, {"d0": text}) == 2


def test_missing_and_changed_texts_are_said_in_the_page_and_on_stderr(tmp_path: Path) -> None:
    text = "培训320余人次。"
    changed = tmp_path / "changed.txt"
    changed.write_text(text + "改", encoding="utf-8")
    rec = _metric(text, "培训320余人次", "320余人次")
    run = tmp_path / "run.jsonl"
    write_results(
        [
            _result("gone", str(tmp_path / "nowhere.txt"), text, metrics=[rec]),
            _result("changed", str(changed), text, metrics=[rec]),
        ],
        run,
    )
    out = tmp_path / "r.html"
    code, said = cli("report", str(run), "-o", str(out))
    assert code == 0
    assert "2 of 2 document(s) without their text" in said
    parsed = parse_report(out.read_text("utf-8"))
    assert parsed.docs["d0"].text is None and "source text not found" in parsed.docs["d0"].notes[0]
    assert parsed.docs["d1"].text is None and "hash mismatch" in parsed.docs["d1"].notes[0]
    assert parsed.docs["d0"].records  # the records are still listed


def test_failed_document_shows_its_error(tmp_path: Path) -> None:
    from llmx.core.results import DocError

    failed = _result("f", "f.txt", "t")
    failed.status, failed.error = "error", DocError(type="timeout", message="<no reply> in 120 s")
    run = tmp_path / "run.jsonl"
    write_results([failed], run)
    html = render_page(build_page(run))
    assert "timeout: &lt;no reply&gt; in 120 s" in html
    assert "<option>error</option>" in html  # the status filter offers it


def test_empty_run_gives_an_empty_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run = tmp_path / "run.jsonl"
    run.write_text("", encoding="utf-8")
    monkeypatch.setenv("LLMX_TASK", "cooperation")
    out = tmp_path / "r.html"
    code, said = cli("report", str(run), "-o", str(out))
    assert code == 0, said
    assert "0 documents" in out.read_text("utf-8")


def test_inputs_option_finds_texts_by_id(tmp_path: Path) -> None:
    text = "培训320余人次。"
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "doc.txt").write_text(text, encoding="utf-8")
    run = tmp_path / "run.jsonl"
    write_results(
        [
            _result(
                "doc",
                "elsewhere/doc.txt",
                text,
                metrics=[_metric(text, "培训320余人次", "320余人次")],
            )
        ],
        run,
    )
    assert "source text not found" in render_page(build_page(run))
    html = render_page(build_page(run, inputs=[folder]))
    assert check_spans(html, {"d0": text}) == 2


def test_unreadable_run_and_unwritable_output_exit_1(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"doc_id": 1}\n', encoding="utf-8")
    code, said = cli("report", str(bad), "-o", str(tmp_path / "r.html"))
    assert code == 1 and said.startswith(f"llmx report: {bad}:1:") and said.count("\n") == 1
    code, said = cli("report", str(tmp_path / "none.jsonl"), "-o", str(tmp_path / "r.html"))
    assert code == 1 and "No such file" in said
    good = tmp_path / "good.jsonl"
    write_results([_result("d", "x.txt", "t")], good)
    code, said = cli("report", str(good), "-o", str(tmp_path))
    assert code == 1 and "is a folder" in said
    assert not list(tmp_path.glob(".*.tmp"))


def test_eval_without_its_gold_folder_says_so(seeds_run: tuple[Path, Path], tmp_path: Path) -> None:
    run, report = seeds_run
    data = json.loads(report.read_text("utf-8"))
    data["provenance"]["dataset"] = str(tmp_path / "moved")
    moved = tmp_path / "eval.json"
    moved.write_text(json.dumps(data), encoding="utf-8")
    html = render_page(build_page(run, inputs=[SEEDS], eval_report=moved))
    assert "gold folder" in html and "not found (give --gold)" in html
    golds = re.findall(r'<tr class="lb-partial"><td>partial</td><td>\w+</td><td>(.*?)</td>', html)
    assert golds and all(re.fullmatch(r"#\d+", g) for g in golds)  # gold records by index


def test_templates_ship_as_package_data() -> None:
    from importlib import resources

    folder = resources.files("llmx.htmlreport").joinpath("templates")
    assert {p.name for p in folder.iterdir()} >= {"report.html.j2", "report.css", "report.js"}


@pytest.mark.slow
def test_full_disk_leaves_no_partial_page(seeds_run: tuple[Path, Path], tmp_path: Path) -> None:
    from _cli import run_llmx
    from test_storage_faults import tmpfs

    run, _ = seeds_run
    with tmpfs(tmp_path / "disk", "size=64k") as disk:
        p = run_llmx(
            "report", str(run), "--inputs", str(SEEDS), "-o", str(disk / "r.html"), cwd=tmp_path
        )
        assert p.returncode == 1, p.stderr
        assert p.stderr.startswith(f"llmx report: cannot write {disk / 'r.html'}: No space left")
        assert p.stderr.count("\n") == 1
        assert list(disk.iterdir()) == []


def test_edge_chart_stays_readable_with_many_places() -> None:
    from llmx.htmlreport.chart import MAX_NODES, ROW, bars, layout
    from llmx.htmlreport.model import Edge, Edges

    edges = [
        Edge(f"帮扶方{i}", f"受援地{i % 25}", {"programmes": float(50 - i), "人次": 10.0 * i}, 1)
        for i in range(45)
    ]
    chart = layout(Edges("who helps whom", "programmes", edges))
    assert chart is not None
    left = [n for n in chart.nodes if n.anchor == "end"]
    right = [n for n in chart.nodes if n.anchor == "start"]
    assert len(left) == MAX_NODES + 1 and left[-1].label == f"… {45 - MAX_NODES} others"
    assert len(right) == 25
    for side in (left, right):  # one row per node: labels never overlap
        ys = sorted(n.y for n in side)
        assert all(b - a >= ROW for a, b in itertools.pairwise(ys))
    assert chart.height <= ROW * (MAX_NODES + 3) and chart.width < 1000
    assert sum(line.width > 0 for line in chart.lines) == len(chart.lines) >= 25
    rows = bars(Edges("t", "programmes", edges))
    assert rows[0].percent == 100.0 and rows[0].measures == "0 人次" and rows[-1].weight == "6"
