"""Bad input files: each gets one clear message, the rest of the run completes, nothing is lost."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from _cli import extract_args, run_llmx

from llmx.testing import Reply, ScriptedServer

GOOD_TEXT = "广州市专家赴黔南州开展帮扶，培训320余人次。"


def test_bad_files_are_reported_and_the_run_completes(tmp_path: Path) -> None:
    corpus = tmp_path / "in"
    corpus.mkdir()
    (corpus / "good.txt").write_text(GOOD_TEXT, encoding="utf-8")
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "binary.txt").write_bytes(bytes(range(256)) * 8)
    (corpus / "gbk.txt").write_bytes(GOOD_TEXT.encode("gbk"))
    (corpus / "big5.txt").write_bytes("惠陽區醫療專家赴貞豐縣幫扶，培訓120人次。".encode("big5"))
    (corpus / "english.txt").write_text("No Chinese here at all, 42 people.", encoding="utf-8")
    big = "广州市专家赴黔南州开展帮扶活动，培训320余人次，现场指导200余人次。\n" * 40000
    (corpus / "big.txt").write_text(big, encoding="utf-8")  # ~5 MB
    (corpus / "rows.jsonl").write_text(
        json.dumps({"id": "row1", "text": GOOD_TEXT}, ensure_ascii=False)
        + "\n{broken json\n"
        + json.dumps({"id": "row3", "text": GOOD_TEXT}, ensure_ascii=False)
        + "\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.jsonl"
    proc = run_llmx(
        "extract", str(corpus), "-o", str(out), "--backend", "rules", "-q", cwd=tmp_path
    )

    assert proc.returncode == 3, proc.stderr  # partial: some inputs unreadable
    assert "Traceback" not in proc.stderr
    err_lines = [line for line in proc.stderr.splitlines() if line.startswith("llmx: skipped")]
    skipped = " ".join(err_lines)
    assert "empty.txt" in skipped and "binary.txt" in skipped
    assert "rows.jsonl:2" in skipped
    assert len(err_lines) == 3

    results = {r["doc_id"]: r for r in map(json.loads, out.read_text("utf-8").splitlines())}
    assert {"good", "gbk", "big5", "english", "big", "row1", "row3"} <= set(results)
    assert all(r["status"] == "ok" for r in results.values())
    assert results["gbk"]["meta"]["encoding"].lower() in {"gb18030", "gbk"}
    assert any("no Chinese" in w for w in results["english"]["meta"]["warnings"])
    assert results["big"]["meta"]["chars_in"] == len(big)
    assert results["big5"]["metrics"], results["big5"]


@pytest.mark.slow
def test_retry_failed_redoes_only_the_failures(tmp_path: Path) -> None:
    corpus = tmp_path / "in"
    corpus.mkdir()
    for i in range(3):
        (corpus / f"d{i}.txt").write_text(f"第{i}篇：" + GOOD_TEXT, encoding="utf-8")
    out = tmp_path / "out.jsonl"
    reply = {"programmes": [], "metrics": []}
    with ScriptedServer() as server:
        # First run: d1's request fails for good (3 × 500), the others succeed.
        server.responder = lambda req: (
            Reply.error(500)
            if "第1篇" in json.dumps(req, ensure_ascii=False)
            else Reply.data(reply)
        )
        base = extract_args(
            corpus, out, server.base_url, tmp_path / "c",
            "--model", "m", "--retries", "2", "--mode", "tools",
        )  # fmt: skip
        proc = run_llmx(*base, cwd=tmp_path)
        assert proc.returncode == 3, proc.stderr
        assert "--retry-failed" in proc.stderr
        statuses = {r["doc_id"]: r["status"] for r in map(json.loads, out.read_text().splitlines())}
        assert statuses == {"d0": "ok", "d1": "error", "d2": "ok"}
        n = len(server.requests)

        # A plain re-run leaves the failure alone (and still says so); --retry-failed
        # redoes only d1.
        proc = run_llmx(*base, cwd=tmp_path)
        assert proc.returncode == 3 and "--retry-failed" in proc.stderr
        assert len(server.requests) == n
        server.responder = lambda req: Reply.data(reply)
        proc = run_llmx(*base, "--retry-failed", cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        assert len(server.requests) == n + 1
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert sorted(r["doc_id"] for r in lines) == ["d0", "d1", "d2"]
    assert all(r["status"] == "ok" for r in lines)
