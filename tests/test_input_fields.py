"""Issue 14 #6: ``--id-field`` / ``--text-field`` pick a JSONL row's id and text; the row's other
keys (not those two) are carried to ``DocResult.fields``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from _cli import run_llmx

from llmx.core.documents import Document, LoadProblem
from llmx.text.counting import count_documents
from llmx.text.loading import load_documents

ROWS = [
    {
        "uid": "n1",
        "body": "广州市专家赴黔南州开展帮扶，培训320人次。",
        "title": "标题",
        "text": "摘要",
    },
    {"uid": "n2", "title": "没有正文"},  # no body
    {"uid": "n3", "body": "东西部协作，选派15名干部。", "id": "other"},
]


def write_rows(path: Path) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in ROWS), "utf-8")
    return path


def test_chosen_fields_are_id_and_text_and_the_rest_are_carried(tmp_path: Path) -> None:
    items = list(load_documents([write_rows(tmp_path / "rows.jsonl")], id_field="uid",
                                text_field="body"))  # fmt: skip
    docs = [i for i in items if isinstance(i, Document)]
    assert [(d.id, d.text) for d in docs] == [("n1", ROWS[0]["body"]), ("n3", ROWS[2]["body"])]
    assert docs[0].fields == {"title": "标题", "text": "摘要"}  # "text" is data here
    assert docs[1].fields == {"id": "other"}
    [problem] = [i for i in items if isinstance(i, LoadProblem)]
    assert problem.source.endswith("rows.jsonl:2")
    assert problem.message == (
        '"body" is missing (row keys: uid, title; choose the text key with --text-field)'
    )


def test_default_fields_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    rows = '{"id": "a", "text": "培训5人次", "url": "u"}\n{"id": "b", "text": 5}\n'
    path.write_text(rows, "utf-8")
    doc, problem = load_documents([path])
    assert isinstance(doc, Document) and (doc.id, doc.fields) == ("a", {"url": "u"})
    assert isinstance(problem, LoadProblem)
    assert problem.message.startswith('"text" is of type int, not string')


@pytest.mark.slow
def test_cli_id_and_text_fields_and_one_line_for_a_row_without_text(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    p = run_llmx("extract", str(write_rows(tmp_path / "rows.jsonl")), "-o", str(out),
                 "--backend", "rules", "-q", "--id-field", "uid", "--text-field", "body",
                 cwd=tmp_path)  # fmt: skip
    assert p.returncode == 3, p.stderr  # one row unreadable; the others written
    lines = [json.loads(x) for x in out.read_text("utf-8").splitlines()]
    assert [r["doc_id"] for r in lines] == ["n1", "n3"]
    assert lines[0]["fields"] == {"title": "标题", "text": "摘要"}
    assert any(m["value"] == 320 for m in lines[0]["metrics"])
    problem = [x for x in p.stderr.splitlines() if "rows.jsonl:2" in x]
    assert len(problem) == 1 and '"body" is missing' in problem[0], p.stderr


# -- Parquet (pyarrow: the llmx[tables] extra) ---------------------------------------------------


def write_parquet(path: Path, rows: list[dict]) -> Path:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    pq.write_table(pa.Table.from_pylist(rows), path, row_group_size=2)  # several row groups
    return path


def test_parquet_rows_are_documents_with_fields_and_the_count_is_the_footer(tmp_path: Path) -> None:
    import datetime as dt

    rows = [
        {"uid": f"n{i}", "body": f"第{i}篇：培训{i + 1}人次。", "day": dt.date(2026, 1, i + 1)}
        for i in range(5)
    ]
    rows[3]["body"] = None  # a row without text: one problem, the rest go on
    path = write_parquet(tmp_path / "news.parquet", rows)
    items = list(load_documents([tmp_path], id_field="uid", text_field="body"))
    docs = [i for i in items if isinstance(i, Document)]
    assert [d.id for d in docs] == ["n0", "n1", "n2", "n4"]
    assert docs[0].fields == {"day": "2026-01-01"} and docs[0].source == f"{path}:1"
    [problem] = [i for i in items if isinstance(i, LoadProblem)]
    assert problem.source == f"{path}:4" and problem.message.startswith('"body" is missing')
    assert count_documents([tmp_path]).total == len(items) == 5


def test_parquet_without_the_text_column_is_one_line(tmp_path: Path) -> None:
    path = write_parquet(tmp_path / "news.parquet", [{"id": "a", "content": "培训5人次"}])
    [problem] = load_documents([path])
    assert isinstance(problem, LoadProblem)
    assert problem.message == (
        'no "text" column (columns: id, content; choose the text column with --text-field)'
    )


def test_parquet_without_pyarrow_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "news.parquet"
    path.write_bytes(b"PAR1 not really")
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)  # import fails as if not installed
    [problem] = load_documents([path])
    assert isinstance(problem, LoadProblem)
    assert problem.message == "reading Parquet needs pyarrow: pip install 'llmx[tables]'"
    assert count_documents([path]).total == 0  # the problem is about the file, not a row
