"""`llmx eval` end to end on a tiny dataset built in tmp_path: exit codes 0 / 1 / 2."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from llmx.commands.eval import command
from llmx.core.documents import Document
from llmx.core.results import DocMeta, DocResult
from llmx.evaluation.gold import text_sha256
from llmx.evaluation.report import read_report
from llmx.evaluation.runner import (
    EvalOptions,
    HarnessError,
    parse_floor,
    read_predictions,
    run_eval,
)

TEXT_A = "今年培训320余人次，选派15名专家。"
TEXT_B = "广州市与黔南州开展组团式帮扶，投入资金500万元。"


def _metric(text: str, subject: str, value: float, unit: str, vt: str, q: str = "exact") -> dict:
    start = text.index(vt)
    ev_end = text.index("。", start)
    ev_start = max(text.rfind("，", 0, start), text.rfind("。", 0, start)) + 1
    return {
        "subject": subject,
        "value": value,
        "value_max": None,
        "unit": unit,
        "qualifier": q,
        "value_text": vt,
        "evidence": text[ev_start:ev_end],
        "programme": None,
        "span": [start, start + len(vt)],
        "evidence_span": [ev_start, ev_end],
    }


GOLD_A = [
    _metric(TEXT_A, "培训", 320, "人次", "320余人次", "more_than"),
    _metric(TEXT_A, "专家", 15, "名", "15名"),
]
GOLD_B = [_metric(TEXT_B, "资金", 500, "万元", "500万元")]


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    """tmp/pyproject.toml, tmp/seeds/{a,b}.txt, tmp/evals/coop/gold/{a,b}.json."""
    (tmp_path / "pyproject.toml").write_text("[project]\nname='x'\n", encoding="utf-8")
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    gold_dir = tmp_path / "evals" / "coop" / "gold"
    gold_dir.mkdir(parents=True)
    for name, text, metrics in (("a", TEXT_A, GOLD_A), ("b", TEXT_B, GOLD_B)):
        (seeds / f"{name}.txt").write_text(text, encoding="utf-8")
        gold = {
            "doc_id": name,
            "source": f"seeds/{name}.txt",
            "text_sha256": text_sha256(text),
            "annotator": "test",
            "metrics": metrics,
        }
        (gold_dir / f"{name}.json").write_text(json.dumps(gold, ensure_ascii=False), "utf-8")
    return tmp_path / "evals" / "coop"


def result(doc_id: str, metrics: list[dict], status: str = "ok") -> DocResult:
    r = DocResult(
        doc_id=doc_id,
        source=f"seeds/{doc_id}.txt",
        task="cooperation",
        status=status,  # type: ignore[arg-type]
        meta=DocMeta(backend="rules", task="cooperation"),
    )
    r.set_records("metrics", metrics)
    r.set_records("programmes", [])
    return r


def write_jsonl(path: Path, results: list[DocResult]) -> Path:
    path.write_text("".join(r.model_dump_json() + "\n" for r in results), encoding="utf-8")
    return path


def perfect(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "perfect.jsonl", [result("a", GOLD_A), result("b", GOLD_B)])


def worse(tmp_path: Path) -> Path:
    wrong = [dict(GOLD_A[0], value=32), GOLD_A[1]]
    return write_jsonl(tmp_path / "worse.jsonl", [result("a", wrong), result("b", GOLD_B)])


def invoke(*args: Any) -> Any:
    app = typer.Typer()
    app.command()(command)
    return CliRunner().invoke(app, [str(a) for a in args])


# ----------------------------------------------------------------------------- exit 0


def test_perfect_predictions_pass_and_write_a_report(dataset: Path, tmp_path: Path) -> None:
    out = tmp_path / "runs" / "r.json"
    res = invoke(
        "--dataset", dataset, "--predictions", perfect(tmp_path), "--report", out,
        "--min-f1", "metrics=0.99", "--min-f1", "programmes.partial=1",
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "Scores" in res.stdout and "quality gates passed" in res.stdout
    rep = read_report(out)
    assert rep.summary["metrics"].strict.f1 == 1.0
    assert rep.summary["metrics"].counts.tp == 3
    assert [d.score.doc_id for d in rep.documents] == ["a", "b"]
    assert set(rep.provenance.hashes.gold_files) == {"a.json", "b.json"}
    assert rep.provenance.hashes.predictions is not None
    assert rep.provenance.hashes.schema_file is not None  # found through llmx's task roots
    assert rep.summary["metrics"].grounding == 1.0
    assert all(p.label == "match" for d in rep.documents for p in d.score.pairs)


# ----------------------------------------------------------------------------- exit 2


def test_floor_below_min_f1_fails_with_exit_2(dataset: Path, tmp_path: Path) -> None:
    res = invoke("--dataset", dataset, "--predictions", worse(tmp_path), "--min-f1", "metrics=0.9")
    assert res.exit_code == 2, res.output
    assert "gate failed: metrics strict f1 0.667 < 0.900 (min-f1)" in res.stderr
    # the partial score credits the right span with the wrong value, so it clears the bar
    res = invoke(
        "--dataset", dataset, "--predictions", worse(tmp_path), "--min-f1", "metrics.partial=0.9"
    )
    assert res.exit_code == 0, res.output


def test_drop_against_baseline_fails_beyond_tolerance(dataset: Path, tmp_path: Path) -> None:
    base = tmp_path / "base.json"
    assert invoke("--dataset", dataset, "--predictions", perfect(tmp_path), "--report", base)
    res = invoke("--dataset", dataset, "--predictions", worse(tmp_path), "--baseline", base)
    assert res.exit_code == 2, res.output
    assert "(baseline)" in res.stderr and "metrics strict f1" in res.stderr
    assert "1.000 → 0.667" in res.stdout
    res = invoke(
        "--dataset", dataset, "--predictions", worse(tmp_path), "--baseline", base,
        "--tolerance", "0.5",
    )  # fmt: skip
    assert res.exit_code == 0, res.output


# ----------------------------------------------------------------------------- exit 1


def test_no_gold_is_a_harness_error(tmp_path: Path) -> None:
    res = invoke("--dataset", tmp_path / "nothing", "--predictions", perfect(tmp_path))
    assert res.exit_code == 1
    assert res.stderr.count("\n") == 1 and "no gold files" in res.stderr


@pytest.mark.parametrize(
    "breakage, message",
    [
        ("gold_json", "bad gold file"),
        ("gold_hash", "text_sha256 does not match"),
        ("predictions_junk", "not a DocResult line"),
        ("predictions_other_docs", "nothing scored"),
        ("predictions_all_failed", "nothing scored"),
        ("floor", "bad --min-f1"),
        ("baseline_junk", "cannot read baseline"),
    ],
)
def test_broken_inputs_exit_1_with_one_line(
    dataset: Path, tmp_path: Path, breakage: str, message: str
) -> None:
    preds = perfect(tmp_path)
    extra: list[Any] = []
    if breakage == "gold_json":
        (dataset / "gold" / "a.json").write_text("{not json", encoding="utf-8")
    elif breakage == "gold_hash":
        (dataset.parent.parent / "seeds" / "a.txt").write_text(TEXT_A + "改", encoding="utf-8")
    elif breakage == "predictions_junk":
        preds.write_text('{"hello": 1}\n', encoding="utf-8")
    elif breakage == "predictions_other_docs":
        write_jsonl(preds, [result("zzz", GOLD_A)])
    elif breakage == "predictions_all_failed":
        write_jsonl(preds, [result("a", [], "error"), result("b", [], "error")])
    elif breakage == "floor":
        extra = ["--min-f1", "metrics>0.8"]
    elif breakage == "baseline_junk":
        (tmp_path / "base.json").write_text("[]", encoding="utf-8")
        extra = ["--baseline", tmp_path / "base.json"]
    res = invoke("--dataset", dataset, "--predictions", preds, *extra)
    assert res.exit_code == 1, res.output
    assert res.stderr.startswith("llmx eval: error: ") and message in res.stderr
    assert res.stderr.count("\n") == 1


# ----------------------------------------------------------------------------- runner


def test_a_missing_prediction_scores_as_empty_with_a_warning(dataset: Path, tmp_path: Path) -> None:
    preds = write_jsonl(tmp_path / "p.jsonl", [result("a", GOLD_A)])
    rep = run_eval(EvalOptions(dataset=dataset, predictions=preds))
    assert rep.summary["metrics"].counts.fn == 1
    assert any("b: no prediction" in w for w in rep.warnings)
    assert rep.documents[1].score.error == "no prediction for this document"


def test_backend_path_records_settings_and_saves_predictions(dataset: Path, tmp_path: Path) -> None:
    seen: dict[str, Any] = {}

    def fake(docs: list[Document], task: str, backend: str, settings: dict) -> list[DocResult]:
        seen.update(ids=[d.id for d in docs], task=task, backend=backend, settings=settings)
        return [result("a", GOLD_A[:1]), result("b", GOLD_B)]

    saved = tmp_path / "saved.jsonl"
    options = EvalOptions(
        dataset=dataset,
        backend="rules",
        settings={"model": "m1", "api_key": "sk-secret"},
        save_predictions=saved,
    )
    rep = run_eval(options, extractor=fake)
    assert seen["ids"] == ["a", "b"] and seen["backend"] == "rules"
    assert "sk-secret" not in rep.model_dump_json()
    assert rep.provenance.backend == "rules"
    assert rep.summary["metrics"].strict.recall == pytest.approx(2 / 3)
    # scoring the saved predictions reproduces the scores without calling a model
    again = run_eval(EvalOptions(dataset=dataset, predictions=saved))
    assert again.summary == rep.summary
    assert len(read_predictions(saved)) == 2


def test_a_backend_that_cannot_run_is_a_harness_error(
    dataset: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in ("OPENAI_BASE_URL", "LLMX_BASE_URL", "LLMX_MODEL", "OPENAI_MODEL"):
        monkeypatch.delenv(var, raising=False)
    # An endpoint but no model: the real backend refuses with a ConfigError.
    options = EvalOptions(
        dataset=dataset, backend="llm", settings={"base_url": "http://127.0.0.1:9/v1"}
    )
    with pytest.raises(HarnessError, match=r"cannot run.*LLMX_MODEL"):
        run_eval(options)


def test_parse_floor() -> None:
    assert parse_floor("metrics=0.8", ("programmes", "metrics")).mode == "strict"
    assert parse_floor("programmes.partial=0.5", ("programmes", "metrics")).value == 0.5
    for bad in ("metrics", "nope=0.5", "metrics=2", "metrics.loose=0.5", "metrics=x"):
        with pytest.raises(HarnessError):
            parse_floor(bad, ("programmes", "metrics"))
