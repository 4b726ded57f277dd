"""Results written before the cooperation schema had programme kinds still load in eval and
review, with one line saying how they were read."""

from __future__ import annotations

import json
from pathlib import Path

from _cli import run_llmx

ROOT = Path(__file__).resolve().parents[1]


def _old_line(doc_id: str) -> str:
    """A v1 line: programmes without `kind`/`parent`, metrics without `status`."""
    gold = json.loads((ROOT / "evals/cooperation/gold" / f"{doc_id}.json").read_text("utf-8"))
    programmes = [
        {k: v for k, v in p.items() if k not in ("kind", "parent", "note")} | {"grounding": "exact"}
        for p in gold["programmes"]
    ]
    metrics = [
        {k: v for k, v in m.items() if k not in ("status", "note")} | {"grounding": "exact"}
        for m in gold["metrics"]
    ]
    return json.dumps(
        {
            "doc_id": doc_id,
            "source": gold["source"],
            "task": "cooperation",
            "status": "ok",
            "error": None,
            "programmes": programmes,
            "metrics": metrics,
            "meta": {"backend": "llm", "task": "cooperation", "schema_version": "1-abc"},
        },
        ensure_ascii=False,
    )


def test_v1_predictions_score_with_a_note(tmp_path: Path) -> None:
    ids = sorted(p.stem for p in (ROOT / "evals/cooperation/gold").glob("*.json"))
    old = tmp_path / "old.jsonl"
    old.write_text("\n".join(_old_line(i) for i in ids) + "\n", encoding="utf-8")
    report = tmp_path / "r.json"
    done = run_llmx(
        "eval", "--task", "cooperation", "--predictions", str(old), "--report", str(report),
        cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    data = json.loads(report.read_text(encoding="utf-8"))
    assert any("without `kind`" in w for w in data["warnings"])
    groups = data["summary"]["programmes"]["groups"]
    assert "unknown" in groups and groups["unknown"]["fp"] > 0  # read, counted, not dropped
    assert data["summary"]["metrics"]["strict"]["f1"] == 1.0  # metrics unaffected


def test_v1_predictions_load_in_review(tmp_path: Path) -> None:
    from llmx.review.sources import load_review

    old = tmp_path / "old.jsonl"
    old.write_text(_old_line("000_485f80de59385c06") + "\n", encoding="utf-8")
    review = load_review(old, None, ROOT / "evals/cooperation/gold", root=ROOT)
    assert any("without `kind`" in w for w in review.warnings)
    assert review.docs and review.docs[0].rows


def test_value_max_on_a_plain_quantity_is_not_a_wrong_value(tmp_path: Path) -> None:
    """Models often fill value_max with the value on a non-range quantity: on the seeds'
    gold that must not turn matches into partials (it took strict metric F1 to 0.0)."""
    ids = sorted(p.stem for p in (ROOT / "evals/cooperation/gold").glob("*.json"))
    lines = []
    for doc_id in ids:
        row = json.loads(_old_line(doc_id))
        gold = json.loads((ROOT / "evals/cooperation/gold" / f"{doc_id}.json").read_text("utf-8"))
        row["programmes"] = [p | {"grounding": "exact"} for p in gold["programmes"]]
        row["metrics"] = [
            m | {"value_max": m["value"] if m["qualifier"] != "range" else m["value_max"]}
            for m in gold["metrics"]
        ]
        lines.append(json.dumps(row, ensure_ascii=False))
    preds = tmp_path / "p.jsonl"
    preds.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = tmp_path / "r.json"
    done = run_llmx(
        "eval", "--task", "cooperation", "--predictions", str(preds), "--report", str(report),
        cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    summary = json.loads(report.read_text(encoding="utf-8"))["summary"]
    assert summary["metrics"]["strict"]["f1"] == 1.0
