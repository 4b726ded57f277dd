"""Draw an :class:`~llmx.evaluation.report.EvalReport` as rich tables. Rendering only.

Against a baseline a cell reads ``old → new (+Δ)`` and is coloured only when the change is
beyond the tolerance, so noise stays grey and real moves stand out.
"""

from __future__ import annotations

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from llmx.evaluation.labels import PRF, KindScores
from llmx.evaluation.report import EvalReport


def number(value: float | None, digits: int = 3) -> str:
    """``0.812``; an undefined figure is ``–``."""
    return "–" if value is None else f"{value:.{digits}f}"


def delta(new: float | None, old: float | None, tolerance: float) -> Text:
    """``new``, or ``old → new (+Δ)`` coloured green/red when ``|Δ| > tolerance``."""
    if old is None or new is None:
        return Text(number(new))
    diff = new - old
    if abs(diff) < 5e-4:
        return Text(number(new))
    style = "green" if diff > tolerance else "red" if diff < -tolerance else "dim"
    return Text(f"{number(old)} → {number(new)} ({diff:+.3f})", style=style)


def _prf_cells(new: PRF, old: PRF | None, tolerance: float) -> list[Text]:
    return [
        delta(getattr(new, m), getattr(old, m) if old else None, tolerance)
        for m in ("precision", "recall", "f1")
    ]


def summary_table(
    summary: dict[str, KindScores],
    baseline: dict[str, KindScores] | None = None,
    tolerance: float = 0.02,
) -> Table:
    """Per kind: strict, partial and macro P/R/F1 with TP/FP/FN and grounding rate."""
    table = Table(title="Scores (micro; macro = mean over documents)", title_justify="left")
    for col in ("kind", "scoring", "P", "R", "F1", "TP", "FP", "FN", "grounded"):
        table.add_column(col, justify="left" if col in ("kind", "scoring") else "right")
    for kind, s in summary.items():
        old = (baseline or {}).get(kind)
        rows: list[tuple[str, PRF, PRF | None]] = [
            ("strict", s.strict, old.strict if old else None),
            ("partial", s.partial, old.partial if old else None),
            ("macro strict", s.macro_strict, old.macro_strict if old else None),
        ]
        if s.docs == 0 and not (old and old.docs):
            table.add_row(kind, Text("no gold or predicted records", style="dim"))
            table.add_section()
            continue
        for i, (label, new, before) in enumerate(rows):
            c = s.counts
            extra = [str(c.tp), str(c.fp), str(c.fn), number(s.grounding)] if i == 0 else [""] * 4
            table.add_row(
                kind if i == 0 else "", label, *_prf_cells(new, before, tolerance), *extra
            )
        for group, c in s.groups.items():  # sub-kinds (split_by), strict
            was = old.groups.get(group) if old else None
            cells = _prf_cells(c.strict, was.strict if was else None, tolerance)
            table.add_row("", f"strict · {group}", *cells, str(c.tp), str(c.fp), str(c.fn), "")
        for name, rate in s.links.items():  # link accuracy: the headline beside F1
            was_rate = old.links.get(name) if old else None
            table.add_row(
                "", f"link {name} (matched)", Text(""), Text(""), delta(rate, was_rate, tolerance)
            )
        table.add_section()
    return table


def fields_table(summary: dict[str, KindScores]) -> Table:
    """Per-field accuracy over matched pairs."""
    table = Table(title="Field accuracy on matched pairs", title_justify="left")
    table.add_column("kind")
    table.add_column("field")
    table.add_column("accuracy", justify="right")
    for kind, s in summary.items():
        for i, (name, acc) in enumerate(s.fields.items()):
            table.add_row(kind if i == 0 else "", name, number(acc))
        table.add_section()
    return table


def agreement_table(report: EvalReport) -> Table | None:
    """How far two annotators agree (strict F1 per kind, sub-kind and link accuracy)."""
    if report.agreement is None:
        return None
    a = report.agreement
    table = Table(
        title=f"Inter-annotator agreement ({' vs '.join(a.annotators)}; "
        f"{len(a.documents)} documents; second scored against the gold)",
        title_justify="left",
    )
    for col in ("kind", "figure", "P", "R", "F1", "TP", "FP", "FN"):
        table.add_column(col, justify="left" if col in ("kind", "figure") else "right")
    for kind, s in a.summary.items():
        c = s.counts
        table.add_row(
            kind, "strict", *_prf_cells(s.strict, None, 0), str(c.tp), str(c.fp), str(c.fn)
        )
        for group, g in s.groups.items():
            table.add_row(
                "",
                f"strict · {group}",
                *_prf_cells(g.strict, None, 0),
                str(g.tp),
                str(g.fp),
                str(g.fn),
            )
        for name, rate in s.links.items():
            table.add_row("", f"link {name} (matched)", Text(""), Text(""), Text(number(rate)))
        table.add_section()
    return table


def documents_table(report: EvalReport) -> Table:
    """Per document and kind: strict/partial F1, TP/FP/FN and any prediction error."""
    table = Table(title="Documents", title_justify="left")
    table.add_column("doc")
    for kind in report.summary:
        table.add_column(f"{kind} F1 strict/partial", justify="right")
        table.add_column("TP/FP/FN", justify="right")
    table.add_column("note")
    for d in report.documents:
        cells: list[str] = [d.score.doc_id]
        for kind in report.summary:
            c = d.score.counts.get(kind)
            if c is None:
                cells += ["–", "–"]
                continue
            cells += [f"{number(c.strict.f1)} / {number(c.partial.f1)}", f"{c.tp}/{c.fp}/{c.fn}"]
        table.add_row(*cells, Text(d.score.error or "", style="yellow"))
    return table


def gate_lines(report: EvalReport) -> list[Text]:
    """One line per failed gate, or one line saying all gates held."""
    failed = [g for g in report.gates if not g.passed]
    if not report.gates:
        return [Text("no quality gates set", style="dim")]
    if not failed:
        return [Text(f"all {len(report.gates)} quality gates passed", style="green")]
    out = []
    for g in failed:
        what = f"{g.kind} {g.mode} {g.figure} {number(g.value)}"
        if g.name == "baseline":
            why = f"dropped from baseline {number(g.baseline)} (floor {number(g.threshold)})"
        else:
            why = f"below --min-f1 {number(g.threshold)}"
        out.append(Text(f"GATE FAILED [{g.name}]: {what} {why}", style="bold red"))
    return out


def render(
    report: EvalReport,
    baseline: EvalReport | None = None,
    tolerance: float = 0.02,
) -> RenderableType:
    """The whole terminal view: scores, fields, documents, warnings and gates."""
    parts: list[RenderableType] = [
        summary_table(report.summary, baseline.summary if baseline else None, tolerance),
        fields_table(report.summary),
        documents_table(report),
    ]
    if (agreement := agreement_table(report)) is not None:
        parts.append(agreement)
    parts += [Text(f"warning: {w}", style="yellow") for w in report.warnings]
    parts += gate_lines(report)
    return Group(*parts)


def print_report(
    report: EvalReport,
    console: Console,
    baseline: EvalReport | None = None,
    tolerance: float = 0.02,
) -> None:
    """Print :func:`render` to ``console``."""
    console.print(render(report, baseline, tolerance))
