"""``llmx review``: a Textual app to walk through a run's verdicts, document by document.

Left: the documents with F1 and TP/FP/FN. Right: the records aligned as gold | A | B with the
scorer's labels, one line explaining the selected row, and the source text with every record's
span in its label's colour (the selected record's evidence underlined and scrolled to).
All computing lives in :mod:`llmx.review.model`; this module only draws and dispatches keys.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.cells import cell_len
from rich.syntax import Syntax
from rich.text import Text
from textual import events
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Static

from llmx.evaluation.gold import GoldDoc
from llmx.review import gold_edit
from llmx.review.ids import column_width, short_ids
from llmx.review.model import (
    LABEL_COLOUR,
    LABEL_MARK,
    SORT_KEYS,
    STATUS_MARK,
    DocView,
    Row,
    SortKey,
    describe_row,
    evidence_of,
    find_regression,
    highlights,
    id_links,
    line_of,
    order_docs,
    summarize,
    wrap_offsets,
)
from llmx.review.sources import Review

DOC_ID_CELLS = 10

HELP = """\
[b]llmx review[/b] -- keys

  ↑ ↓ PgUp PgDn   move in the focused list
  tab / enter     switch between documents and records
  n / p           next / previous regression (any document)
  s               sort: id → F1 (worst first) → change (biggest drop)
  z               hide / show the document list (wider record cells)
  c               show changed documents only (toggle)
  r               show documents with regressions only (toggle)
  x               gold record wrong: propose removing it
  a               accept a prediction into gold (B's if the row has one)
  ?               this help          q   quit

Record tags: [green]= match[/]  [yellow]~ partial[/]  [red]+ spurious[/]  \
[magenta]- missed[/]  [cyan]2 duplicate[/]
Rows: ▼ regression  ▲ improvement  • changed;  first letter: the record kind.
Without gold, B is scored against A: ~ changed, - in A only, + in B only.
Gold edits go to <gold>/proposed/<doc>.json + .diff, never the gold.

Press any key to close."""


class HelpScreen(ModalScreen[None]):
    """Keyboard help; any key closes it."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > Static { width: 78; height: auto; max-height: 22; border: round $accent;
                          background: $panel; padding: 0 1; }
    """

    def compose(self) -> ComposeResult:
        yield Static(HELP, id="help")

    def on_key(self, event: events.Key) -> None:
        event.stop()
        self.dismiss(None)


class ConfirmScreen(ModalScreen[bool]):
    """Shows a proposed gold change as a unified diff; ``y`` writes it, ``n``/escape not."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Write proposal"),
        Binding("n,escape", "answer(False)", "Cancel"),
    ]
    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen > Vertical { width: 78; height: 20; border: round $warning;
                               background: $panel; }
    ConfirmScreen #question { height: 2; }
    ConfirmScreen VerticalScroll { height: 1fr; }
    """

    def __init__(self, question: str, diff: str) -> None:
        super().__init__()
        self.question = question
        self.diff = diff

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(self.question + "\n[y] write proposal  [n] cancel"), id="question")
            with VerticalScroll():
                yield Static(Syntax(self.diff, "diff", theme="ansi_dark"), id="diff")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class ReviewApp(App[None]):
    """The review UI over a loaded :class:`~llmx.review.sources.Review`."""

    TITLE = "llmx review"
    ENABLE_COMMAND_PALETTE = False
    CSS = """
    #status { height: 1; background: $boost; color: $text; }
    #main { height: 1fr; }
    #docs { height: 1fr; }
    #right { width: 1fr; }
    #records { height: 9; }
    #detail { height: 2; background: $surface; }
    #text-scroll { height: 1fr; border-top: solid $primary; scrollbar-gutter: stable; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit"),
        Binding("question_mark", "help", "Help"),
        Binding("n", "regression(1)", "Next regr."),
        Binding("p", "regression(-1)", "Prev", show=False),
        Binding("s", "sort", "Sort"),
        Binding("c", "flip('changed_only')", "Changed"),
        Binding("r", "flip('regressions_only')", "Regr. only"),
        Binding("z", "zoom", "Zoom", show=False),
        Binding("x", "mark_wrong", "Gold wrong"),
        Binding("a", "accept", "Accept"),
    ]

    def __init__(self, review: Review) -> None:
        super().__init__()
        self.review = review
        self.sort: SortKey = "id"
        self.changed_only = False
        self.regressions_only = False
        self.shown: list[DocView] = []
        self.doc_index = -1  # into ``shown``
        self.row_index = 0
        self.written: list[tuple[Path, str]] = []  # proposals written, with their diffs
        self._text_width = 0
        self._id_width = 0
        self._short_ids: dict[str, str] = {}

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield Static(id="status")
        with Horizontal(id="main"):
            yield DataTable(id="docs", cursor_type="row", zebra_stripes=False)
            with Vertical(id="right"):
                yield DataTable(id="records", cursor_type="row")
                yield Static(id="detail")
                with VerticalScroll(id="text-scroll"):
                    yield Static(id="text")
        yield Footer()

    def on_mount(self) -> None:
        docs = self.query_one("#docs", DataTable)
        columns = ["doc", "F1"] + (["Δ"] if self._delta_shown else []) + ["tp/fp/fn"]
        docs.add_columns(*columns)
        self._size_doc_ids()
        records = self.query_one("#records", DataTable)
        records.add_columns(*self._record_columns())
        for warning in self.review.warnings:
            self.notify(warning, severity="warning", timeout=6)
        docs.focus()
        # fill after the first layout, when the panes know their widths
        self.call_after_refresh(self.refresh_docs)

    def _size_doc_ids(self) -> bool:
        """Fit the id column to the ids (up to a share of the screen); True if it changed."""
        ids = [d.doc_id for d in self.review.docs]
        width = column_width(ids, self.size.width, floor=DOC_ID_CELLS)
        if width == self._id_width:
            return False
        self._id_width = width
        self._short_ids = short_ids(ids, width - 1)  # a cell for the edited "*"
        # fixed width: id + F1 + (Δ) + counts, each with a cell of padding on both sides
        docs = self.query_one("#docs", DataTable)
        docs.styles.width = width + 4 + (5 + 2 if self._delta_shown else 0) + 8 + 6 + 2
        return True

    @property
    def _delta_shown(self) -> bool:
        return self.review.has_gold and self.review.run_b is not None

    def _record_columns(self) -> list[str]:
        cols = [""]
        if self.review.has_gold:
            cols.append("gold")
        cols.append("A")
        if self.review.run_b is not None:
            cols.append("B")
        return cols

    # ------------------------------------------------------------------ documents

    @property
    def doc(self) -> DocView | None:
        return self.shown[self.doc_index] if 0 <= self.doc_index < len(self.shown) else None

    def refresh_docs(self, keep: str | None = None) -> None:
        """Refill the document list after a sort, a filter or an edit."""
        keep = keep or (self.doc.doc_id if self.doc else None)
        self.shown = order_docs(
            self.review.docs,
            self.sort,
            changed_only=self.changed_only,
            regressions_only=self.regressions_only,
        )
        table = self.query_one("#docs", DataTable)
        table.clear()
        for d in self.shown:
            table.add_row(*self._doc_cells(d), key=d.doc_id)
        ids = [d.doc_id for d in self.shown]
        self.doc_index = -1
        self.show_doc(ids.index(keep) if keep in ids else 0)
        self._status()

    def _doc_cells(self, d: DocView) -> list[Text]:
        style = "red" if d.regressed else ""
        name = Text(self._short_ids.get(d.doc_id, d.doc_id) + ("*" if d.edited else ""), style)
        f1 = Text("—" if d.f1 is None else f"{d.f1:.2f}", justify="right")
        cells = [name, f1]
        if self._delta_shown:
            delta = d.delta
            colour = "" if not delta else ("green" if delta > 0 else "red")
            cells.append(Text("" if delta is None else f"{delta:+.2f}", style=colour))
        counts = d.counts_b if d.b is not None else d.counts_a
        cells.append(Text("" if counts is None else f"{counts.tp}/{counts.fp}/{counts.fn}"))
        return cells

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        # act on where the cursor is now: events queued before a refill may be stale
        if not self.is_running or not self.shown:
            return
        cursor = event.data_table.cursor_row
        if event.data_table.id == "docs":
            if cursor != self.doc_index:
                self.show_doc(cursor)
        elif event.data_table.id == "records" and cursor != self.row_index:
            self.show_row(cursor)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id == "docs":
            self.query_one("#records", DataTable).focus()

    def show_doc(self, index: int, row: int = 0) -> None:
        """Show document ``index`` of the list with record ``row`` selected."""
        table = self.query_one("#docs", DataTable)
        if not self.shown:
            self.doc_index = -1
            self.query_one("#records", DataTable).clear()
            self.query_one("#detail", Static).update("no documents match the filter")
            self.query_one("#text", Static).update("")
            return
        index = max(0, min(index, len(self.shown) - 1))
        changed = index != self.doc_index
        self.doc_index = index
        if table.cursor_row != index:
            table.move_cursor(row=index)
        if changed:
            self._fill_records()
            self._title_text(self.shown[index].doc_id)
        self.show_row(row)

    def _title_text(self, doc_id: str) -> None:
        """Name the document above its text: in full if it fits (the list may show it cut)."""
        scroll = self.query_one("#text-scroll", VerticalScroll)
        room = scroll.size.width - 4
        if 0 < room < cell_len(doc_id):
            doc_id = short_ids([d.doc_id for d in self.review.docs], room)[doc_id]
        scroll.border_title = doc_id

    def _fill_records(self) -> None:
        doc = self.doc
        table = self.query_one("#records", DataTable)
        table.clear()
        if doc is None:
            return
        ncols = len(self._record_columns()) - 1
        avail = table.size.width or (self.size.width - 40)
        width = max(6, (avail - 2 - 3 - 2 * ncols) // max(ncols, 1))
        for i, row in enumerate(doc.rows):
            table.add_row(*self._row_cells(doc, row, width), key=str(i))
        self.row_index = -1

    def _row_cells(self, doc: DocView, row: Row, width: int) -> list[Text]:
        mark = Text(
            row.kind[:1].upper() + STATUS_MARK[row.status],
            style="red" if row.status == "regression" else "",
        )
        cells = [mark]
        if doc.gold is not None:
            cells.append(self._cell(doc, row, "gold", None, width))
        cells.append(self._cell(doc, row, "a", row.label_a, width))
        if doc.b is not None:
            cells.append(self._cell(doc, row, "b", row.label_b, width))
        return cells

    @staticmethod
    def _cell(doc: DocView, row: Row, col: str, label: str | None, width: int) -> Text:
        record = doc.record(row, col)
        if record is None:
            # a record missing from a run is that run's "missed" (or, without gold, "gone")
            if label == "missed" or (col == "b" and row.label_b == "missed"):
                text = Text("- (missed)" if doc.gold is not None else "- (gone)", "magenta")
            else:
                text = Text("")
        else:
            body = ("  " * (row.depth - 1) + "└ " if row.depth else "") + summarize(
                doc, row.kind, record
            )
            tag = LABEL_MARK.get(label or "", "")
            text = Text(f"{tag} {body}" if tag else body, style=LABEL_COLOUR.get(label or "", ""))
        text.truncate(width, overflow="ellipsis")
        return text

    # ------------------------------------------------------------------ one record

    @property
    def row(self) -> Row | None:
        doc = self.doc
        if doc is None or not 0 <= self.row_index < len(doc.rows):
            return None
        return doc.rows[self.row_index]

    def show_row(self, index: int) -> None:
        """Select record row ``index``: explain it and scroll the text to its evidence."""
        doc = self.doc
        if doc is None:
            return
        table = self.query_one("#records", DataTable)
        index = max(0, min(index, len(doc.rows) - 1)) if doc.rows else -1
        self.row_index = index
        if index >= 0 and table.cursor_row != index:
            table.move_cursor(row=index)
        row = self.row
        lines = list(doc.notes)
        if row is not None:
            lines = [f"{row.kind[:-1]} {self.row_index + 1}/{len(doc.rows)} · " +
                     " | ".join(describe_row(doc, row)), *lines]  # fmt: skip
        elif not doc.rows:
            lines.insert(0, "no records in any column")
        self.query_one("#detail", Static).update(Text("\n".join(lines)))
        self._draw_text()

    def _draw_text(self) -> None:
        doc, row = self.doc, self.row
        widget = self.query_one("#text", Static)
        scroll = self.query_one("#text-scroll", VerticalScroll)
        if doc is None or doc.text is None:
            widget.update(Text("(no source text)", style="dim"))
            return
        width = scroll.scrollable_content_region.width or max(self.size.width - 45, 20)
        self._text_width = width
        plain = "".join(c if c.isprintable() or c == "\n" else " " for c in doc.text)
        full = Text(plain)
        for start, end, label in highlights(doc):
            full.stylize(f"bold {LABEL_COLOUR.get(label, 'blue')}", start, end)
        target = evidence_of(doc, row) if row is not None else None
        if target is not None:
            full.stylize("underline reverse", *target)
        lines = wrap_offsets(doc.text, width)
        out = Text("\n").join(full[s:e] for s, e in lines)
        out.no_wrap = True
        out.overflow = "crop"
        widget.update(out)
        if target is not None:
            y = line_of(lines, target[0])
            scroll.call_after_refresh(scroll.scroll_to, y=max(y - 1, 0), animate=False)

    def on_resize(self, event: events.Resize) -> None:
        if self.shown and self._size_doc_ids():
            self.refresh_docs()
        if self.doc is not None:
            self._redraw_records()

    def _redraw_records(self) -> None:
        """Refill the record table (its column widths follow the screen) on the same row."""
        keep = self.row_index
        self._fill_records()
        self.show_row(keep)

    # ------------------------------------------------------------------ actions

    def _status(self) -> None:
        parts = [f"{len(self.shown)}/{len(self.review.docs)} docs", f"sort {self.sort}"]
        flags = [n for n, on in (("changed", self.changed_only),
                                 ("regressions", self.regressions_only)) if on]  # fmt: skip
        if flags:
            parts.append("only " + "+".join(flags))
        parts.append(f"A {self.review.run_a.name}")
        if self.review.run_b is not None:
            parts.append(f"B {self.review.run_b.name}")
        gold = self.review.gold_dir
        parts.append(f"gold {Path(*gold.parts[-2:])}" if gold and self.review.has_gold
                     else "no gold")  # fmt: skip
        self.query_one("#status", Static).update(Text(" · ".join(parts), no_wrap=True))

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def action_zoom(self) -> None:
        docs = self.query_one("#docs", DataTable)
        docs.display = not docs.display
        if not docs.display:
            self.query_one("#records", DataTable).focus()

        self.call_after_refresh(self._redraw_records)

    def action_sort(self) -> None:
        self.sort = SORT_KEYS[(SORT_KEYS.index(self.sort) + 1) % len(SORT_KEYS)]
        self.refresh_docs()

    def action_flip(self, name: str) -> None:
        setattr(self, name, not getattr(self, name))
        self.refresh_docs()

    def action_regression(self, step: int) -> None:
        if not self.shown:
            return
        found = find_regression(self.shown, self.doc_index, self.row_index, 1 if step > 0 else -1)
        if found is None:
            self.notify("no regressions in the documents shown")
            return
        self.show_doc(*found)
        self.query_one("#records", DataTable).focus()

    def _gold_target(self) -> tuple[DocView, Row, Path, GoldDoc] | None:
        doc, row = self.doc, self.row
        if doc is None or row is None:
            return None
        if not self.review.has_gold or doc.doc_id not in self.review.gold_docs:
            self.notify("no gold for this document (start with --gold DIR)", severity="warning")
            return None
        path = self.review.gold_paths[doc.doc_id]
        return doc, row, path, self.review.gold_docs[doc.doc_id]

    def action_mark_wrong(self) -> None:
        target = self._gold_target()
        if target is None:
            return
        doc, row, path, gold = target
        if row.gold is None or "duplicate" in (row.label_a, row.label_b):
            self.notify("select a row with a gold record (not a duplicate)", severity="warning")
            return
        record = doc.record(row, "gold")
        task = self.review.task
        new = gold_edit.remove_record(gold, task, row.kind, row.gold)
        what = task.records[row.kind].singular
        question = f"Remove gold {what} «{summarize(doc, row.kind, record)}» from {doc.doc_id}?"
        self._propose(doc.doc_id, path, new, question)

    def action_accept(self) -> None:
        target = self._gold_target()
        if target is None:
            return
        doc, row, path, gold = target
        col = "b" if doc.b is not None and row.b is not None else "a"
        record = doc.record(row, col)
        if record is None:
            self.notify("no prediction on this row to accept", severity="warning")
            return
        label = row.label_b if col == "b" else row.label_a
        replace = row.gold if label in ("match", "partial") else None
        run = self.review.run_b if col == "b" else self.review.run_a
        try:
            new = gold_edit.accept_record(
                gold,
                self.review.task,
                row.kind,
                record,
                replace=replace,
                links=id_links(doc, col),
                origin=f"run {col.upper()} ({run.name if run else '?'})",
            )
        except ValueError as exc:
            self.notify(str(exc), severity="error", timeout=8)
            return
        verb = "Replace the gold record with" if replace is not None else "Add to gold"
        question = f"{verb} {col.upper()}'s «{summarize(doc, row.kind, record)}» in {doc.doc_id}?"
        self._propose(doc.doc_id, path, new, question)

    def _propose(self, doc_id: str, path: Path, new: GoldDoc, question: str) -> None:
        diff = gold_edit.diff_text(path, new)

        def done(yes: bool | None) -> None:
            if not yes:
                self.notify("nothing written")
                return
            written, text = gold_edit.write_proposal(path, new)
            self.written.append((written, text))
            self.review.gold_docs[doc_id] = new
            self.review.rebuild(doc_id)
            row = self.row_index
            self.doc_index = -1  # force the records to be refilled
            self.refresh_docs(keep=doc_id)
            self.show_row(row)
            self.notify(f"proposal written: {written}" if text else "proposal removed (= gold)")

        self.push_screen(ConfirmScreen(question, diff or "(no change from the gold file)"), done)


def run_review(review: Review) -> list[tuple[Path, str]]:
    """Run the app in the terminal; return the proposals written (path, diff)."""
    app = ReviewApp(review)
    app.run()
    return app.written
