"""``llmx clean --show`` in a pipe: removals are marked in the text, not by colour alone."""

from __future__ import annotations

from pathlib import Path

from _cli import run_llmx

from llmx.commands.clean import mark_removals
from llmx.core.documents import Removal

TEXT = "广州市对口帮扶黔南州，培训320余人次。\n责任编辑：王(wáng)明\n"


def test_piped_show_marks_each_removal_with_its_reason(tmp_path: Path) -> None:
    (tmp_path / "doc.txt").write_text(TEXT, encoding="utf-8")
    proc = run_llmx("clean", "doc.txt", "--show", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "\x1b" not in proc.stdout
    assert (
        "广州市对口帮扶黔南州，培训320余人次。⟦whitespace: \n⟧⟦boilerplate: 责任编辑：王⟧"
        "⟦pinyin: (wáng)⟧⟦boilerplate: 明\n⟧\n"
    ) in proc.stdout
    assert "doc: 35 -> 20 chars; removed boilerplate 8, pinyin 6, whitespace 1" in proc.stdout


def test_marks_leave_the_rest_of_the_text_alone() -> None:
    removed = [Removal(4, 6, "pinyin"), Removal(0, 1, "boilerplate"), Removal(5, 8, "x")]
    assert mark_removals("abcdefghij", removed) == "⟦boilerplate: a⟧bcd⟦pinyin: ef⟧⟦x: gh⟧ij"
    assert mark_removals("abc", []) == "abc"
