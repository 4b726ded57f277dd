"""Sharded output (--engine ray) without Ray: the commit protocol, resume, readers, the plan."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from llmx.core.documents import Document, LoadProblem
from llmx.core.results import DocMeta, DocResult
from llmx.engines.block_input import block_documents
from llmx.engines.plan import PlanMismatch, build_plan, load_or_build_plan
from llmx.engines.shards import Manifest, read_sharded, write_shard
from llmx.output import read_results, result_line
from llmx.text.loading import load_documents


def _line(doc_id: str) -> bytes:
    result = DocResult(
        doc_id=doc_id,
        source="s",
        task="cooperation",
        meta=DocMeta(backend="rules", task="cooperation"),
    )
    return result_line(result)


def _commit(out: Path, block: str, ids: list[str]) -> None:
    Manifest(out).append(write_shard(out, block, [_line(i) for i in ids]))


def test_readers_take_only_the_shards_the_manifest_names(tmp_path: Path) -> None:
    _commit(tmp_path, "b000000", ["a", "b"])
    _commit(tmp_path, "b000001", ["c"])
    # a worker killed after its rename, before the driver's manifest line: an orphan shard
    write_shard(tmp_path, "b000002", [_line("c"), _line("d")])
    (tmp_path / "shards" / "b000003.jsonl.x.tmp").write_bytes(_line("e")[:10])  # killed mid-write
    assert [r.doc_id for r in read_results(tmp_path)] == ["a", "b", "c"]  # eval/review's reader
    manifest = Manifest(tmp_path)
    assert manifest.done("b000000") and manifest.done("b000001")
    assert manifest.done("b000002") is None  # redone on resume, its shard replaced
    assert manifest.sweep_temporaries() == 1


def test_a_redone_block_replaces_its_shard_and_is_read_once(tmp_path: Path) -> None:
    _commit(tmp_path, "b000000", ["a", "b"])
    _commit(tmp_path, "b000000", ["a", "b"])  # --retry-failed redid it: the last line counts
    assert [r.doc_id for r in read_sharded(tmp_path)] == ["a", "b"]


def test_a_torn_manifest_line_is_cut_and_that_block_redone(tmp_path: Path) -> None:
    _commit(tmp_path, "b000000", ["a"])
    entry = write_shard(tmp_path, "b000001", [_line("b")])
    with (tmp_path / "manifest.jsonl").open("ab") as fh:
        fh.write(json.dumps(entry).encode()[:20])  # the driver killed mid-write
    assert [r.doc_id for r in read_sharded(tmp_path)] == ["a"]  # readers skip it, read-only
    manifest = Manifest(tmp_path)
    assert manifest.done("b000001") is None
    assert (tmp_path / "manifest.jsonl").read_bytes().endswith(b"\n")


def test_a_shard_cut_short_is_not_done(tmp_path: Path) -> None:
    _commit(tmp_path, "b000000", ["a", "b"])
    shard = tmp_path / "shards" / "b000000.jsonl"
    shard.write_bytes(shard.read_bytes()[:-5])
    assert Manifest(tmp_path).done("b000000") is None


def test_a_doc_id_in_two_shards_is_an_error_naming_both(tmp_path: Path) -> None:
    _commit(tmp_path, "b000000", ["a"])
    _commit(tmp_path, "b000001", ["a"])
    with pytest.raises(ValueError, match="appears more than once"):
        list(read_results(tmp_path))


def _items(items: object) -> list[object]:
    out: list[object] = []
    for item in items:  # type: ignore[attr-defined]
        if isinstance(item, Document):
            out.append((item.id, item.text, item.source, dict(item.fields), item.warnings))
        else:
            assert isinstance(item, LoadProblem)
            out.append((item.source, item.message))
    return out


def test_jsonl_blocks_read_the_documents_the_local_loader_reads(tmp_path: Path) -> None:
    rows = [json.dumps({"id": f"d{i}", "text": f"文本{i}", "url": f"u{i}"}, ensure_ascii=False)
            for i in range(7)]  # fmt: skip
    rows[2] = '{"id": "bad", "text": '  # a broken row
    rows[4] = json.dumps({"text": "没有编号"}, ensure_ascii=False)  # no id: stem:line
    rows.insert(5, "")  # a blank line
    src = tmp_path / "in.jsonl"
    src.write_text("\ufeff" + "\n".join(rows) + "\n", encoding="utf-8")
    plan, problems = build_plan([str(src)], per_block=3)
    assert not problems and len(plan["blocks"]) == 3
    ours = [x for b in plan["blocks"] for x in _items(block_documents(b, 10**6))]
    assert ours == _items(load_documents([src]))


def test_text_files_are_grouped_and_loaded_by_the_local_loader(tmp_path: Path) -> None:
    for i in range(5):
        (tmp_path / f"{i}.txt").write_text(f"第{i}篇", encoding="utf-8")
    (tmp_path / "empty.txt").write_text("", encoding="utf-8")
    plan, _ = build_plan([str(tmp_path)], per_block=2)
    assert [len(b["paths"]) for b in plan["blocks"]] == [2, 2, 2]
    ours = [x for b in plan["blocks"] for x in _items(block_documents(b, 10**6))]
    assert [x[0] for x in ours] == [x[0] for x in _items(load_documents([tmp_path]))]


def test_parquet_row_groups_are_blocks(tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    import pyarrow as pa

    table = pa.table({"id": [f"p{i}" for i in range(5)], "text": ["文"] * 5, "n": list(range(5))})
    pq.write_table(table, tmp_path / "in.parquet", row_group_size=2)
    plan, _ = build_plan([str(tmp_path / "in.parquet")], per_block=100)
    assert [b["row_group"] for b in plan["blocks"]] == [0, 1, 2]
    docs = [d for b in plan["blocks"] for d in block_documents(b, 10**6)]
    assert [(d.id, d.fields["n"]) for d in docs if isinstance(d, Document)] == [
        (f"p{i}", i) for i in range(5)
    ]
    assert _items(docs) == _items(load_documents([tmp_path / "in.parquet"]))  # as locally


def test_the_plan_is_kept_and_changed_inputs_are_refused(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.txt").write_text("甲", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    first, _ = load_or_build_plan(out, [str(src)], 10)
    again, _ = load_or_build_plan(out, [str(src)], 999)  # re-run: the saved plan, not a new one
    assert again == first
    (src / "b.txt").write_text("乙", encoding="utf-8")
    with pytest.raises(PlanMismatch, match="inputs changed"):
        load_or_build_plan(out, [str(src)], 10)


def test_llmx_eval_scores_a_sharded_output(tmp_path: Path) -> None:
    from test_eval_command import GOLD_A, GOLD_B, invoke, result
    from test_eval_command import dataset as make_dataset

    data = make_dataset.__wrapped__(tmp_path)  # type: ignore[attr-defined]
    out = tmp_path / "sharded"
    Manifest(out).append(write_shard(out, "b000000", [result_line(result("a", GOLD_A))]))
    Manifest(out).append(write_shard(out, "b000001", [result_line(result("b", GOLD_B))]))
    res = invoke("--dataset", data, "--predictions", out, "--min-f1", "metrics=0.99")
    assert res.exit_code == 0, res.output
    assert "quality gates passed" in res.stdout


def test_llmx_export_reads_a_sharded_output_as_one_run(tmp_path: Path) -> None:
    from llmx.tables.inputs import read_runs, result_files

    out = tmp_path / "run"
    _commit(out, "b000000", ["a", "b"])
    _commit(out, "b000001", ["c"])
    write_shard(out, "b000002", [_line("c")])  # an orphan shard: not in the manifest
    files = result_files([out])
    assert files == [out]
    assert [r.doc_id for r in read_runs(files)] == ["a", "b", "c"]
