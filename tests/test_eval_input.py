"""Issue 12, eval input: predictions that cannot be scored honestly are refused, naming the line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from _cli import run_llmx

from llmx.output import read_results

REPO = Path(__file__).resolve().parent.parent


def line(doc_id: str, **records: object) -> str:
    obj = {
        "doc_id": doc_id, "source": f"seeds/{doc_id}.txt", "task": "cooperation", "status": "ok",
        "meta": {"backend": "rules", "task": "cooperation"}, "programmes": [], "metrics": [],
    }  # fmt: skip
    obj.update(records)
    return json.dumps(obj, ensure_ascii=False)


def metric(value: object, value_max: object = None) -> dict:
    return {
        "subject": "培训", "value": value, "value_max": value_max, "unit": "人次",
        "qualifier": "exact", "value_text": "320人次", "evidence": "培训320人次",
        "span": [0, 5], "evidence_span": [0, 7], "grounding": "exact",
    }  # fmt: skip


def write(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "pred.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_records_that_are_not_a_list_name_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, line("a"), line("b", metrics="none found"))
    with pytest.raises(ValueError, match=r"pred.jsonl:2: .*metrics.*not a list"):
        list(read_results(path))


def test_a_record_that_is_not_an_object_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, line("a", metrics=[3]))
    with pytest.raises(ValueError, match=r"pred.jsonl:1: .*metrics\[0\]"):
        list(read_results(path))


@pytest.mark.parametrize("bad", ["lots", float("nan"), float("inf"), True])
def test_a_value_that_is_not_a_finite_number_names_the_line(tmp_path: Path, bad: object) -> None:
    path = write(tmp_path, line("a", metrics=[metric(320.0)]), line("b", metrics=[metric(bad)]))
    with pytest.raises(ValueError, match=r"pred.jsonl:2: metrics\[0\]\.value .*not a .*number"):
        list(read_results(path))


def test_a_bad_value_max_is_refused_too(tmp_path: Path) -> None:
    path = write(tmp_path, line("a", metrics=[metric(320.0, "lots")]))
    with pytest.raises(ValueError, match=r"value_max"):
        list(read_results(path))


def test_every_line_duplicated_is_refused_as_duplicated(tmp_path: Path) -> None:
    lines = [line("a"), line("b")]
    path = write(tmp_path, *lines, *lines)
    with pytest.raises(ValueError, match=r"pred.jsonl:3: doc_id 'a' .*line 1"):
        list(read_results(path))


@pytest.mark.slow
def test_eval_command_says_which_line_is_bad(tmp_path: Path) -> None:
    ids = sorted(p.stem for p in (REPO / "seeds").glob("*.txt"))
    path = write(tmp_path, *(line(i, metrics=[metric("lots")]) for i in ids))
    p = run_llmx("eval", "--predictions", str(path), cwd=REPO)
    assert p.returncode == 1
    assert "pred.jsonl:1" in p.stderr + p.stdout and "Traceback" not in p.stderr
    dup = write(tmp_path, *(line(i) for i in ids), *(line(i) for i in ids))
    p = run_llmx("eval", "--predictions", str(dup), cwd=REPO)
    assert p.returncode == 1
    assert "more than once" in p.stderr + p.stdout
    assert "without gold" not in p.stderr + p.stdout
