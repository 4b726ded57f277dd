"""The Python API as a notebook uses it: a running event loop, raw strings, pandas tables, and
docs/notebook.md itself, executed block by block."""

from __future__ import annotations

import _thread
import asyncio
import re
import threading
import warnings
from pathlib import Path

import pandas as pd
import pytest

import llmx
from llmx.api import run_sync
from llmx.output import write_results

REPO = Path(__file__).resolve().parent.parent
TEXT = "2024年，广州市专家赴黔南州开展帮扶活动，培训320余人次，现场指导200余人次。"


async def test_extract_works_inside_a_running_event_loop(tmp_path: Path) -> None:
    asyncio.get_running_loop()  # as in Jupyter: a loop runs in this thread
    results = llmx.extract(
        [llmx.Document(id="d1", text=TEXT, source="mem")],
        task="cooperation",
        backend="rules",
        cache_dir=tmp_path,
    )
    assert isinstance(results, llmx.Results) and [r.doc_id for r in results] == ["d1"]
    assert {m["value"] for m in results[0].records("metrics")} == {320.0, 200.0}


def test_ctrl_c_in_the_caller_cancels_the_run_in_the_worker() -> None:
    cancelled = threading.Event()

    async def slow() -> None:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    async def cell() -> None:  # a notebook cell: sync code on the kernel's running loop
        threading.Timer(0.2, _thread.interrupt_main).start()  # Ctrl-C, as the kernel gets it
        with pytest.raises(KeyboardInterrupt):
            run_sync(slow)

    loop = asyncio.new_event_loop()  # run like ipykernel's loop: no SIGINT handler of its own
    try:
        loop.run_until_complete(asyncio.wait_for(cell(), 10))
    finally:
        loop.close()
    assert cancelled.is_set()  # the worker's run was stopped, not left running


def test_run_sync_hands_back_the_worker_exception() -> None:
    async def boom() -> None:
        raise LookupError("from the worker")

    async def caller() -> None:
        with pytest.raises(LookupError, match="from the worker"):
            run_sync(boom)

    asyncio.run(caller())


def test_extract_text_spans_index_into_the_string(tmp_path: Path) -> None:
    one = llmx.extract_text(TEXT, task="cooperation", backend="rules", cache_dir=tmp_path)
    assert [r.doc_id for r in one] == ["text_0"] and one[0].source == "<text>"
    many = llmx.extract_text(
        [TEXT, "惠阳区与贞丰县开展劳务协作，提供就业岗位6000个。"],
        ids=["a", "b"],
        task="cooperation",
        backend="rules",
        cache_dir=tmp_path,
    )
    assert [r.doc_id for r in many] == ["a", "b"]
    for m in many[0].records("metrics"):
        assert TEXT[m["span"][0] : m["span"][1]] == m["value_text"]
    metrics = many.to_pandas("metrics")
    assert list(metrics["span_text"]) == list(metrics["value_text"])
    with pytest.raises(llmx.InputError, match="2 ids for 1 texts"):
        llmx.extract_text([TEXT], ids=["a", "b"], backend="rules")


def test_a_text_given_as_a_path_is_refused_not_skipped(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(llmx.InputError, match=r"use llmx\.extract_text"):
        llmx.extract([TEXT], task="cooperation", backend="rules")
    with pytest.raises(ValueError, match="not a file, folder or glob"):
        llmx.extract("第一行\n第二行", task="cooperation", backend="rules")
    # a missing path is still a warning, and a file named in Chinese is read
    with pytest.warns(UserWarning, match="no such file"):
        assert llmx.extract(["missing.txt"], task="cooperation", backend="rules") == []
    (tmp_path / "广州新闻").write_text(TEXT, encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        [r] = llmx.extract(["广州新闻"], task="cooperation", backend="rules")
    assert r.status == "ok" and r.records("metrics")


def test_frames_have_typed_columns_and_linked_fields(tmp_path: Path) -> None:
    results = llmx.extract_text(TEXT, task="cooperation", backend="rules", cache_dir=tmp_path)
    frames = results.to_frames()
    assert list(frames) == ["documents", "programmes", "metrics"]
    docs, metrics = frames["documents"], frames["metrics"]
    assert docs.loc[0, "n_metrics"] == len(metrics) == 2
    assert str(metrics["value"].dtype) == "Float64" and str(metrics["span_start"].dtype) == "Int64"
    assert metrics["value_max"].isna().all()
    programmes = {p["id"]: p for p in results[0].records("programmes")}
    for _, row in metrics.iterrows():
        linked = programmes[row["programme"]]
        assert row["programme_name"] == linked["name"]
        assert row["programme_donors"] == linked["donors"]
    pd.testing.assert_frame_equal(results.to_pandas("metrics"), metrics)
    with pytest.raises(KeyError, match="the tables are documents, programmes, metrics"):
        results.to_pandas("metric")


def test_read_results_recovers_span_text_from_the_source(tmp_path: Path) -> None:
    doc = tmp_path / "news.txt"
    doc.write_text(TEXT, encoding="utf-8")
    run = tmp_path / "out.jsonl"
    write_results(llmx.extract([doc], task="cooperation", backend="rules", cache_dir=tmp_path), run)
    results = llmx.read_results(run)
    assert isinstance(results, llmx.Results) and len(results) == 1
    metrics = results.to_pandas("metrics")
    assert list(metrics["span_text"]) == ["320余人次", "200余人次"]
    doc.write_text(TEXT.replace("320", "999"), encoding="utf-8")  # the source changed since
    assert llmx.read_results(tmp_path).to_pandas("metrics")["span_text"].isna().all()


def python_blocks(markdown: str) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", markdown, flags=re.S | re.M)


def test_notebook_walkthrough_runs(tmp_path: Path, monkeypatch, capsys) -> None:
    blocks = python_blocks((REPO / "docs" / "notebook.md").read_text(encoding="utf-8"))
    assert len(blocks) == 4
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "notebook"}
    for block in blocks:
        exec(compile(block, "docs/notebook.md", "exec"), namespace)
    by_unit = namespace["by_unit"]
    assert by_unit["人次"] == 320 + 200 + 202  # the figures in 人次 the first text states
    assert by_unit["个"] == 15 + 6000
    rows = namespace["rows"]
    assert sum(n for *_, n in rows) == len(namespace["metrics"]) == 6  # type: ignore[arg-type]
    assert {(unit, total) for _, unit, total, _ in rows} >= {("人", 320.0)}  # type: ignore[misc]
    assert (tmp_path / "run.duckdb").exists()
    assert "智力帮扶活动" in capsys.readouterr().out
