"""``llmx extract --engine ray``: what is refused before any Ray work, one line each."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from llmx.cli import app
from llmx.locking import OutputLock


def _extract(tmp_path: Path, *args: str) -> tuple[int, str]:
    src = tmp_path / "a.txt"
    src.write_text("广州市帮扶黔南州。", encoding="utf-8")
    res = CliRunner().invoke(app, ["extract", str(src), "--backend", "rules", *args])
    return res.exit_code, res.output


def test_stdout_is_refused(tmp_path: Path) -> None:
    code, out = _extract(tmp_path, "--engine", "ray")
    assert code == 1 and "give -o FOLDER" in out


def test_an_output_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "out.jsonl").write_text("", encoding="utf-8")
    code, out = _extract(tmp_path, "--engine", "ray", "-o", str(tmp_path / "out.jsonl"))
    assert code == 1 and "writes a folder" in out


def test_an_unknown_engine_is_refused(tmp_path: Path) -> None:
    code, out = _extract(tmp_path, "--engine", "spark", "-o", str(tmp_path / "o.jsonl"))
    assert code == 1 and "use local or ray" in out
    assert not (tmp_path / "o.jsonl").exists()


def test_a_second_run_on_the_same_folder_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    with OutputLock(out / "run"):  # another run holds it
        code, text = _extract(tmp_path, "--engine", "ray", "-o", str(out))
    assert code == 5 and "in use by another llmx run" in text
    assert not (out / "plan.json").exists()
