"""The table builder in process: column types, links, texts, and results it must not mangle."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import pyarrow.parquet as pq
import pytest
from pydantic import BaseModel

from llmx.core.results import DocMeta, DocResult
from llmx.output import text_hash
from llmx.tables import TableError, build_tables
from llmx.tables.columns import from_annotation, infer
from llmx.tables.sources import SourceTexts
from llmx.tables.writers import write

TEXT = "广州市专家赴黔南州开展帮扶，培训320余人次。"


def result(doc_id: str, *, task: str = "cooperation", text: str = TEXT, **extra: Any) -> DocResult:
    meta = DocMeta(backend="rules", task=task, text_sha256=text_hash(text))
    return DocResult(doc_id=doc_id, source=f"{doc_id}.txt", task=task, meta=meta, **extra)


def metric(programme: str | None, **over: Any) -> dict[str, Any]:
    rec = {
        "subject": "培训", "value": 320.0, "value_max": None, "unit": "人次",
        "qualifier": "more_than", "value_text": "320余人次", "evidence": "培训320余人次",
        "status": "actual", "programme": programme, "span": [16, 22],
        "evidence_span": [14, 22], "grounding": "exact",
    }  # fmt: skip
    return {**rec, **over}


PROGRAMME = {
    "id": "P1", "kind": "initiative", "name": "帮扶", "donors": ["广州市"],
    "recipients": ["黔南州"], "parent": None, "domains": [], "start_date": None,
    "end_date": None, "evidence": "广州市专家赴黔南州开展帮扶", "span": [11, 13],
    "evidence_span": [0, 13], "grounding": "exact",
}  # fmt: skip


class Nested(BaseModel):
    code: str


@pytest.mark.parametrize(
    ("annotation", "expected"),
    [
        (str, "string"),
        (str | None, "string"),
        (float | None, "float"),
        (int, "integer"),
        (bool, "boolean"),
        (Literal["a", "b"], "string"),
        (list[str], "list<string>"),
        (list[Literal["医疗", "教育"]], "list<string>"),
        (list[float], "list<float>"),
        (list[Nested], "json"),
        (Nested, "json"),
        (dict[str, int], "json"),
        (Any, None),
    ],
)
def test_types_from_model_annotations(annotation: Any, expected: str | None) -> None:
    assert from_annotation(annotation) == expected


def test_types_from_values() -> None:
    assert infer([1, None, 2]) == "integer"
    assert infer([1, 2.5]) == "float"
    assert infer([True, False]) == "boolean"
    assert infer([["a"], []]) == "list<string>"
    assert infer([[1], [2.5]]) == "list<float>"
    assert infer([{"a": 1}]) == "json"
    assert infer(["a", 1]) == "json"
    assert infer([None, None]) == "string"
    assert infer([320], declared="float") == "float"  # an int fits a float column
    assert infer(["lots"], declared="float") == "string"  # a value that does not fit wins


def test_links_join_the_linked_record_and_dangling_links_stay_null() -> None:
    r = result(
        "d1",
        programmes=[PROGRAMME],
        metrics=[metric("P1"), metric(None), metric("P9")],  # P9 names no programme
    )
    tables = build_tables([r], text_of=lambda _r: TEXT)
    rows = tables["metrics"].dicts()
    assert [row["programme_name"] for row in rows] == ["帮扶", None, None]
    assert rows[0]["programme_donors"] == ["广州市"] and rows[0]["programme_parent"] is None
    assert "programme_id" not in rows[0]
    assert [row["span_text"] for row in rows] == ["320余人次"] * 3
    assert rows[0]["evidence_text"] == "培训320余人次"
    assert tables["documents"].dicts()[0]["n_metrics"] == 3


def test_a_value_that_does_not_fit_its_field_makes_the_column_json() -> None:
    r = result("d1", metrics=[metric(None), metric(None, subject=5)])  # hand-edited file
    table = build_tables([r])["metrics"]
    assert next(c.type for c in table.columns if c.name == "subject") == "json"
    assert table.column("subject") == ['"培训"', "5"]  # nothing dropped, nothing coerced


def test_input_fields_become_columns_and_a_taken_name_is_prefixed() -> None:
    a = result("a", fields={"url": "https://a", "source": "人民网", "rank": 1})
    b = result("b", fields={"url": "https://b", "date": "2024-08-23"})
    docs = build_tables([a, b])["documents"]
    assert docs.names[-4:] == ["url", "input_source", "rank", "date"]
    assert docs.column("input_source") == ["人民网", None]
    assert docs.column("source") == ["a.txt", "b.txt"]
    assert [c.type for c in docs.columns[-4:]] == ["string", "string", "integer", "string"]


def test_results_of_a_task_this_install_lacks_are_exported_from_their_records() -> None:
    r = result("d1", task="ghost", documents=[{"who": "张三", "n": 2}], events=[{"x": [1]}])
    tables = build_tables([r])
    assert list(tables) == ["documents", "documents_2", "events"]  # nothing overwritten
    assert tables["documents_2"].dicts()[0]["who"] == "张三"
    assert tables["events"].columns[2].type == "list<integer>"


def test_runs_of_two_tasks_are_refused() -> None:
    with pytest.raises(TableError, match="export one task at a time"):
        build_tables([result("a"), result("b", task="postings")])


def test_no_results_still_give_every_column(tmp_path: Path) -> None:
    tables = build_tables([], task="cooperation")
    assert list(tables) == ["documents", "programmes", "metrics"]
    assert "programme_name" in tables["metrics"].names and not tables["metrics"].rows
    write(tables, tmp_path / "pq", "parquet")
    assert pq.read_table(tmp_path / "pq" / "metrics.parquet").num_rows == 0


def test_source_text_is_used_only_when_its_hash_matches(tmp_path: Path) -> None:
    (tmp_path / "d1.txt").write_text(TEXT, encoding="utf-8")
    (tmp_path / "d2.txt").write_text(TEXT.replace("320", "999"), encoding="utf-8")
    rows = tmp_path / "rows.jsonl"
    rows.write_text("\n" + json.dumps({"id": "r", "text": TEXT}, ensure_ascii=False) + "\n")
    sources = SourceTexts([tmp_path])  # relative sources are found beside the results
    assert sources.text(result("d1")) == TEXT
    assert sources.text(result("d2")) is None  # edited since the run: no text, not wrong text
    row = result("r").model_copy(update={"source": f"{rows}:2"})
    assert sources.text(row) == TEXT
    assert sources.missing == 1


@pytest.mark.parametrize("to", ["csv", "parquet", "duckdb"])
def test_a_lone_surrogate_is_escaped_not_fatal(tmp_path: Path, to: str) -> None:
    """A JSONL input may carry ``\\ud800`` into a text the API extracts from; UTF-8 writers
    refuse it, so its bytes are written as ``\\xNN`` escapes, as llmx's JSONL output does."""
    r = result("d1", metrics=[metric(None, subject="坏\ud800字")], fields={"note": "x\udc80"})
    out = tmp_path / ("t.duckdb" if to == "duckdb" else "t")
    write(build_tables([r]), out, to)
    if to == "csv":
        text = (out / "metrics.csv").read_text(encoding="utf-8")
        assert "坏\\xed\\xa0\\x80字" in text
    elif to == "parquet":
        assert pq.read_table(out / "documents.parquet").column("note").to_pylist() == ["x\\x80"]
    else:
        import duckdb

        con = duckdb.connect(str(out), read_only=True)
        assert con.execute("select subject from metrics").fetchall() == [("坏\\xed\\xa0\\x80字",)]
        con.close()
