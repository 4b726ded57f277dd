"""Draw an :class:`~llmx.evaluation.report.EvalReport` as rich tables. Rendering only.

Against a baseline a cell reads ``old → new (+Δ)`` and is coloured only when the change is
beyond the tolerance, so noise stays grey and real moves stand out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from llmx.evaluation.labels import PRF, KindScores
from llmx.evaluation.report import EvalReport
from llmx.evaluation.significance import Comparison, Interval

if TYPE_CHECKING:
    from llmx.evaluation.matrix import MatrixReport


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


def interval_text(ci: Interval | None) -> str:
    """``[0.712, 0.905]`` -- a bootstrap interval; empty when there is none."""
    return "" if ci is None else f"[{ci.low:.3f}, {ci.high:.3f}]"


def summary_table(
    summary: dict[str, KindScores],
    baseline: dict[str, KindScores] | None = None,
    tolerance: float = 0.02,
    intervals: dict[str, Interval] | None = None,
) -> Table:
    """Per kind: strict, partial and macro P/R/F1 with TP/FP/FN, grounding rate and the
    bootstrap interval of each F1 (documents resampled)."""
    cis = intervals or {}
    level = next(iter(cis.values())).level if cis else 0.95
    table = Table(title="Scores (micro; macro = mean over documents)", title_justify="left")
    for col in ("kind", "scoring", "P", "R", "F1", "TP", "FP", "FN", "grounded"):
        table.add_column(col, justify="left" if col in ("kind", "scoring") else "right")
    if cis:
        table.add_column(f"F1 {level:.0%} interval", justify="right")
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
            ci = [interval_text(cis.get(f"{kind} {label}.f1"))] if cis else []
            table.add_row(
                kind if i == 0 else "", label, *_prf_cells(new, before, tolerance), *extra, *ci
            )
        for group, c in s.groups.items():  # sub-kinds (split_by), strict
            was = old.groups.get(group) if old else None
            cells = _prf_cells(c.strict, was.strict if was else None, tolerance)
            ci = [interval_text(cis.get(f"{kind} strict.f1 · {group}"))] if cis else []
            table.add_row("", f"strict · {group}", *cells, str(c.tp), str(c.fp), str(c.fn), "", *ci)
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


def comparison_table(comparisons: list[Comparison]) -> Table:
    """Against the baseline, per F1: the change, the paired test's p and the interval of
    the change (documents resampled in pairs)."""
    n = comparisons[0].documents if comparisons else 0
    exact = comparisons[0].exact if comparisons else True
    table = Table(
        title=f"Against the baseline: paired test over {n} documents "
        f"({'exact permutation' if exact else 'sampled permutations'}; p = chance of a drop "
        "this large by swapping runs per document)",
        title_justify="left",
    )
    for col in ("figure", "baseline", "now", "Δ", "p (drop)", "Δ interval"):
        table.add_column(col, justify="left" if col == "figure" else "right")
    for c in comparisons:
        style = "red" if c.delta < 0 and c.p_drop < 0.05 else "dim" if abs(c.delta) < 5e-4 else ""
        table.add_row(
            c.figure, number(c.old), number(c.new), Text(f"{c.delta:+.3f}", style=style),
            f"{c.p_drop:.3f}", f"[{c.low:+.3f}, {c.high:+.3f}]",
        )  # fmt: skip
    return table


def matrix_table(matrix: MatrixReport) -> Table:
    """One row per cell and record kind: strict P/R/F1 with the F1 interval, link accuracy
    and grounding; the cell's tokens, cost, latency and failures on its first row."""
    table = Table(title=f"Eval matrix ({matrix.config})", title_justify="left")
    for col in (
        "cell", "source", "kind", "P", "R", "F1", "F1 interval", "links", "grounded",
        "tokens in/out", "cost $", "latency p50/p95 s", "errors",
    ):  # fmt: skip
        table.add_column(col, justify="left" if col in ("cell", "source", "kind") else "right")
    for cell in matrix.cells:
        head = [cell.name, cell.source]
        usage = [
            f"{cell.prompt_tokens}/{cell.completion_tokens}",
            "–" if cell.cost is None else f"{cell.cost:.4f}",
            "–" if cell.latency_p50 is None else
            f"{cell.latency_p50:.2f}/{cell.latency_p95 or 0:.2f}",
            f"{cell.failed}/{cell.documents} docs",
        ]  # fmt: skip
        if cell.report is None:
            table.add_row(*head, Text(f"not scored: {cell.error}", style="red"))
            table.add_section()
            continue
        for i, (kind, s) in enumerate(cell.report.summary.items()):
            links = "; ".join(f"{k} {number(v)}" for k, v in s.links.items()) or "–"
            ci = cell.report.intervals.get(f"{kind} strict.f1")
            table.add_row(
                *(head if i == 0 else ["", ""]), kind, number(s.strict.precision),
                number(s.strict.recall), number(s.strict.f1), interval_text(ci), links,
                number(s.grounding), *(usage if i == 0 else [""] * 4),
            )  # fmt: skip
        table.add_section()
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
        elif g.name == "significance":
            why = (
                f"dropped from baseline {number(g.baseline)}: paired test p={g.p_value:.3f}"
                f" (floor for any drop {number(g.threshold)})"
            )
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
        summary_table(
            report.summary, baseline.summary if baseline else None, tolerance, report.intervals
        ),
        fields_table(report.summary),
        documents_table(report),
    ]
    if report.comparisons:
        parts.append(comparison_table(report.comparisons))
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
