"""Issue 14 #6: ``-`` reads standard input -- JSONL when its first non-blank character is ``{``,
else one text document with id ``stdin``."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from _cli import cli_env

from llmx.core.documents import Document, LoadProblem
from llmx.text.loading import load_documents

TEXT = "广州市专家赴黔南州开展帮扶，培训320人次。"


def from_stdin(data: bytes, **kw: str) -> list[Document | LoadProblem]:
    return list(load_documents(["-"], stdin=io.BytesIO(data), **kw))  # type: ignore[arg-type]


def test_plain_text_is_one_document_called_stdin() -> None:
    [doc] = from_stdin(("\n  " + TEXT + "\n").encode())
    assert isinstance(doc, Document)
    assert (doc.id, doc.source, doc.text) == ("stdin", "<stdin>", "\n  " + TEXT + "\n")


def test_gbk_text_on_stdin_is_decoded_with_a_warning() -> None:
    [doc] = from_stdin(TEXT.encode("gbk"))
    assert isinstance(doc, Document) and doc.text == TEXT and doc.warnings


def test_jsonl_after_blank_lines_and_a_bom_is_rows_with_their_line_numbers() -> None:
    rows = [{"id": "a", "text": TEXT, "url": "u1"}, {"text": TEXT + "又"}]
    jsonl = "\n".join(json.dumps(r, ensure_ascii=False) for r in rows)
    data = b"\xef\xbb\xbf\n \n" + jsonl.encode()
    items = from_stdin(data)
    assert [(d.id, d.source) for d in items if isinstance(d, Document)] == [
        ("a", "<stdin>:3"),
        ("stdin:4", "<stdin>:4"),  # no id: named after its line
    ]
    assert items[0].fields == {"url": "u1"}  # type: ignore[union-attr]


def test_empty_and_oversized_stdin_are_problems() -> None:
    [empty] = from_stdin(b"  \n\n")
    assert isinstance(empty, LoadProblem) and empty.details["kind"] == "empty"
    big = list(load_documents(["-"], stdin=io.BytesIO(TEXT.encode() * 10), max_bytes=100))
    assert isinstance(big[0], LoadProblem) and big[0].details["kind"] == "too_large"


def test_a_jsonl_row_larger_than_the_read_ahead_is_whole() -> None:
    long_text = TEXT * 20_000  # ~1.2 MB: the first row spans many reads of the pipe
    data = json.dumps({"id": "long", "text": long_text}, ensure_ascii=False).encode() + b"\n"
    [doc] = from_stdin(data + b'{"id": "b", "text": "\\u57f9\\u8bad5\\u4eba\\u6b21"}')[:1]
    assert isinstance(doc, Document) and doc.text == long_text


def extract_stdin(data: str, tmp: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "llmx.cli", "extract", "-", "--backend", "rules", "-q", *extra],
        input=data, cwd=tmp, env=cli_env(), capture_output=True, text=True, timeout=120,
    )  # fmt: skip


@pytest.mark.slow
def test_cli_text_on_stdin_to_stdout_and_resume_on_a_file(tmp_path: Path) -> None:
    p = extract_stdin(TEXT, tmp_path)
    assert p.returncode == 0, p.stderr
    [line] = [json.loads(x) for x in p.stdout.splitlines()]
    assert line["doc_id"] == "stdin" and line["source"] == "<stdin>"
    assert any(m["value"] == 320 for m in line["metrics"])
    out = tmp_path / "out.jsonl"
    assert extract_stdin(TEXT, tmp_path, "-o", str(out)).returncode == 0
    again = extract_stdin(TEXT, tmp_path, "-o", str(out))  # the same text: already done
    assert again.returncode == 0 and "1 already done" in again.stderr
    assert len(out.read_text("utf-8").splitlines()) == 1


@pytest.mark.slow
def test_cli_jsonl_on_stdin_in_order(tmp_path: Path) -> None:
    rows = "".join(
        json.dumps({"id": f"r{i}", "text": f"第{i}篇：培训{i + 1}人次。"}, ensure_ascii=False)
        + "\n"
        for i in range(5)
    )
    p = extract_stdin("\n" + rows + "not json\n", tmp_path)
    assert p.returncode == 3, p.stderr  # the bad row: reported, the rest written
    assert [json.loads(x)["doc_id"] for x in p.stdout.splitlines()] == [f"r{i}" for i in range(5)]
    assert "llmx: skipped <stdin>:7: invalid JSON" in p.stderr
