"""Turn hand annotations (quotes, not offsets) into gold JSON with computed spans.

An annotator writes ``evals/<task>/src/<doc_id>.toml``: programmes and metrics as *quotes*
from the document (evidence sentence, quantity expression, programme name). This script
finds every quote in the document text *as read* and writes ``evals/<task>/gold/<doc_id>.json``
with ``[start, end)`` spans. It never guesses: a quote that is absent or occurs more than once
in its search area is an error (add context to the quote, or give ``*_occurrence``).

Quotes may leave out pinyin glued after characters (``協(xié)作`` can be quoted as ``協作``);
the stored ``evidence`` / ``value_text`` are then the verbatim slices, pinyin included.

Usage::

    .venv/bin/python evals/tools/annotate.py              # rebuild every gold file + schema
    .venv/bin/python evals/tools/annotate.py --check      # fail if any gold file is stale
    .venv/bin/python evals/tools/annotate.py --audit ID   # list numbers not yet decided on
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from llmx.evaluation.gold import (  # noqa: E402
    GoldDoc,
    gold_json_schema,
    render_gold,
    text_sha256,
)

TASK_DIR = ROOT / "evals" / "cooperation"
DOMAINS = {"医疗", "教育", "科技", "农业", "劳务就业", "文旅", "产业", "干部人才", "其他"}
QUALIFIERS = {
    "exact", "more_than", "approx", "nearly", "less_than", "at_least", "at_most", "range",
}  # fmt: skip

# A parenthesised pinyin reading glued after a character: (xié), (zhōng), (lǜ) -- at least one
# tone-marked vowel, so "县(市)" or "數據(data)" never count as pinyin.
_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹḿ"
PINYIN = rf"\((?=[^()]*[{_TONED}])[a-z{_TONED}]{{1,8}}\)"
_PINYIN_AFTER_HAN = re.compile(rf"(?<=[\u3400-\u9fff]){PINYIN}")

# Markers that decide the qualifier; checked against what the annotator wrote.
_QUALIFIER_MARKS: list[tuple[str, str]] = [
    (r"将近|近", "nearly"),
    (r"不到|不足", "less_than"),
    (r"至少|不少于", "at_least"),
    (r"最多|不超过|不超過", "at_most"),
    (r"约|約|左右", "approx"),
    (r"余|餘|多|逾|超过|超過|以上", "more_than"),
]
_HAN_NUMERAL = "〇零一二两兩三四五六七八九十百千万萬亿億"


class AnnotationError(ValueError):
    """A quote could not be placed, or an annotation breaks a rule of the guidelines."""


def strip_pinyin(s: str) -> str:
    """Remove pinyin readings glued after Han characters (``協(xié)作`` -> ``協作``)."""
    return _PINYIN_AFTER_HAN.sub("", s)


def quote_pattern(quote: str) -> re.Pattern[str]:
    """A regex matching ``quote`` verbatim, or with pinyin readings between its characters."""
    parts = [re.escape(c) for c in quote]
    return re.compile(f"(?:{PINYIN})?".join(parts))


def locate(
    text: str,
    quote: str,
    *,
    start: int = 0,
    end: int | None = None,
    occurrence: int | None = None,
    what: str = "quote",
) -> tuple[int, int]:
    """Find ``quote`` in ``text[start:end]`` and return its ``[start, end)`` in ``text``.

    Raises ``AnnotationError`` when the quote is absent, or occurs more than once and no
    1-based ``occurrence`` was given.
    """
    if not quote:
        raise AnnotationError(f"empty {what}")
    end = len(text) if end is None else end
    hits = [(m.start(), m.end()) for m in quote_pattern(quote).finditer(text, start, end)]
    if not hits:
        raise AnnotationError(f"{what} not found: {quote!r}")
    if occurrence is None:
        if len(hits) > 1:
            raise AnnotationError(
                f"{what} is ambiguous ({len(hits)} matches at {[h[0] for h in hits]}): "
                f"{quote!r}; lengthen it or set an occurrence"
            )
        return hits[0]
    if not 1 <= occurrence <= len(hits):
        raise AnnotationError(f"{what} occurrence {occurrence} of {len(hits)}: {quote!r}")
    return hits[occurrence - 1]


def expected_qualifier(value_text: str) -> str:
    """The qualifier the markers in a quantity expression call for (``exact`` if none)."""
    if re.search(r"\d\s*(?:至|到|-|—|~|～)\s*\d", value_text):
        return "range"
    for pattern, qualifier in _QUALIFIER_MARKS:
        if re.search(pattern, value_text):
            return qualifier
    return "exact"


def leading_number(value_text: str, unit: str) -> float | None:
    """The first number in a quantity expression, scaled by 万/亿 unless the unit keeps it.

    Returns None when the number is written in a way this check does not parse.
    """
    m = re.search(r"\d+(?:\.\d+)?", value_text)
    if m:
        number = float(m.group())
        after = value_text[m.end() : m.end() + 1]
    else:
        m = re.search(f"[{_HAN_NUMERAL}]+", value_text)
        if not m:
            return None
        import cn2an  # only needed for numbers written in characters

        try:
            number = float(cn2an.cn2an(m.group().replace("兩", "两"), "smart"))
        except (ValueError, KeyError):
            return None
        after = ""
    if unit[:1] not in "万萬亿億":  # money keeps its written unit: 500万元 -> 500 万元
        number *= {"万": 1e4, "萬": 1e4, "亿": 1e8, "億": 1e8}.get(after, 1)
    return number


@dataclass(frozen=True)
class Region:
    """The stretch of the document that is annotated (e.g. the first copy of an article)."""

    start: int
    end: int


def _region(text: str, src: dict[str, Any]) -> Region:
    start, end = 0, len(text)
    if marker := src.get("region_start"):
        start = locate(text, marker, what="region_start")[0]
    if marker := src.get("region_end"):
        end = locate(text, marker, what="region_end")[0]
    return Region(start, end)


_PROGRAMME_KEYS = {
    "id", "name", "donors", "recipients", "domains", "start_date", "end_date",
    "evidence", "evidence_occurrence", "note",
}  # fmt: skip
_METRIC_KEYS = {
    "subject", "value", "value_max", "unit", "qualifier", "value_text", "value_occurrence",
    "evidence", "evidence_occurrence", "programme", "note",
}  # fmt: skip
_DOC_KEYS = {
    "doc_id", "source", "annotator", "region_start", "region_end", "notes",
    "programmes", "metrics", "excluded",
}  # fmt: skip


def _unknown(keys: set[str], allowed: set[str], where: str) -> None:
    if extra := keys - allowed:
        raise AnnotationError(f"{where}: unknown keys {sorted(extra)}")


def _programme(text: str, region: Region, p: dict[str, Any]) -> dict[str, Any]:
    where = f"programme {p.get('id')}"
    _unknown(set(p), _PROGRAMME_KEYS, where)
    es, ee = locate(
        text, p["evidence"], start=region.start, end=region.end,
        occurrence=p.get("evidence_occurrence"), what=f"{where} evidence",
    )  # fmt: skip
    try:  # the name inside its evidence; otherwise the evidence itself stands for it
        span = locate(text, p["name"], start=es, end=ee, what=f"{where} name")
    except AnnotationError:
        span = (es, ee)
    if bad := set(p.get("domains", [])) - DOMAINS:
        raise AnnotationError(f"{where}: unknown domains {sorted(bad)}")
    keys = ("id", "name", "donors", "recipients", "domains")
    fields: dict[str, Any] = {k: p[k] for k in keys if k in p}
    return {
        **fields,
        "start_date": p.get("start_date"),
        "end_date": p.get("end_date"),
        "evidence": text[es:ee],
        "span": span,
        "evidence_span": (es, ee),
        "note": p.get("note"),
    }


def _metric(text: str, region: Region, m: dict[str, Any], ids: set[str]) -> dict[str, Any]:
    where = f"metric {m.get('value_text')!r}"
    _unknown(set(m), _METRIC_KEYS, where)
    es, ee = locate(
        text, m["evidence"], start=region.start, end=region.end,
        occurrence=m.get("evidence_occurrence"), what=f"{where} evidence",
    )  # fmt: skip
    span = locate(
        text, m["value_text"], start=es, end=ee,
        occurrence=m.get("value_occurrence"), what=f"{where} value_text",
    )  # fmt: skip
    value_text = text[span[0] : span[1]]
    qualifier = m.get("qualifier", "exact")
    if qualifier not in QUALIFIERS:
        raise AnnotationError(f"{where}: unknown qualifier {qualifier!r}")
    if qualifier != (want := expected_qualifier(value_text)):
        raise AnnotationError(f"{where}: qualifier {qualifier!r}, its markers say {want!r}")
    if (qualifier == "range") != (m.get("value_max") is not None):
        raise AnnotationError(f"{where}: value_max is set exactly when qualifier is range")
    number = leading_number(value_text, m["unit"])
    if number is not None and number != m["value"]:
        raise AnnotationError(f"{where}: value {m['value']} but the text says {number:g}")
    if m["unit"] and strip_pinyin(m["unit"]) not in strip_pinyin(value_text):
        raise AnnotationError(f"{where}: unit {m['unit']!r} is not in the quantity expression")
    if m.get("programme") is not None and m["programme"] not in ids:
        raise AnnotationError(f"{where}: links to unknown programme {m['programme']!r}")
    return {
        "subject": m["subject"],
        "value": m["value"],
        "value_max": m.get("value_max"),
        "unit": m["unit"],
        "qualifier": qualifier,
        "value_text": value_text,
        "evidence": text[es:ee],
        "programme": m.get("programme"),
        "span": span,
        "evidence_span": (es, ee),
        "note": m.get("note"),
    }


def build(src: dict[str, Any], root: Path = ROOT) -> GoldDoc:
    """Build one ``GoldDoc`` from a parsed annotation source (see the module docstring)."""
    _unknown(set(src), _DOC_KEYS, f"document {src.get('doc_id')}")
    text = (root / src["source"]).read_bytes().decode("utf-8")
    region = _region(text, src)
    programmes = [_programme(text, region, p) for p in src.get("programmes", [])]
    ids = [p["id"] for p in programmes]
    if len(ids) != len(set(ids)):
        raise AnnotationError(f"duplicate programme ids in {src['doc_id']}")
    metrics = [_metric(text, region, m, set(ids)) for m in src.get("metrics", [])]
    spans = [tuple(m["span"]) for m in metrics]
    if len(spans) != len(set(spans)):
        dup = sorted({s for s in spans if spans.count(s) > 1})
        raise AnnotationError(f"two metrics share a span in {src['doc_id']}: {dup}")
    return GoldDoc.model_validate(
        {
            "doc_id": src["doc_id"],
            "source": src["source"],
            "text_sha256": text_sha256(text),
            "annotator": src["annotator"],
            "programmes": programmes,
            "metrics": metrics,
            "notes": list(src.get("notes", [])),
        }
    )


def load_source(path: Path) -> dict[str, Any]:
    """Parse one annotation source file."""
    with path.open("rb") as fh:
        return tomllib.load(fh)


render = render_gold  # the gold file's text, in the format llmx's review also writes


def render_schema() -> str:
    """The text of ``gold.schema.json``."""
    return json.dumps(gold_json_schema(), ensure_ascii=False, indent=2) + "\n"


def audit(src: dict[str, Any], root: Path = ROOT) -> list[tuple[int, str]]:
    """Numbers in the annotated region covered by neither a metric nor an ``excluded`` quote.

    A checklist for the annotator, not an extractor: it finds digit runs and character
    numerals before a measure word, so every number gets an explicit decision.
    """
    text = (root / src["source"]).read_bytes().decode("utf-8")
    region = _region(text, src)
    covered: list[tuple[int, int]] = [m.span for m in build(src, root).metrics]
    for ex in src.get("excluded", []):
        pattern = quote_pattern(ex["quote"])
        covered += [(h.start(), h.end()) for h in pattern.finditer(text, region.start, region.end)]
    # Character numerals start at 二: 一 is everywhere (一线, 统一, 一批) and would drown the list.
    numbers = re.compile(
        rf"\d+(?:\.\d+)?|[{_HAN_NUMERAL[3:]}]+(?=[个個名位批人项項家条條种種亩畝])"
    )
    out = []
    for m in numbers.finditer(text, region.start, region.end):
        if not any(s <= m.start() and m.end() <= e for s, e in covered):
            out.append((m.start(), text[max(0, m.start() - 12) : m.end() + 8].replace("\n", " ")))
    return out


def main(argv: list[str] | None = None) -> int:
    """Command line: rebuild gold files, check they are current, or audit one document."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--task-dir", type=Path, default=TASK_DIR)
    ap.add_argument("--check", action="store_true", help="fail if a gold file is stale")
    ap.add_argument("--audit", metavar="DOC_ID", help="list numbers without a decision")
    args = ap.parse_args(argv)
    sources = sorted((args.task_dir / "src").glob("*.toml"))
    if args.audit:
        src = load_source(args.task_dir / "src" / f"{args.audit}.toml")
        left = audit(src)
        for pos, context in left:
            print(f"{pos:6d}  {context}")
        print(f"{len(left)} number(s) without a decision")
        return 1 if left else 0
    stale = []
    wanted = {args.task_dir / "gold.schema.json": render_schema()}
    for path in sources:
        doc = build(load_source(path))
        wanted[args.task_dir / "gold" / f"{doc.doc_id}.json"] = render(doc)
        print(f"{doc.doc_id}: {len(doc.programmes)} programmes, {len(doc.metrics)} metrics")
    for out, content in wanted.items():
        if out.exists() and out.read_text(encoding="utf-8") == content:
            continue
        if args.check:
            stale.append(out)
        else:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(content, encoding="utf-8")
    for out in stale:
        print(f"stale: {out.relative_to(ROOT)}")
    return 1 if stale else 0


if __name__ == "__main__":
    raise SystemExit(main())
