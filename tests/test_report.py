"""The JSON report (round trip, hashes, no secrets) and its rendering."""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console

from llmx.evaluation.render import delta, gate_lines, render
from llmx.evaluation.report import (
    EvalReport,
    Gate,
    Hashes,
    Provenance,
    ScoredDoc,
    build_report,
    public_settings,
    read_report,
    sha256_tree,
    write_report,
)
from llmx.evaluation.runner import check_gates, parse_floor
from llmx.evaluation.scoring import scorer_for

score_document = scorer_for("cooperation").score_document
summarize = scorer_for("cooperation").summarize

TEXT = "今年培训320余人次，选派15名专家。"
GOLD = {
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


def make_report(value: float = 320.0, gates: list[Gate] | None = None) -> EvalReport:
    pred = {"metrics": [dict(GOLD, value=value)], "programmes": []}
    score = score_document("d1", {"metrics": [GOLD]}, pred, TEXT)
    provenance = Provenance(
        llmx_version="0.1.0",
        created_at="2025-01-01T00:00:00+00:00",
        task="cooperation",
        dataset="evals/cooperation",
        settings=public_settings({"model": "m", "api_key": "sk-1", "api_key_env": "OPENAI"}),
        hashes=Hashes(gold_files={"d1.json": "0" * 64}, gold="1" * 64),
    )
    return build_report(
        provenance=provenance,
        summary=summarize([score]),
        docs=[ScoredDoc(score, "seeds/d1.txt", pred)],
        gates=gates,
        warnings=["a warning"],
    )


def test_report_round_trips_through_json(tmp_path: Path) -> None:
    report = make_report(value=32.0)
    path = tmp_path / "sub" / "r.json"
    write_report(report, path)
    again = read_report(path)
    assert again == report
    raw = json.loads(path.read_text(encoding="utf-8"))
    pair = raw["documents"][0]["score"]["pairs"][0]
    assert pair["label"] == "partial" and pair["fields"] == ["value"]
    assert raw["documents"][0]["scores"]["metrics"]["strict"]["f1"] == 0.0
    assert raw["documents"][0]["predictions"]["metrics"][0]["value"] == 32.0
    assert "培训" in path.read_text(encoding="utf-8")  # UTF-8, not \\u escapes


def test_settings_never_carry_secrets() -> None:
    cleaned = public_settings(
        {"model": "m", "api_key": "sk", "API_TOKEN": "t", "password": "p", "api_key_env": "E"}
    )
    assert cleaned == {"model": "m", "api_key_env": "E"}
    assert "sk-1" not in make_report().model_dump_json()


def test_tree_hash_follows_content(tmp_path: Path) -> None:
    assert sha256_tree(tmp_path / "missing") is None
    (tmp_path / "a.j2").write_text("x", encoding="utf-8")
    first = sha256_tree(tmp_path)
    (tmp_path / "a.j2").write_text("y", encoding="utf-8")
    assert sha256_tree(tmp_path) != first
    (tmp_path / "a.j2").write_text("x", encoding="utf-8")
    assert sha256_tree(tmp_path) == first


def test_gates_against_floors_and_baseline() -> None:
    good, bad = make_report(), make_report(value=32.0)
    gates = check_gates(
        bad.summary,
        floors=[parse_floor("metrics=0.5", ("programmes", "metrics"))],
        baseline=good.summary,
    )
    failed = {(g.name, g.mode, g.figure) for g in gates if not g.passed}
    assert ("min-f1", "strict", "f1") in failed
    assert ("baseline", "strict", "recall") in failed
    assert not any(g.kind == "programmes" and not g.passed for g in gates)
    assert all(g.passed for g in check_gates(good.summary, baseline=good.summary, tolerance=0))
    assert all(g.passed for g in check_gates(bad.summary, baseline=good.summary, tolerance=1))


def test_an_eval_without_documents_never_passes() -> None:
    report = make_report()
    assert report.passed
    assert not report.model_copy(update={"documents": []}).passed


def test_rendering_shows_deltas_and_failed_gates() -> None:
    good = make_report()
    gates = check_gates(make_report(32.0).summary, baseline=good.summary)
    bad = make_report(32.0, gates=gates)
    console = Console(width=200, record=True, color_system=None)
    console.print(render(bad, good, 0.02))
    out = console.export_text()
    assert "1.000 → 0.000 (-1.000)" in out
    assert "GATE FAILED [baseline]: metrics strict f1" in out
    assert "no gold or predicted records" in out  # programmes: nothing to score
    assert "warning: a warning" in out
    assert delta(0.81, 0.80, 0.02).style == "dim"  # within tolerance: not coloured
    assert delta(0.70, 0.80, 0.02).style == "red"
    assert delta(0.90, 0.80, 0.02).style == "green"
    assert (
        "passed"
        in gate_lines(make_report(gates=check_gates(good.summary, baseline=good.summary)))[0].plain
    )
