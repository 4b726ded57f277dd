"""A mistake in llmx.toml or ``[tool.llmx]`` is one stderr line that names the file."""

from __future__ import annotations

from pathlib import Path

from _cli import run_llmx


def test_unknown_key_in_llmx_toml_is_named_with_its_file(tmp_path: Path) -> None:
    toml = tmp_path / "llmx.toml"
    toml.write_text("chunk_size = 900\n", encoding="utf-8")
    (tmp_path / "doc.txt").write_text("广州市对口帮扶黔南州。", encoding="utf-8")
    proc = run_llmx("extract", "doc.txt", "-o", "out.jsonl", "-q", cwd=tmp_path)
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert str(toml) in lines[0] and "'chunk_size'" in lines[0]
    assert "did you mean 'chunk_chars'" in lines[0]
    assert not (tmp_path / "out.jsonl").exists()
