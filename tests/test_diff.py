"""``llmx diff``: computing the report diff, and its output as plain text when piped."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

from _cli import run_llmx
from _review_data import TEXT1, TEXT2, records, write_case
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


def _report(
    tmp_path: Path, run: str, gold_digest: str = "g1", data: dict | None = None, prefix: str = ""
) -> Path:
    """An eval report of run ``run`` of the review fixture; ``prefix`` makes long doc ids."""
    data = data or records()
    docs = [
        ScoredDoc(
            score_document(prefix + doc_id, data["gold"][doc_id], data[run][doc_id], TEXTS[doc_id]),
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
    assert "records whose verdict changed: 2 (1 worse ▼, 1 better ▲, 0 otherwise changed •)" in out
    assert "match → partial(value)" in out and "missed → match" in out


def test_cli_unreadable_report(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{}", encoding="utf-8")
    result = CliRunner().invoke(app, ["diff", str(bad), str(bad)])
    assert result.exit_code == 1


LONG = "2026-11-30_guangzhou-qiannan_east-west-cooperation_report_"  # ids alike up to the end


def test_piped_report_diff_is_plain_full_width_and_its_counts_add_up(tmp_path: Path) -> None:
    data = records()
    # run C: B, plus A's spurious record with another value -- a verdict that stays
    # "spurious" but changes (neither worse nor better)
    extra = data["a"]["d1"]["metrics"][2]
    data["c"] = {d: dict(v) for d, v in data["b"].items()}
    data["c"]["d1"] = dict(
        data["b"]["d1"], metrics=[*data["b"]["d1"]["metrics"][:3], dict(extra, value=16)]
    )
    old = _report(tmp_path, "a", data=data, prefix=LONG)
    new = _report(tmp_path, "c", data=data, prefix=LONG)
    proc = run_llmx("diff", str(old), str(new), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "\x1b" not in out and not any(c in out for c in "┃│━╇")  # no box table
    head = re.search(
        r"records whose verdict changed: (\d+) \((\d+) worse ▼, (\d+) better ▲, "
        r"(\d+) otherwise changed •\)",
        out,
    )
    assert head, out
    total, worse, better, other = map(int, head.groups())
    rows = [line for line in out.splitlines() if line and line[0] in "▼▲•"]
    assert (total, worse, better, other) == (3, 1, 1, 1)
    assert len(rows) == total and sum(r.startswith("•") for r in rows) == other
    assert all(f"{LONG}d1" in r for r in rows)  # full doc ids, never cut at 80 columns
    assert "培训 >300人次" in out
    assert max(len(line) for line in out.splitlines()) > 80


# --------------------------------------------------------------------------- predictions


def _long_ids(path: Path) -> Path:
    """The same run with long doc ids that share a prefix (as real ids often do)."""
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    for row in lines:
        row["doc_id"] = LONG + row["doc_id"]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in lines), "utf-8")
    return path


def test_two_prediction_files_are_scored_one_against_the_other(tmp_path: Path) -> None:
    paths = write_case(tmp_path)
    a, b = _long_ids(paths["a"]), _long_ids(paths["b"])
    proc = run_llmx("diff", str(a), str(b), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "\x1b" not in out
    assert (
        "run A against run B (B as reference), task cooperation: 2 documents = 2 compared + "
        "0 only in A + 0 only in B + 0 failed in a run"
    ) in out
    # the figures are the scorer's, with B's records as the gold
    data = records()
    scorer = scorer_for("cooperation")
    scores = [scorer.score_document(d, data["b"][d], data["a"][d]) for d in TEXTS]
    table = {
        line.split()[0]: line.split()
        for line in out.splitlines()
        if line.split()[:1] in (["metrics"], ["programmes"]) and len(line.split()) == 11
    }
    for kind in ("programmes", "metrics"):
        counts = scorer.summarize(scores)[kind]
        n_a, n_b, same, changed, a_only, b_only = map(int, table[kind][1:7])
        assert (n_a, n_b) == (counts.counts.n_pred, counts.counts.n_gold)
        assert n_a == same + changed + a_only and n_b == same + changed + b_only
        assert same == counts.counts.tp
        assert float(table[kind][7]) == round(counts.strict.precision, 3)
        assert float(table[kind][9]) == round(counts.strict.f1, 3)
    assert table["metrics"][1:7] == ["4", "5", "3", "1", "0", "1"]
    assert "records that differ: 2 (1 changed ~, 0 only in A +, 1 only in B -)" in out
    assert f"{LONG}d1  metrics  ~ changed  培训 >320人次  (value: A 320, B 300)" in out
    assert f"{LONG}d1  metrics  - B only   资金 120000000元" in out


def test_runs_missing_or_failed_documents_are_counted(tmp_path: Path) -> None:
    paths = write_case(tmp_path)
    lines = paths["b"].read_text(encoding="utf-8").splitlines()
    failed = json.loads(lines[1])
    failed.update(status="error", error={"type": "timeout", "message": "timed out"})
    paths["b"].write_text(lines[0] + "\n" + json.dumps(failed) + "\n", encoding="utf-8")
    extra = json.loads(lines[0])
    extra["doc_id"] = "d3"
    with paths["a"].open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(extra, ensure_ascii=False) + "\n")
    result = CliRunner().invoke(app, ["diff", str(paths["a"]), str(paths["b"])])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert ": 3 documents = 1 compared + 1 only in A + 0 only in B + 1 failed in a run" in out
    assert "only in A: d3" in out and "not compared: d2 (failed in B)" in out


def test_inputs_diff_cannot_use_are_one_line_saying_what_it_needs(tmp_path: Path) -> None:
    paths = write_case(tmp_path)
    report = _report(tmp_path, "a")
    garbage = tmp_path / "notes.txt"
    garbage.write_text("hello\n", encoding="utf-8")
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    bad_report = tmp_path / "bad.json"
    bad_report.write_text("{\n}\n", encoding="utf-8")
    mixed = run_llmx("diff", str(report), str(paths["a"]), cwd=tmp_path)  # a real process
    assert mixed.returncode == 1 and mixed.stdout == ""
    assert mixed.stderr == (
        f"llmx diff: {report} is an eval report but {paths['a']} is predictions; give two "
        "eval reports (llmx eval --report) or two prediction files (llmx extract -o)\n"
    )
    for args, says in [
        ((report, paths["a"]), "is an eval report but"),
        ((garbage, garbage), "neither an eval report nor predictions JSONL"),
        ((empty, paths["a"]), "is empty"),
        ((bad_report, bad_report), "is not a readable eval report: provenance: Field required"),
        ((tmp_path / "missing.jsonl", paths["a"]), "cannot read"),
    ]:
        result = CliRunner().invoke(app, ["diff", str(args[0]), str(args[1])])
        assert result.exit_code == 1, args
        assert result.stdout == "" and len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert says in result.stderr, (says, result.stderr)
        if "missing" not in str(args[0]):
            assert "llmx eval --report" in result.stderr and "llmx extract -o" in result.stderr


def test_runs_of_different_tasks_need_task(tmp_path: Path) -> None:
    paths = write_case(tmp_path)
    other = tmp_path / "postings.jsonl"
    rows = [json.loads(line) for line in paths["b"].read_text(encoding="utf-8").splitlines()]
    other.write_text(
        "".join(
            json.dumps({**{k: r[k] for k in ("doc_id", "source", "meta")}, "task": "postings"})
            + "\n"
            for r in rows
        ),
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["diff", str(paths["a"]), str(other)])
    assert result.exit_code == 1
    assert result.stderr == (
        "llmx diff: the runs are of different tasks (cooperation, postings); pass --task\n"
    )
