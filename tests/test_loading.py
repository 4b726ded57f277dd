"""Loading: inputs of every shape, encodings, and problems that never stop the run."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from llmx.core.documents import Document, LoadProblem
from llmx.text.loading import DecodeError, decode_bytes, load_documents

ROOT = Path(__file__).parents[1]
DATA = Path(__file__).parent / "data" / "text"
SIMPLIFIED = "东西部协作:广州市高层次人才赴黔南州开展智力帮扶,培训320余人次,现场指导200余人次。\n"
TRADITIONAL = "惠陽區選派了4批醫療專業技術人員共10人,在貞豐縣人民醫院駐點幫扶,提升醫療業務水平。\n"


def load(*inputs: str | Path, **kwargs: int) -> list[Document | LoadProblem]:
    return list(load_documents(inputs, **kwargs))


def docs(items: list[Document | LoadProblem]) -> list[Document]:
    return [item for item in items if isinstance(item, Document)]


def problems(items: list[Document | LoadProblem]) -> list[LoadProblem]:
    return [item for item in items if isinstance(item, LoadProblem)]


# --- decoding --------------------------------------------------------------------------------


def test_utf8_text_is_exact_and_newlines_are_not_translated(tmp_path: Path) -> None:
    text = "第一行\r\n第二行\r第三行\n"
    (tmp_path / "a.txt").write_bytes(text.encode("utf-8"))
    [doc] = load(tmp_path / "a.txt")
    assert isinstance(doc, Document)
    assert doc.text == text and doc.encoding == "utf-8" and doc.warnings == ()


def test_utf8_bom_is_dropped(tmp_path: Path) -> None:
    (tmp_path / "bom.txt").write_bytes(b"\xef\xbb\xbf" + SIMPLIFIED.encode("utf-8"))
    [doc] = load(tmp_path / "bom.txt")
    assert isinstance(doc, Document)
    assert doc.text == SIMPLIFIED and doc.encoding == "utf-8-sig"


@pytest.mark.parametrize(
    ("text", "codec", "expected"),
    [
        (SIMPLIFIED * 3, "gbk", "gbk"),
        (TRADITIONAL * 3, "big5", "big5"),
        (SIMPLIFIED, "gb18030", "gbk"),
    ],
)
def test_legacy_encodings_are_detected(
    tmp_path: Path, text: str, codec: str, expected: str
) -> None:
    path = tmp_path / "legacy.txt"
    path.write_bytes(text.encode(codec))
    [doc] = load(path)
    assert isinstance(doc, Document)
    assert doc.text == text
    assert doc.encoding == expected
    assert len(doc.warnings) == 1 and "not UTF-8" in doc.warnings[0]


def test_gb18030_only_characters(tmp_path: Path) -> None:
    text = "协作𠀀培训320人次。" * 3  # U+20000 exists in GB18030, not in GBK
    [doc] = load(_write(tmp_path / "g.txt", text.encode("gb18030")))
    assert isinstance(doc, Document)
    assert doc.text == text and doc.encoding == "gb18030"


def test_utf16_with_bom(tmp_path: Path) -> None:
    [doc] = load(_write(tmp_path / "u16.txt", SIMPLIFIED.encode("utf-16")))
    assert isinstance(doc, Document)
    assert doc.text == SIMPLIFIED and doc.encoding == "utf-16"


def test_decode_bytes_rejects_binary_and_garbage() -> None:
    with pytest.raises(DecodeError, match="binary"):
        decode_bytes(b"PK\x03\x04\x00\x00\x08\x00", "archive.zip")
    with pytest.raises(DecodeError, match="control"):
        decode_bytes(bytes(range(1, 32)) * 20, "controls.bin")
    # Bytes that GB18030 can decode but that make no plausible Chinese text.
    garbage = bytes([0x81, 0x30, 0x81, 0x30]) * 50
    with pytest.raises(DecodeError, match="convert it to UTF-8"):
        decode_bytes(garbage, "garbage.txt")


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


# --- problems --------------------------------------------------------------------------------


def test_binary_empty_and_missing_files_are_problems_and_the_run_goes_on(tmp_path: Path) -> None:
    _write(tmp_path / "a_binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    _write(tmp_path / "b_empty.txt", b"")
    _write(tmp_path / "c_blank.txt", " \n\u3000\n".encode())
    _write(tmp_path / "d_good.txt", SIMPLIFIED.encode())
    items = load(tmp_path, tmp_path / "nope.txt", tmp_path / "e_good.txt")
    found = {Path(p.source).name: p for p in problems(items)}
    assert "binary" in found["a_binary.txt"].message
    assert found["b_empty.txt"].details["kind"] == "empty"
    assert found["c_blank.txt"].details["kind"] == "empty"
    assert found["nope.txt"].details["kind"] == "missing"
    assert found["e_good.txt"].details["kind"] == "missing"
    assert [d.id for d in docs(items)] == ["d_good"]


def test_file_over_the_limit_is_reported_with_how_to_raise_it(tmp_path: Path) -> None:
    path = _write(tmp_path / "big.txt", SIMPLIFIED.encode() * 10)
    [problem] = load(path, max_bytes=200)
    assert isinstance(problem, LoadProblem)
    assert problem.details["kind"] == "too_large"
    assert "limit" in problem.message and "max_bytes" in problem.message
    [doc] = load(path, max_bytes=10_000)
    assert isinstance(doc, Document)


def test_five_megabytes_load_fine(tmp_path: Path) -> None:
    text = SIMPLIFIED * (5_000_000 // len(SIMPLIFIED.encode()) + 1)
    path = _write(tmp_path / "five.txt", text.encode())
    assert path.stat().st_size > 5_000_000
    [doc] = load(path)
    assert isinstance(doc, Document)
    assert doc.text == text


# --- inputs ----------------------------------------------------------------------------------


def test_folder_is_walked_recursively_sorted_skipping_hidden_and_other_suffixes(
    tmp_path: Path,
) -> None:
    for name in ["b.txt", "a.md", "sub/c.text", "sub/deeper/d.TXT", "skip.html", ".hidden.txt"]:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(SIMPLIFIED, encoding="utf-8")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "x.txt").write_text(SIMPLIFIED, encoding="utf-8")
    assert [d.id for d in docs(load(tmp_path))] == ["a", "b", "c", "d"]


def test_an_explicitly_named_file_loads_whatever_its_suffix(tmp_path: Path) -> None:
    path = _write(tmp_path / "page.html", SIMPLIFIED.encode())
    assert [d.id for d in docs(load(path))] == ["page"]


def test_folder_without_text_files_is_a_problem(tmp_path: Path) -> None:
    _write(tmp_path / "image.png", b"\x89PNG")
    [problem] = load(tmp_path)
    assert isinstance(problem, LoadProblem) and problem.details["kind"] == "empty_folder"


def test_globs(tmp_path: Path) -> None:
    for name in ["x1.txt", "x2.txt", "y.txt", "sub/x3.txt"]:
        path = tmp_path / name
        path.parent.mkdir(exist_ok=True)
        path.write_text(SIMPLIFIED, encoding="utf-8")
    assert [d.id for d in docs(load(str(tmp_path / "x*.txt")))] == ["x1", "x2"]
    recursive = docs(load(str(tmp_path / "**" / "x*.txt")))
    assert sorted(d.id for d in recursive) == ["x1", "x2", "x3"]
    [problem] = load(str(tmp_path / "*.nothing"))
    assert isinstance(problem, LoadProblem) and "match" in problem.message


def test_seed_glob() -> None:
    items = load(str(ROOT / "seeds" / "*.txt"))
    assert len(docs(items)) == 5 and not problems(items)
    assert docs(items)[0].id == "000_485f80de59385c06"


def test_duplicate_stems_get_unique_ids(tmp_path: Path) -> None:
    for name in ["a/x.txt", "b/x.txt", "b/x.md"]:
        path = tmp_path / name
        path.parent.mkdir(exist_ok=True)
        path.write_text(SIMPLIFIED, encoding="utf-8")
    loaded = docs(load(tmp_path, tmp_path / "a" / "x.txt"))  # a/x.txt named twice: loaded once
    ids = [d.id for d in loaded]
    assert ids == ["x", "b/x", "b/x.txt"]
    assert len(set(ids)) == len(ids)
    assert loaded[0].warnings == () and "already used" in loaded[1].warnings[0]


def test_loading_is_lazy(tmp_path: Path) -> None:
    path = _write(tmp_path / "first.txt", SIMPLIFIED.encode())

    def inputs() -> Iterator[str | Path]:
        yield path
        raise AssertionError("the second input was asked for before the first doc was used")

    stream = load_documents(inputs())
    first = next(stream)
    assert isinstance(first, Document) and first.id == "first"


# --- JSONL -----------------------------------------------------------------------------------


def test_jsonl_rows_with_a_broken_line(tmp_path: Path) -> None:
    items = load(DATA / "rows.jsonl")
    source = str(DATA / "rows.jsonl")
    loaded = docs(items)
    assert [(d.id, d.source) for d in loaded] == [
        ("a1", f"{source}:1"),
        ("rows:5", f"{source}:5"),
        ("rows:a1", f"{source}:7"),
    ]
    assert loaded[0].text == "东西部协作培训320余人次。"
    assert loaded[1].text == "對口幫扶\r\n選派10名醫生。"  # exactly as in the JSON string
    bad = {p.source: p for p in problems(items)}
    assert set(bad) == {f"{source}:2", f"{source}:3", f"{source}:6"}
    assert "invalid JSON" in bad[f"{source}:2"].message
    assert '"text" is missing' in bad[f"{source}:3"].message
    assert "not a JSON object" in bad[f"{source}:6"].message


def test_jsonl_in_a_folder_is_expanded(tmp_path: Path) -> None:
    (tmp_path / "rows.jsonl").write_text(
        '{"id": 7, "text": "甲"}\n{"id": "b", "text": ""}\n', encoding="utf-8"
    )
    (tmp_path / "a.txt").write_text(SIMPLIFIED, encoding="utf-8")
    items = load(tmp_path)
    assert [d.id for d in docs(items)] == ["a", "7"]
    [empty] = problems(items)
    assert empty.details["kind"] == "empty" and empty.source.endswith("rows.jsonl:2")


def test_empty_jsonl_is_a_problem(tmp_path: Path) -> None:
    [problem] = load(_write(tmp_path / "none.jsonl", b"\n\n"))
    assert isinstance(problem, LoadProblem) and problem.details["kind"] == "empty"


def test_jsonl_non_utf8_line(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    path.write_bytes(b'{"text": "\xd0\xad\xd7\xf7"}\n' + '{"text": "好"}\n'.encode())
    items = load(path)
    assert [p.details["kind"] for p in problems(items)] == ["decode"]
    assert [d.text for d in docs(items)] == ["好"]


def test_unreadable_file_is_a_problem(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root can read anything")
    path = _write(tmp_path / "locked.txt", SIMPLIFIED.encode())
    path.chmod(0)
    try:
        [problem] = load(path)
        assert isinstance(problem, LoadProblem) and problem.details["kind"] == "io"
    finally:
        path.chmod(0o644)


def test_jsonl_row_fields_are_carried_to_the_result(tmp_path: Path) -> None:
    from llmx import extract

    rows = tmp_path / "rows.jsonl"
    row = {
        "id": "a",
        "text": "广州市帮扶毕节市，培训320余人次。",
        "url": "http://x/1",
        "date": "2024-01-02",
    }
    rows.write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
    docs = [d for d in load_documents([rows]) if isinstance(d, Document)]
    assert docs[0].fields == {"url": "http://x/1", "date": "2024-01-02"}
    first = extract([rows], task="cooperation", backend="rules", cache_dir=tmp_path / "c")
    again = extract([rows], task="cooperation", backend="rules", cache_dir=tmp_path / "c")
    assert first[0].fields == again[0].fields == {"url": "http://x/1", "date": "2024-01-02"}
    assert json.loads(first[0].model_dump_json())["fields"]["url"] == "http://x/1"
