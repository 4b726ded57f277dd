"""``llmx review`` from any folder: the task's gold and texts are found from the task root; in a
pipe it prints the document list instead of starting the terminal UI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from _cli import run_llmx
from typer.testing import CliRunner

from llmx.cli import app
from llmx.core.results import DocMeta, DocResult
from llmx.tasks import load_task


def _run_from_gold(path: Path) -> Path:
    """A run whose records are the gold's (a test fixture, not model output), one metric
    dropped from the first document; sources relative to the task root, as gold names them."""
    gold_dir = load_task("cooperation").eval_dir / "gold"
    with path.open("w", encoding="utf-8") as fh:
        for n, gold_file in enumerate(sorted(gold_dir.glob("*.json"))):
            gold = json.loads(gold_file.read_text(encoding="utf-8"))
            result = DocResult(
                doc_id=gold["doc_id"],
                source=gold["source"],
                task="cooperation",
                meta=DocMeta(backend="test", task="cooperation"),
            )
            for kind in ("programmes", "metrics"):
                records = gold.get(kind, [])
                result.set_records(kind, records[1:] if n == 0 and kind == "metrics" else records)
            fh.write(result.model_dump_json() + "\n")
    return path


def test_gold_and_texts_come_from_the_task_root_in_another_folder(tmp_path: Path) -> None:
    run = _run_from_gold(tmp_path / "run.jsonl")
    proc = run_llmx("review", "run.jsonl", cwd=tmp_path, timeout=60)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    gold = load_task("cooperation").eval_dir / "gold"
    assert lines[0] == f"task cooperation · A {run.name} · gold {gold} (5 documents)"
    assert lines[1].split() == ["doc", "F1", "tp/fp/fn", "wrong", "notes"]
    rows = [line.split(None, 4) for line in lines[2:]]
    assert len(rows) == 5 and all(len(r) == 4 for r in rows), lines  # no notes: texts found
    assert rows[0][1] != "1.00" and rows[0][3] == "1"  # the dropped metric: one row wrong
    assert all(r[1] == "1.00" and r[3] == "0" for r in rows[1:])
    assert "source text not found" not in proc.stdout + proc.stderr
    assert "\x1b" not in proc.stdout


def test_a_gold_folder_that_is_not_there_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _run_from_gold(tmp_path / "run.jsonl")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["review", "run.jsonl", "--gold", "no-such-gold"])
    assert result.exit_code == 1
    assert result.stderr.strip() == "llmx review: --gold no-such-gold: no such folder"


def test_without_gold_the_list_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _run_from_gold(tmp_path / "run.jsonl")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["review", "run.jsonl", "--no-gold"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "task cooperation · A run.jsonl · no gold"
