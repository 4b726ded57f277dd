"""``llmx review`` through Textual's pilot at 80x24: navigation, filters, keys, gold proposals."""

from __future__ import annotations

import json
from pathlib import Path

from _review_data import TEXT2, write_case
from rich.cells import cell_len
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Static

from llmx.review.app import ConfirmScreen, HelpScreen, ReviewApp
from llmx.review.sources import load_review

SIZE = (80, 24)


def screen_text(app: ReviewApp) -> list[str]:
    """The screen as plain text lines (what a terminal shows, colours dropped)."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


def _app(
    tmp_path: Path, *, b: bool = True, gold: bool = True, text2: str = TEXT2
) -> tuple[ReviewApp, dict]:
    paths = write_case(tmp_path, text2)
    review = load_review(paths["a"], paths["b"] if b else None, paths["gold"] if gold else None)
    return ReviewApp(review), paths


def _record_rows(app: ReviewApp) -> list[str]:
    table = app.query_one("#records", DataTable)
    return [" | ".join(str(c) for c in table.get_row_at(i)) for i in range(table.row_count)]


async def test_first_screen_lists_documents_and_aligned_records(tmp_path: Path) -> None:
    app, _ = _app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        lines = screen_text(app)
        assert len(lines) == 24
        # wide characters are laid out by cells: every line is exactly 80 cells
        assert all(cell_len(line) == 80 for line in lines)
        assert lines[0].startswith("2/2 docs · sort id · A a.jsonl · B b.jsonl · gold ")
        assert "tp/fp/fn" in lines[1] and "gold" in lines[1]
        assert "d1" in lines[2] and "0.67" in lines[2] and "-0.08" in lines[2]
        assert "3/2/1" in lines[2]  # B on d1: 3 matches; FP: the partial + spurious; FN: partial
        # at 80 columns the record cells are cut to fit, with an ellipsis
        assert _record_rows(app)[1] == "M▼ | └ 培训 >3… | = └ 培训 … | ~ └ 培训 …"
        await pilot.press("z")  # hide the document list: the cells get room
        await pilot.pause()
        assert (
            _record_rows(app)[1] == "M▼ | └ 培训 >320人次 | = └ 培训 >320人次 | ~ └ 培训 >300人次"
        )
        assert "两地共投入资金1.2亿元" in "".join(lines)  # the source text below


async def test_navigation_and_record_selection_scrolls_to_evidence(tmp_path: Path) -> None:
    app, _ = _app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("down")
        await pilot.pause()
        assert app.doc is not None and app.doc.doc_id == "d2"
        assert _record_rows(app) == ["M  | 教师 12人 | = 教师 12… | = 教师 12…"]
        await pilot.press("up", "enter", "down")
        await pilot.pause()
        assert isinstance(app.focused, DataTable) and app.focused.id == "records"
        assert app.row_index == 1
        detail = str(app.query_one("#detail", Static).content)
        assert detail == "metric 2/5 · A match | B partial · value: 320 ≠ 300"


async def test_selecting_a_record_scrolls_the_text_to_its_evidence(tmp_path: Path) -> None:
    app, _ = _app(tmp_path, text2="无关的段落，不含数字。\n" * 40 + TEXT2)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        scroll = app.query_one("#text-scroll", VerticalScroll)
        assert scroll.scroll_y == 0
        await pilot.press("down")  # d2: its only record sits below 40 filler lines
        await pilot.pause()
        assert scroll.scroll_y > 20  # scrolled down (as far as the text goes)
        assert any("选派教师12名" in line for line in screen_text(app))


async def test_filters_and_sort(tmp_path: Path) -> None:
    app, _ = _app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("c")
        await pilot.pause()
        assert [d.doc_id for d in app.shown] == ["d1"]
        assert "only changed" in screen_text(app)[0] and "1/2 docs" in screen_text(app)[0]
        await pilot.press("c", "r")
        await pilot.pause()
        assert [d.doc_id for d in app.shown] == ["d1"]
        await pilot.press("r", "s")
        await pilot.pause()
        assert app.sort == "f1" and [d.doc_id for d in app.shown] == ["d1", "d2"]


async def test_next_and_previous_regression(tmp_path: Path) -> None:
    app, _ = _app(tmp_path, b=False)  # one run: every error is a stop for n/p
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        stops = []
        for _ in range(3):
            await pilot.press("n")
            await pilot.pause()
            stops.append((app.doc.doc_id if app.doc else None, app.row_index))
        assert stops == [("d1", 3), ("d1", 4), ("d1", 3)]  # missed, spurious, then wraps
        await pilot.press("p")
        await pilot.pause()
        assert app.row_index == 4
        assert app.query_one("#records", DataTable).cursor_row == 4


async def test_accept_writes_a_confirmed_proposal(tmp_path: Path) -> None:
    app, paths = _app(tmp_path)
    proposal = paths["gold"] / "proposed" / "d1.json"
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("enter", "down", "a")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert '+      "value": 300.0,' in app.screen.diff
        await pilot.press("n")  # cancel: nothing written
        await pilot.pause()
        assert not proposal.exists()
        await pilot.press("a")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert proposal.exists() and proposal.with_suffix(".diff").exists()
        assert '"value": 300.0' in proposal.read_text(encoding="utf-8")
        # the gold file itself is unchanged, and the review now scores against the proposal
        assert '"value": 320.0' in (paths["gold"] / "d1.json").read_text(encoding="utf-8")
        assert app.doc is not None and app.doc.edited and app.doc.rows[1].label_b == "match"
        assert app.written and app.written[-1][0] == proposal


async def test_mark_gold_wrong_proposes_removal(tmp_path: Path) -> None:
    app, paths = _app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("enter", "down", "down", "down", "x")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert "Remove gold metric «资金 120000000元»" in app.screen.question
        await pilot.press("y")
        await pilot.pause()
    text = (paths["gold"] / "proposed" / "d1.json").read_text(encoding="utf-8")
    assert "两地共投入资金" not in text.split('"notes"')[0]
    assert "review: removed metric 资金 120000000元" in text


async def test_edits_need_gold(tmp_path: Path) -> None:
    app, paths = _app(tmp_path, gold=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("a", "x")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmScreen)
        assert "gold" not in screen_text(app)[1]  # columns A | B only
    assert not (paths["gold"] / "proposed").exists()


async def test_help_and_quit(tmp_path: Path) -> None:
    app, _ = _app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        assert any("next / previous regression" in line for line in screen_text(app))
        await pilot.press("space")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


LONG = "2026-11-30_guangzhou-qiannan_east-west-cooperation_report_"


def _long_ids(paths: dict) -> None:
    """Give both documents ids that share a long prefix, in the gold and in both runs."""
    for gold in paths["gold"].glob("*.json"):
        data = json.loads(gold.read_text(encoding="utf-8"))
        data["doc_id"] = LONG + data["doc_id"]
        gold.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    for run in ("a", "b"):
        rows = [json.loads(line) for line in paths[run].read_text(encoding="utf-8").splitlines()]
        for row in rows:
            row["doc_id"] = LONG + row["doc_id"]
        paths[run].write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


async def test_doc_ids_sharing_a_long_prefix_stay_apart(tmp_path: Path) -> None:
    paths = write_case(tmp_path)
    _long_ids(paths)
    review = load_review(paths["a"], paths["b"], paths["gold"])
    for size, shown in [(SIZE, 16), ((160, 30), 32)]:  # a fifth of the screen
        app = ReviewApp(review)
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            table = app.query_one("#docs", DataTable)
            names = [str(table.get_row_at(i)[0]) for i in range(table.row_count)]
            assert len(set(names)) == 2, names
            assert names[0].endswith("report_d1") and names[1].endswith("report_d2")
            assert all(cell_len(n) == shown - 1 and n.startswith("…") for n in names)
            lines = screen_text(app)
            assert any(names[0] in line for line in lines)  # drawn whole, not cut again
            assert all(cell_len(line) == size[0] for line in lines)
            # above the text: the whole id where it fits, else the part that differs
            title = f"{LONG}d1" if size[0] >= 120 else "_report_d1─"
            assert any(title in line for line in lines), lines


async def test_short_ids_keep_the_narrow_list(tmp_path: Path) -> None:
    app, _ = _app(tmp_path)  # ids d1, d2: the list keeps its ten-cell id column
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.query_one("#docs", DataTable).styles.width.value == 10 + 4 + 7 + 8 + 6 + 2


def test_short_ids_keep_what_differs() -> None:
    from llmx.review.ids import short_ids

    tails = short_ids([LONG + "d1", LONG + "d10"], 12)
    assert tails == {LONG + "d1": "…n_report_d1", LONG + "d10": "…_report_d10"}
    heads = short_ids(["a1_" + "x" * 30, "a2_" + "x" * 30], 8)
    assert heads == {"a1_" + "x" * 30: "a1_xxxx…", "a2_" + "x" * 30: "a2_xxxx…"}
    middle = short_ids(["feed/" * 4 + k + "/2026-11-30.html" for k in ("alpha", "beta")], 14)
    assert list(middle.values()) == ["…eed/alpha/20…", "…eed/beta/202…"]
    wide = short_ids(["广州市对口帮扶黔南州报道一", "广州市对口帮扶黔南州报道二"], 12)
    assert list(wide.values()) == ["…南州报道一", "…南州报道二"]  # cells, not characters
    assert short_ids(["d1", "d2"], 10) == {"d1": "d1", "d2": "d2"}
