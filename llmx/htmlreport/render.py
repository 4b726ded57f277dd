"""Draw a :class:`~llmx.htmlreport.model.Page` as one self-contained HTML file (Jinja2 templates
shipped in ``templates/``; the stylesheet and script are inlined, so the file works offline)."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

import jinja2
from markupsafe import Markup

from llmx.htmlreport import chart
from llmx.htmlreport.model import Page, RecordView
from llmx.htmlreport.segments import Segment


def source_text(text: str) -> Markup:
    """Escaped text for the page's text pane; CR as a character reference, because an HTML
    parser turns a raw CR (or CR LF) into LF and every later offset would be off by one."""
    return Markup(str(element_text(text)).replace("\r", "&#13;"))


def pane(segments: list[Segment]) -> Markup:
    """The text pane: each marked piece a ``<mark>`` naming the records whose anchor
    (``data-a``) and evidence (``data-e``) cover it, coloured by its first anchor's kind.
    Built here, not in the template: no whitespace may slip in between pieces (offsets)."""
    out: list[str] = []
    for s in segments:
        text = source_text(s.text)
        if not s.marked:
            out.append(text)
            continue
        cls = "hl"
        if s.anchors:
            cls += f" a k{int(s.anchors[0].split('_')[0]) % 6}"
        if len(s.anchors) > 1:
            cls += " multi"
        # keys are "<int>_<int>": nothing to escape in the attributes
        out.append(
            f'<mark class="{cls}" data-a="{" ".join(s.anchors)}" '
            f'data-e="{" ".join(s.evidence)}">{text}</mark>'
        )
    return Markup("".join(out))


def element_text(text: str) -> Markup:
    """Escaped for an element's content: ``&``, ``<``, ``>`` only (quotes are harmless there,
    and ``&#34;`` five times over made record fields a third of a large page)."""
    return Markup(text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))


def fields_json(records: list[RecordView]) -> Markup:
    """Each record's fields as ``[[name, value], ...]`` in JSON, for the page's script to draw
    when a record's "fields" is opened (as tables they were a third of a large page). ``<`` is
    escaped so no value can close the script element."""
    rows = [
        [
            *r.fields,
            *([("span", f"{r.span[0]}–{r.span[1]}")] if r.span else []),
            *(
                [("evidence_span", f"{r.evidence_span[0]}–{r.evidence_span[1]}")]
                if r.evidence_span
                else []
            ),
        ]
        for r in records
    ]
    return Markup(
        json.dumps(rows, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")
    )


def percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("llmx.htmlreport", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["t"] = source_text
    env.filters["fields_json"] = fields_json
    env.filters["pane"] = pane
    env.filters["f3"] = percent
    env.filters["num"] = chart.number
    return env


def _asset(name: str) -> Markup:
    text = resources.files("llmx.htmlreport").joinpath("templates", name).read_text("utf-8")
    return Markup(text)


def render_page(page: Page) -> str:
    """The HTML of the page."""
    edges = page.edges
    return (
        _environment()
        .get_template("report.html.j2")
        .render(
            page=page,
            chart=chart.layout(edges) if edges else None,
            bars=chart.bars(edges) if edges else [],
            css=_asset("report.css"),
            js=_asset("report.js"),
        )
    )
