"""``llmx diff``: computing the report diff, and its output as plain text when piped."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

from _review_data import TEXT1, TEXT2, records
from rich.console import Console
from typer.testing import CliRunner

from llmx.cli import app
from llmx.evaluation.report import (
    Hashes,
    Provenance,
    ScoredDoc,
    build_report,
    read_report,
    write_report,
)
from llmx.evaluation.scoring import scorer_for
from llmx.review.diff import ScoreDelta, diff_reports, format_delta, render_diff

score_document = scorer_for("cooperation").score_document
summarize = scorer_for("cooperation").summarize

TEXTS = {"d1": TEXT1, "d2": TEXT2}


def _report(tmp_path: Path, run: str, gold_digest: str = "g1") -> Path:
    data = records()
    docs = [
        ScoredDoc(
            score_document(doc_id, data["gold"][doc_id], data[run][doc_id], TEXTS[doc_id]),
            f"{doc_id}.txt",
            data[run][doc_id],
        )
        for doc_id in TEXTS
    ]
    report = build_report(
        provenance=Provenance(
            llmx_version="0",
            created_at="2026-01-01T00:00:00Z",
            task="cooperation",
            dataset="tests",
            hashes=Hashes(gold=gold_digest),
        ),
        summary=summarize([d.score for d in docs]),
        docs=docs,
    )
    path = tmp_path / f"{run}.json"
    write_report(report, path)
    return path


def test_diff_finds_score_deltas_and_changed_verdicts(tmp_path: Path) -> None:
    old, new = read_report(_report(tmp_path, "a")), read_report(_report(tmp_path, "b"))
    diff = diff_reports(old, new)
    f1 = next(d for d in diff.scores if d.kind == "metrics" and d.name == "strict F1")
    assert f1.old == old.summary["metrics"].strict.f1 and f1.new == new.summary["metrics"].strict.f1
    assert [(c.doc_id, c.record, c.old, c.new, c.status) for c in diff.changes] == [
        ("d1", "培训 >300人次", "match", "partial(value)", "regression"),
        ("d1", "资金 120000000元", "missed", "match", "improvement"),
    ]
    assert diff.warnings == [] and diff.only_old == diff.only_new == []
    same = diff_reports(old, old)
    assert same.changes == [] and all(d.delta == 0 for d in same.scores if d.delta is not None)


def test_changed_gold_is_flagged(tmp_path: Path) -> None:
    old = read_report(_report(tmp_path, "a", "g1"))
    new = read_report(_report(tmp_path, "b", "g2"))
    assert any("gold differs" in w for w in diff_reports(old, new).warnings)


def test_colour_only_beyond_the_tolerance() -> None:
    assert format_delta(ScoreDelta("m", "f", 0.5, 0.505), 0.01).style == ""
    up = format_delta(ScoreDelta("m", "f", 0.5, 0.6), 0.01)
    assert up.plain == "0.500 → 0.600 (+0.100)" and up.style == "green"
    assert format_delta(ScoreDelta("m", "f", 0.6, 0.5), 0.01).style == "red"
    assert format_delta(ScoreDelta("m", "f", None, 0.5), 0.01).plain == "— → 0.500"
    assert format_delta(ScoreDelta("m", "f", 0.7, 0.7), 0.01).plain == "0.700"


def test_render_has_colour_on_a_terminal_and_none_in_a_pipe(tmp_path: Path) -> None:
    diff = diff_reports(read_report(_report(tmp_path, "a")), read_report(_report(tmp_path, "b")))
    tty = io.StringIO()
    render_diff(diff, Console(file=tty, force_terminal=True, width=120), 0.01)
    assert "\x1b[31m" in tty.getvalue()  # red for the drop
    pipe = io.StringIO()
    render_diff(diff, Console(file=pipe, width=120), 0.01)
    assert "\x1b" not in pipe.getvalue()


def test_cli_plain_text(tmp_path: Path) -> None:
    a, b = _report(tmp_path, "a"), _report(tmp_path, "b")
    result = CliRunner().invoke(app, ["diff", str(a), str(b), "--tolerance", "0.05"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "\x1b" not in out
    assert "strict F1" in out and "field value" in out
    assert "records whose verdict changed: 2 (1 worse ▼, 1 better ▲)" in out
    assert "match → partial(value)" in out and "missed → match" in out


def test_cli_unreadable_report(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{}", encoding="utf-8")
    result = CliRunner().invoke(app, ["diff", str(bad), str(bad)])
    assert result.exit_code == 1


def test_piped_subprocess_has_no_escapes(tmp_path: Path) -> None:
    a, b = _report(tmp_path, "a"), _report(tmp_path, "b")
    proc = subprocess.run(
        [sys.executable, "-m", "llmx.cli", "diff", str(a), str(b)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "\x1b" not in proc.stdout and "培训 >300人次" in proc.stdout
