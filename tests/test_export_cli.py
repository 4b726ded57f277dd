"""``llmx export`` through the real CLI: tables read back with csv / pyarrow / duckdb and checked
against the JSONL itself, and the ways an export can be pointed at the wrong thing."""

from __future__ import annotations

import asyncio
import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest
from _cli import cli_env, run_llmx
from _scripted import run_scripted

from llmx.output import write_results
from llmx.testing import Reply, ScriptedServer
from llmx.testing.server import request_text

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
TEXT = "2024年，广州市高层次人才赴黔南州开展智力帮扶活动，通过讲座等培训320余人次。"
GOOD = {
    "programmes": [
        {
            "id": "P1",
            "kind": "initiative",
            "name": "智力帮扶活动",
            "donors": ["广州市"],
            "recipients": ["黔南州"],
            "evidence": "广州市高层次人才赴黔南州开展智力帮扶活动",
        }
    ],
    "metrics": [
        {
            "subject": "培训",
            "value": 320,
            "unit": "人次",
            "qualifier": "more_than",
            "value_text": "320余人次",
            "evidence": "通过讲座等培训320余人次",
            "programme": "P1",
        }
    ],
}  # scripted test-server replies, not model output
PROGRAMME_FIELDS = ("kind", "name", "donors", "recipients", "parent", "domains", "start_date")


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One rules run of the seeds per module (the documents' sources are relative paths)."""
    root = tmp_path_factory.mktemp("run")
    shutil.copytree(SEEDS, root / "seeds")
    proc = run_llmx("extract", "seeds/", "--backend", "rules", "-q", "-o", "run.jsonl", cwd=root)
    assert proc.returncode == 0, proc.stderr
    return root / "run.jsonl"


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def expected_metrics(path: Path) -> list[dict[str, Any]]:
    """Each metric of the JSONL with its programme looked up by hand, in file order."""
    out = []
    for doc in lines(path):
        by_id = {p["id"]: p for p in doc["programmes"]}
        for m in doc["metrics"]:
            out.append({"doc_id": doc["doc_id"], **m, "linked": by_id.get(m["programme"])})
    return out


def test_csv_tables_hold_every_record_with_its_programme(run: Path, tmp_path: Path) -> None:
    proc = run_llmx("export", str(run), "--to", "csv", "-o", "tables", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in (tmp_path / "tables").iterdir()) == [
        "documents.csv", "metrics.csv", "programmes.csv",
    ]  # fmt: skip
    with (tmp_path / "tables" / "metrics.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    want = expected_metrics(run)
    assert len(rows) == len(want) > 40
    linked = 0
    for row, m in zip(rows, want, strict=True):
        assert row["doc_id"] == m["doc_id"] and row["subject"] == m["subject"]
        assert float(row["value"]) == m["value"]
        assert (int(row["span_start"]), int(row["span_end"])) == tuple(m["span"])
        # the span's text comes from the source file, found beside the run, not from cwd
        assert row["span_text"] == m["value_text"]
        if m["linked"] is not None:
            linked += 1
            assert row["programme_name"] == m["linked"]["name"]
            assert row["programme_kind"] == m["linked"]["kind"]
            assert json.loads(row["programme_donors"]) == m["linked"]["donors"]
    assert linked > 40
    with (tmp_path / "tables" / "documents.csv").open(encoding="utf-8", newline="") as fh:
        docs = list(csv.DictReader(fh))
    assert [d["doc_id"] for d in docs] == [d["doc_id"] for d in lines(run)]  # input order
    assert [int(d["n_metrics"]) for d in docs] == [len(d["metrics"]) for d in lines(run)]
    assert {d["backend"] for d in docs} == {"rules"} and {d["status"] for d in docs} == {"ok"}


def test_parquet_types_and_joined_columns(run: Path, tmp_path: Path) -> None:
    proc = run_llmx(
        "export", str(run), "--to", "parquet", "-o", str(tmp_path / "pq"), cwd=run.parent
    )
    assert proc.returncode == 0, proc.stderr
    metrics = pq.read_table(tmp_path / "pq" / "metrics.parquet")
    programmes = pq.read_table(tmp_path / "pq" / "programmes.parquet")
    assert str(metrics.schema.field("value").type) == "double"
    assert str(metrics.schema.field("span_start").type) == "int64"
    assert str(metrics.schema.field("programme_donors").type) == "list<element: string>"
    assert str(programmes.schema.field("donors").type) == "list<element: string>"
    assert str(programmes.schema.field("donor_places").type) == "string"  # nested: JSON text
    got = metrics.to_pylist()
    for row, m in zip(got, expected_metrics(run), strict=True):
        linked = m["linked"] or {}
        for field in PROGRAMME_FIELDS:
            assert row[f"programme_{field}"] == linked.get(field), (m["doc_id"], field)
    assert "programme_id" not in metrics.column_names  # the link itself is `programme`
    parents = [r for r in programmes.to_pylist() if r["parent"] is not None]
    assert parents and all(r["parent_kind"] == "partnership" for r in parents)


def test_duckdb_tables_join_back_to_the_linked_records(run: Path, tmp_path: Path) -> None:
    db = tmp_path / "run.duckdb"
    proc = run_llmx("export", str(run), "-o", str(db), cwd=tmp_path)  # --to from the suffix
    assert proc.returncode == 0, proc.stderr
    con = duckdb.connect(str(db), read_only=True)
    mismatched = con.execute(
        """select count(*) from metrics m join programmes p
           on m.doc_id = p.doc_id and m.programme = p.id
           where m.programme_name is distinct from p.name
              or m.programme_donors is distinct from p.donors
              or m.programme_kind is distinct from p.kind"""
    ).fetchone()
    joined = con.execute("select count(*) from metrics where programme_name is not null").fetchone()
    total = con.execute("select count(*) from metrics").fetchone()
    docs = con.execute("select sum(n_metrics), count(*) from documents").fetchone()
    con.close()
    assert mismatched == (0,)
    want = expected_metrics(run)
    assert joined == (sum(m["linked"] is not None for m in want),)
    assert total == (len(want),) and docs == (len(want), 5)


def test_existing_duckdb_file_keeps_other_tables(run: Path, tmp_path: Path) -> None:
    db = tmp_path / "mine.duckdb"
    con = duckdb.connect(str(db))
    con.execute("create table notes (x integer); insert into notes values (42)")
    con.execute("create table metrics (stale varchar)")  # an earlier export's table
    con.close()
    proc = run_llmx("export", str(run), "--to", "duckdb", "-o", str(db), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("select x from notes").fetchall() == [(42,)]
    assert "subject" in [c[0] for c in con.execute("describe metrics").fetchall()]
    con.close()


def test_failed_documents_are_rows_with_their_error(tmp_path: Path) -> None:
    """A run against a server that refuses one document: the failed document is a row of
    ``documents`` with its error and no records; the input rows' own fields are columns."""
    rows = tmp_path / "rows.jsonl"
    inputs = [
        {"id": "good", "text": TEXT, "url": "https://example.org/1", "source": "人民网"},
        {"id": "bad", "text": "惠阳区专家赴贞丰县开展帮扶。", "url": "https://example.org/2"},
    ]
    rows.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in inputs))

    def respond(request: dict[str, Any]) -> Reply:
        return Reply.error(400) if "惠阳区" in request_text(request) else Reply.data(GOOD)

    with ScriptedServer(responder=respond) as server:
        results = asyncio.run(run_scripted(server, [rows], mode="json_schema"))  # type: ignore[list-item]
    write_results(results, tmp_path / "run.jsonl")
    proc = run_llmx("export", "run.jsonl", "-o", "run.duckdb", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    con = duckdb.connect(str(tmp_path / "run.duckdb"), read_only=True)
    docs = con.execute(
        "select doc_id, status, error_type, n_metrics, n_programmes, url, input_source "
        "from documents"
    ).fetchall()
    metrics = con.execute(
        "select doc_id, subject, value, span_text, programme_name, programme_donors from metrics"
    ).fetchall()
    con.close()
    assert docs == [
        ("good", "ok", None, 1, 1, "https://example.org/1", "人民网"),
        ("bad", "error", "bad_request", 0, 0, "https://example.org/2", None),
    ]
    # the span's text is read back from the JSONL row the document came from
    assert metrics == [("good", "培训", 320.0, "320余人次", "智力帮扶活动", ["广州市"])]


@pytest.mark.slow  # a CLI run each: the default run keeps the main paths
def test_shards_in_a_folder_read_in_name_order(run: Path, tmp_path: Path) -> None:
    rows = run.read_text(encoding="utf-8").splitlines(keepends=True)
    shards = tmp_path / "shards"
    shards.mkdir()
    (shards / "b.jsonl").write_text("".join(rows[:2]), encoding="utf-8")
    (shards / "a.jsonl").write_text("".join(rows[2:]), encoding="utf-8")
    proc = run_llmx("export", str(shards), "-o", "out", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    with (tmp_path / "out" / "documents.csv").open(encoding="utf-8", newline="") as fh:
        ids = [d["doc_id"] for d in csv.DictReader(fh)]
    order = [json.loads(r)["doc_id"] for r in rows]
    assert ids == order[2:] + order[:2]


@pytest.mark.slow  # a CLI run each: the default run keeps the main paths
def test_a_document_in_two_files_is_refused(run: Path, tmp_path: Path) -> None:
    copy = tmp_path / "again.jsonl"
    shutil.copy(run, copy)
    proc = run_llmx("export", str(run), str(copy), "-o", "out", cwd=tmp_path)
    assert proc.returncode == 1
    assert "is in both" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_empty_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "empty.jsonl").write_text("", encoding="utf-8")
    proc = run_llmx("export", "empty.jsonl", "-o", "out", cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stderr.strip() == "llmx export: no results in empty.jsonl; nothing to export"
    assert not (tmp_path / "out").exists()


def test_input_jsonl_is_not_taken_for_results(tmp_path: Path) -> None:
    rows = tmp_path / "docs.jsonl"
    rows.write_text(json.dumps({"id": "a", "text": "广州市"}, ensure_ascii=False) + "\n")
    proc = run_llmx("export", str(rows), "-o", str(tmp_path / "x.duckdb"), cwd=tmp_path)
    assert proc.returncode == 1
    assert f"{rows}:1: not a DocResult line" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
    assert not (tmp_path / "x.duckdb").exists()


def test_output_folder_that_is_a_file(run: Path, tmp_path: Path) -> None:
    (tmp_path / "tables").write_text("mine", encoding="utf-8")
    proc = run_llmx("export", str(run), "--to", "parquet", "-o", "tables", cwd=tmp_path)
    assert proc.returncode == 6
    assert "-o tables is a file" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert (tmp_path / "tables").read_text(encoding="utf-8") == "mine"


@pytest.mark.slow  # a CLI run each: the default run keeps the main paths
def test_duckdb_output_that_is_a_folder(run: Path, tmp_path: Path) -> None:
    (tmp_path / "db.duckdb").mkdir()
    proc = run_llmx("export", str(run), "-o", "db.duckdb", cwd=tmp_path)
    assert proc.returncode == 6
    assert proc.stderr.strip() == (
        "llmx export: -o db.duckdb is a folder; --to duckdb writes one database file "
        "(e.g. run.duckdb)"
    )


def test_duckdb_output_that_is_not_a_database_is_left_alone(run: Path, tmp_path: Path) -> None:
    (tmp_path / "notes.duckdb").write_text("not a database\n" * 100, encoding="utf-8")
    proc = run_llmx("export", str(run), "-o", "notes.duckdb", cwd=tmp_path)
    assert proc.returncode == 6, proc.stderr
    assert "cannot open notes.duckdb with DuckDB" in proc.stderr
    assert "not a valid DuckDB database" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
    assert (tmp_path / "notes.duckdb").read_text(encoding="utf-8").startswith("not a database")


def test_a_database_another_process_holds_is_left_alone(run: Path, tmp_path: Path) -> None:
    db = tmp_path / "busy.duckdb"
    holder = duckdb.connect(str(db))  # another process's connection holds DuckDB's file lock
    holder.execute("create table notes as select 42 as x")
    holder.commit()
    try:
        proc = run_llmx("export", str(run), "-o", str(db), cwd=tmp_path)
        assert proc.returncode == 6
        assert "Could not set lock" in proc.stderr and len(proc.stderr.splitlines()) == 1
        assert holder.execute("select x from notes").fetchall() == [(42,)]
    finally:
        holder.close()
    con = duckdb.connect(str(db), read_only=True)
    assert [t for (t,) in con.execute("show tables").fetchall()] == ["notes"]
    con.close()


@pytest.mark.slow  # a CLI run each: the default run keeps the main paths
def test_table_suffix_for_a_folder_format_is_refused(run: Path, tmp_path: Path) -> None:
    proc = run_llmx("export", str(run), "--to", "csv", "-o", "x.csv", cwd=tmp_path)
    assert proc.returncode == 1 and "give -o a folder (e.g. x)" in proc.stderr
    assert not (tmp_path / "x.csv").exists()


@pytest.mark.slow  # a CLI run each: the default run keeps the main paths
def test_unknown_format_is_refused(run: Path, tmp_path: Path) -> None:
    proc = run_llmx("export", str(run), "--to", "xlsx", "-o", "x", cwd=tmp_path)
    assert proc.returncode == 1 and "use one of csv, parquet, duckdb" in proc.stderr


@pytest.mark.slow  # three CLI runs
def test_missing_extra_is_one_line_and_csv_still_works(run: Path, tmp_path: Path) -> None:
    blocked = tmp_path / "blocked"
    for name in ("pyarrow", "duckdb", "pandas"):
        (blocked / name).mkdir(parents=True)
        (blocked / name / "__init__.py").write_text(f"raise ImportError('no {name} here')\n")
    env = {**cli_env(), "PYTHONPATH": str(blocked)}  # these imports now fail

    def export(*args: str) -> subprocess.CompletedProcess[str]:
        cmd = [sys.executable, "-m", "llmx.cli", "export", str(run), *args]
        return subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True)

    proc = export("--to", "parquet", "-o", "pq")
    assert proc.returncode == 1
    needs = "llmx export: --to parquet needs pyarrow: pip install 'llmx[tables]'"
    assert proc.stderr.strip() == needs
    proc = export("-o", "db.duckdb")
    assert proc.returncode == 1 and "pip install 'llmx[tables]'" in proc.stderr
    proc = export("--to", "csv", "-o", "csv")
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "csv" / "metrics.csv").exists()


@pytest.mark.parametrize(
    "name",
    ["x.csv", *(pytest.param(n, marks=pytest.mark.slow) for n in ("x.parquet", "x.duckdb"))],
)
def test_extract_refuses_a_table_output(tmp_path: Path, name: str) -> None:
    (tmp_path / "a.txt").write_text("广州市专家赴黔南州开展帮扶，培训320余人次。", encoding="utf-8")
    proc = run_llmx("extract", "a.txt", "--backend", "rules", "-q", "-o", name, cwd=tmp_path)
    assert proc.returncode == 1
    fmt = name.split(".")[1]
    assert proc.stderr.strip() == (
        f"llmx: extract writes JSONL; use -o x.jsonl, then llmx export x.jsonl --to {fmt} -o OUT"
    )
    assert not (tmp_path / name).exists()


@pytest.mark.slow
def test_a_full_disk_leaves_no_table_of_the_failed_export(run: Path, tmp_path: Path) -> None:
    from test_storage_faults import tmpfs

    with tmpfs(tmp_path / "small", "size=20k") as small:
        out = small / "tables"
        done = run_llmx("export", str(run), "--to", "csv", "-o", str(out), cwd=tmp_path)
        assert done.returncode == 6, done.stderr
        assert "No space left" in done.stderr and len(done.stderr.strip().splitlines()) == 1
        assert sorted(p.name for p in out.iterdir()) == []  # not documents.csv alone
