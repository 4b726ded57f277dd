"""A third task, made the way a user makes one: `llmx task new`, annotate, extract, eval.

Nothing in llmx/ knows this task; if any stage (gold, annotation, extraction, grounding,
merging, scoring) were still tied to the built-in tasks, this would fail.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from _cli import run_llmx

from llmx.testing import Reply, ScriptedServer

DOC2 = "2023年9月，某县迎来8名支教教师，另有3名医生驻村。\n"
SRC2 = """\
doc_id = "d2"
source = "evals/events/docs/d2.txt"
annotator = "test"

[[mentions]]
name = "支教教师"
count = 8
evidence = "某县迎来8名支教教师"

[[mentions]]
name = "医生"
count = 3
evidence = "另有3名医生驻村"
"""


def _responder(request: dict[str, Any]) -> Reply:
    """Scripted (not model output): one mention per 'N名X' in the article, quoted exactly."""
    user = next(m["content"] for m in request["messages"] if m["role"] == "user")
    text = user.split("【正文】", 1)[-1]
    found = []
    for m in re.finditer(r"(\d+)名([^，。,]+?)(?:赴|驻|$|，|。)", text):
        clause = next(c for c in re.split(r"[，。]", text) if m.group(0)[:-1] in c)
        found.append({"name": m.group(2), "count": int(m.group(1)), "evidence": clause.strip()})
    return Reply.data({"mentions": found})


@pytest.mark.slow
def test_new_task_annotate_extract_eval(tmp_path: Path) -> None:
    made = run_llmx("task", "new", "events", "--root", ".", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert (tmp_path / "schemas" / "events.py").is_file()
    assert (tmp_path / "evals" / "events" / "gold" / "example.json").is_file()

    checked = run_llmx("task", "check", "events", cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "FAIL" not in checked.stdout and "gold spans slice" in checked.stdout

    # a user annotates one more document
    (tmp_path / "evals" / "events" / "docs" / "d2.txt").write_text(DOC2, encoding="utf-8")
    (tmp_path / "evals" / "events" / "src" / "d2.toml").write_text(SRC2, encoding="utf-8")
    annotated = run_llmx("task", "annotate", "events", cwd=tmp_path)
    assert annotated.returncode == 0, annotated.stderr
    gold = json.loads((tmp_path / "evals/events/gold/d2.json").read_text(encoding="utf-8"))
    s, e = gold["mentions"][0]["span"]
    assert DOC2[s:e] == "支教教师"

    out = tmp_path / "run.jsonl"
    with ScriptedServer(_responder) as server:
        extracted = run_llmx(
            "extract", "evals/events/docs", "-o", str(out), "--task", "events",
            "--base-url", server.base_url, "--model", "m", "--cache-dir", ".cache", "-q",
            cwd=tmp_path,
        )  # fmt: skip
    assert extracted.returncode == 0, extracted.stderr
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert {r["doc_id"] for r in lines} == {"example", "d2"}
    d2 = next(r for r in lines if r["doc_id"] == "d2")
    assert [DOC2[m["span"][0] : m["span"][1]] for m in d2["mentions"]] == ["支教教师", "医生"]

    report = tmp_path / "r.json"
    scored = run_llmx(
        "eval", "--task", "events", "--predictions", str(out), "--report", str(report),
        "--min-f1", "mentions=0.99", cwd=tmp_path,
    )  # fmt: skip
    assert scored.returncode == 0, scored.stdout + scored.stderr
    summary = json.loads(report.read_text(encoding="utf-8"))["summary"]
    assert set(summary) == {"mentions"}
    assert summary["mentions"]["strict"]["f1"] == 1.0


def test_task_new_refuses_bad_names_and_existing_tasks(tmp_path: Path) -> None:
    bad = run_llmx("task", "new", "Bad-Name", cwd=tmp_path)
    assert bad.returncode == 2 and "lower-case" in bad.stderr
    assert run_llmx("task", "new", "ok", cwd=tmp_path).returncode == 0
    again = run_llmx("task", "new", "ok", cwd=tmp_path)
    assert again.returncode == 2 and "already exists" in again.stderr


def test_task_check_reports_a_broken_task(tmp_path: Path) -> None:
    assert run_llmx("task", "new", "broken", cwd=tmp_path).returncode == 0
    schema = tmp_path / "schemas" / "broken.py"
    schema.write_text(
        schema.read_text(encoding="utf-8").replace('"compare": "number"', '"compare": "nope"'),
        encoding="utf-8",
    )
    checked = run_llmx("task", "check", "broken", cwd=tmp_path)
    assert checked.returncode == 1
    assert "FAIL scoring spec" in checked.stdout and "'nope'" in checked.stdout
