"""Issue 12 #5-#7: resume keyed on doc id + text hash; non-UTF-8 file names; corrupt lines.

Offline (rules backend) runs of the real CLI in subprocesses."""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import pytest
from _cli import run_llmx

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"


def offline(
    *inputs: Path | str, out: Path, cwd: Path, extra: tuple[str, ...] = ()
) -> tuple[int, str]:
    p = run_llmx("extract", *map(str, inputs), "-o", str(out), "--backend", "rules", "-q",
                 *extra, cwd=cwd)  # fmt: skip
    return p.returncode, p.stderr


def lines_of(out: Path) -> list[dict]:
    return [json.loads(line) for line in out.read_bytes().decode("utf-8").splitlines()]


def test_same_named_files_are_each_extracted_after_one_was_added(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    (corpus / "a").mkdir(parents=True)
    (corpus / "b").mkdir()
    (corpus / "b" / "x.txt").write_text("黔南州培训320人次。", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert offline(corpus, out=out, cwd=tmp_path)[0] == 0
    # Now a/x.txt appears: it takes id "x" (sorted first) and b/x.txt becomes "b/x".
    (corpus / "a" / "x.txt").write_text("广州市选派15名专家。", encoding="utf-8")
    code, err = offline(corpus, out=out, cwd=tmp_path)
    assert code == 0, err
    assert "text changed" in err
    lines = lines_of(out)
    by_source = {Path(r["source"]).relative_to(corpus).as_posix(): r for r in lines}
    assert set(by_source) == {"a/x.txt", "b/x.txt"}, [r["source"] for r in lines]
    assert Counter(r["doc_id"] for r in lines).most_common(1)[0][1] == 1
    assert by_source["a/x.txt"]["metrics"][0]["value"] == 15
    # The result of the text that no longer has id "x" is set aside, not silently kept.
    assert (tmp_path / "out.jsonl.rejected").exists()


def test_jsonl_ids_reused_with_other_text_are_redone_not_skipped(tmp_path: Path) -> None:
    first = tmp_path / "first.jsonl"
    second = tmp_path / "second.jsonl"
    first.write_text(
        "".join(
            json.dumps({"id": str(i), "text": f"培训{100 + i}人次。"}) + "\n" for i in range(3)
        ),
        encoding="utf-8",
    )
    second.write_text(
        "".join(
            json.dumps({"id": str(i), "text": f"选派{10 + i}名专家。"}) + "\n" for i in range(3)
        ),
        encoding="utf-8",
    )
    out = tmp_path / "out.jsonl"
    assert offline(first, out=out, cwd=tmp_path)[0] == 0
    code, err = offline(second, out=out, cwd=tmp_path)
    assert code == 0, err
    assert "text changed" in err and "already done" not in err.replace("0 already done", "")
    lines = lines_of(out)
    assert sorted(r["doc_id"] for r in lines) == ["0", "1", "2"]
    assert all(r["source"].startswith(str(second)) for r in lines)
    # Unchanged text is still skipped.
    code, err = offline(second, out=out, cwd=tmp_path)
    assert code == 0 and "3 already done" in err, err


def test_file_name_with_invalid_utf8_bytes_does_not_crash_and_resumes(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    try:
        with open(os.path.join(os.fsencode(corpus), b"caf\xe9-\xff.txt"), "wb") as fh:
            fh.write("培训320人次。".encode())
    except OSError:
        pytest.skip("this file system refuses names that are not UTF-8")
    (corpus / "ok.txt").write_text("选派15名专家。", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    code, err = offline(corpus, out=out, cwd=tmp_path)
    assert code == 0, err
    assert "Traceback" not in err
    lines = lines_of(out)
    assert len(lines) == 2
    odd = next(r for r in lines if r["doc_id"] != "ok")
    assert odd["metrics"][0]["value"] == 320
    code, err = offline(corpus, out=out, cwd=tmp_path)
    assert code == 0 and "2 already done" in err, err
    assert len(lines_of(out)) == 2


def _half(line: bytes) -> bytes:
    return line[: len(line) // 2]


def _mid_character(line: bytes) -> bytes:  # cut inside a 3-byte UTF-8 character
    lead = next(i for i in range(len(line) // 2, len(line)) if line[i] >= 0xE0)
    return line[: lead + 1]


@pytest.mark.parametrize("cut", [_half, _mid_character])
@pytest.mark.slow
def test_corrupt_middle_line_is_set_aside_and_redone_then_eval_reads_the_file(
    tmp_path: Path, cut
) -> None:
    out = tmp_path / "out.jsonl"
    assert offline(SEEDS, out=out, cwd=tmp_path)[0] == 0
    raw = out.read_bytes().splitlines(keepends=True)
    assert len(raw) == 5
    victim = json.loads(raw[2])["doc_id"]
    raw[2] = cut(raw[2]) + b"\n"  # a line cut short, in the middle of the file
    out.write_bytes(b"".join(raw))
    code, err = offline(SEEDS, out=out, cwd=tmp_path)
    assert code == 0, err
    notes = [line for line in err.splitlines() if ".rejected" in line]
    assert len(notes) == 1, err
    ids = Counter(r["doc_id"] for r in lines_of(out))
    assert len(ids) == 5 and max(ids.values()) == 1 and victim in ids
    assert (tmp_path / "out.jsonl.rejected").read_bytes() == raw[2]
    p = run_llmx("eval", "--predictions", str(out), cwd=REPO)
    assert p.returncode in (0, 2), p.stderr + p.stdout
