"""Compile hand annotations (quotes, not offsets) into gold files with computed spans.

An annotator writes ``evals/<task>/src/<doc_id>.toml``: for each record kind of the task, a
``[[kind]]`` table per record with the task's fields, the quote and the anchor written *as
quotes* from the document. ``llmx task annotate TASK`` finds every quote in the document text
*as read* and writes ``evals/<task>/gold/<doc_id>.json`` with ``[start, end)`` spans, plus
``gold.schema.json``. It never guesses: a quote that is absent, or occurs more than once in its
search area, is an error (lengthen the quote, or give ``<field>_occurrence``, 1-based).

Document keys: ``doc_id``, ``source`` (path from the repository root), ``annotator``,
``region_start`` / ``region_end`` (quotes bounding the annotated stretch, e.g. the first copy of
an article), ``notes``, and ``[[excluded]]`` quotes (numbers deliberately not annotated, for
``--audit``). Record keys: the record model's fields, ``note``, and
``<quote>_occurrence`` / ``<anchor>_occurrence``.

Quotes may leave out pinyin glued after characters (``協(xié)作`` can be quoted as ``協作``);
the stored quote and anchor are then the verbatim slices, pinyin included. Rules beyond the
schema come from the task's ``check_gold(kind, record)`` hook.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from llmx.evaluation.gold import GoldDoc, gold_json_schema, gold_model, render_gold, text_sha256
from llmx.tasks import Task

# A parenthesised pinyin reading glued after a character: (xié), (zhōng), (lǜ) -- at least one
# tone-marked vowel, so "县(市)" or "數據(data)" never count as pinyin.
_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹḿ"
PINYIN = rf"\((?=[^()]*[{_TONED}])[a-z{_TONED}]{{1,8}}\)"
_PINYIN_AFTER_HAN = re.compile(rf"(?<=[\u3400-\u9fff]){PINYIN}")
_HAN_NUMERAL = "〇零一二两兩三四五六七八九十百千万萬亿億"
SECOND = "second"
"""Folder (inside ``evals/<task>/``) of a second annotator's independent annotation."""
_DOC_KEYS = {"doc_id", "source", "annotator", "region_start", "region_end", "notes", "excluded"}


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


@dataclass(frozen=True)
class Region:
    """The stretch of the document that is annotated (e.g. the first copy of an article)."""

    start: int
    end: int


def region_of(text: str, src: dict[str, Any]) -> Region:
    start, end = 0, len(text)
    if marker := src.get("region_start"):
        start = locate(text, marker, what="region_start")[0]
    if marker := src.get("region_end"):
        end = locate(text, marker, what="region_end")[0]
    return Region(start, end)


def load_source(path: Path) -> dict[str, Any]:
    """Parse one annotation source file."""
    with path.open("rb") as fh:
        return tomllib.load(fh)


class Compiler:
    """Compiles one task's annotation sources (paths are relative to ``root``)."""

    def __init__(self, task: Task, root: Path) -> None:
        self.task = task
        self.root = root

    def text_of(self, src: dict[str, Any]) -> str:
        return (self.root / src["source"]).read_bytes().decode("utf-8")

    def _record(self, kind: str, text: str, region: Region, raw: dict[str, Any]) -> dict[str, Any]:
        spec = self.task.records[kind]
        fields = self.task.record_model(kind).model_fields
        where = f"{spec.singular} {raw.get(spec.id or spec.anchor)!r}"
        allowed = {*fields, "note", f"{spec.quote}_occurrence", f"{spec.anchor}_occurrence"}
        if extra := set(raw) - allowed:
            raise AnnotationError(f"{where}: unknown keys {sorted(extra)}")
        if not raw.get(spec.quote):
            raise AnnotationError(f"{where}: no {spec.quote} quote")
        es, ee = locate(
            text, raw[spec.quote], start=region.start, end=region.end,
            occurrence=raw.get(f"{spec.quote}_occurrence"), what=f"{where} {spec.quote}",
        )  # fmt: skip
        record = {k: v for k, v in raw.items() if k in fields or k == "note"}
        record[spec.quote] = text[es:ee]
        try:
            span = locate(
                text, str(raw.get(spec.anchor) or ""), start=es, end=ee,
                occurrence=raw.get(f"{spec.anchor}_occurrence"), what=f"{where} {spec.anchor}",
            )  # fmt: skip
            if spec.anchor_required:
                record[spec.anchor] = text[span[0] : span[1]]
        except AnnotationError:
            if spec.anchor_required:
                raise
            span = (es, ee)  # the anchor is not verbatim: the quote stands for it
        record["span"], record["evidence_span"] = span, (es, ee)
        check = self.task.hook("check_gold")
        problems = check(kind, record) if check else []
        if problems:
            raise AnnotationError(f"{where}: {'; '.join(problems)}")
        return record

    def build(self, src: dict[str, Any]) -> GoldDoc:
        """Build one gold document from a parsed annotation source."""
        kinds = self.task.kinds
        if extra := set(src) - _DOC_KEYS - set(kinds):
            raise AnnotationError(f"document {src.get('doc_id')}: unknown keys {sorted(extra)}")
        text = self.text_of(src)
        region = region_of(text, src)
        records: dict[str, list[dict[str, Any]]] = {}
        for kind in kinds:
            records[kind] = [self._record(kind, text, region, r) for r in src.get(kind, [])]
        self._check_ids_and_links(src["doc_id"], records)
        data = {
            "doc_id": src["doc_id"],
            "source": src["source"],
            "text_sha256": text_sha256(text),
            "annotator": src["annotator"],
            "notes": list(src.get("notes", [])),
            **records,
        }
        try:
            return gold_model(self.task).model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise AnnotationError(f"document {src['doc_id']}: {where}: {first['msg']}") from None

    def _check_ids_and_links(self, doc_id: str, records: dict[str, list[dict[str, Any]]]) -> None:
        ids: dict[str, set[str]] = {}
        for kind, spec in self.task.records.items():
            if spec.id:
                found = [str(r.get(spec.id)) for r in records[kind]]
                if len(found) != len(set(found)):
                    raise AnnotationError(f"duplicate {kind} ids in {doc_id}")
                ids[kind] = set(found)
            if spec.anchor_required:
                spans = [tuple(r["span"]) for r in records[kind]]
                if len(spans) != len(set(spans)):
                    dup = sorted({s for s in spans if spans.count(s) > 1})
                    raise AnnotationError(f"two {kind} share a span in {doc_id}: {dup}")
        for kind, spec in self.task.records.items():
            for link, target in spec.links.items():
                for r in records[kind]:
                    if r.get(link) is not None and str(r[link]) not in ids.get(target, set()):
                        raise AnnotationError(
                            f"{doc_id}: {spec.singular} {r.get(spec.anchor)!r} links "
                            f"{link}={r[link]!r}, not an id of {target}"
                        )

    def audit(self, src: dict[str, Any]) -> list[tuple[int, str]]:
        """Numbers in the annotated region covered by no record anchor and no ``excluded``
        quote: a checklist for the annotator, so every number gets an explicit decision."""
        text = self.text_of(src)
        region = region_of(text, src)
        doc = self.build(src)
        counted = [k for k, s in self.task.records.items() if s.value] or list(self.task.records)
        covered = [tuple(r["span"]) for k in counted for r in doc.records(k)]
        for ex in src.get("excluded", []):
            pattern = quote_pattern(ex["quote"])
            covered += [
                (h.start(), h.end()) for h in pattern.finditer(text, region.start, region.end)
            ]
        # Character numerals start at 二: 一 is everywhere (一线, 统一, 一批) and would drown it.
        numbers = re.compile(
            rf"\d+(?:\.\d+)?|[{_HAN_NUMERAL[3:]}]+(?=[个個名位批人项項家条條种種亩畝])"
        )
        out = []
        for m in numbers.finditer(text, region.start, region.end):
            if not any(s <= m.start() and m.end() <= e for s, e in covered):
                out.append(
                    (m.start(), text[max(0, m.start() - 12) : m.end() + 8].replace("\n", " "))
                )
        return out

    def compile_all(self, *, check: bool = False) -> tuple[list[str], list[Path]]:
        """Rebuild every gold file and the schema: ``src/`` -> ``gold/``, and a second
        annotator's ``second/src/`` -> ``second/gold/`` (kept apart to measure agreement).
        Returns (summary lines, stale or written paths): with ``check`` nothing is written and
        the paths are the stale ones."""
        folder = self.task.eval_dir
        wanted = {folder / "gold.schema.json": render_schema(self.task)}
        lines = []
        for base in (folder, folder / SECOND):
            for path in sorted((base / "src").glob("*.toml")):
                try:
                    doc = self.build(load_source(path))
                except (AnnotationError, tomllib.TOMLDecodeError, OSError, KeyError) as exc:
                    raise AnnotationError(f"{path}: {exc}") from exc
                wanted[base / "gold" / f"{doc.doc_id}.json"] = render_gold(doc)
                counts = ", ".join(f"{len(doc.records(k))} {k}" for k in self.task.kinds)
                prefix = "" if base == folder else f"{SECOND}/"
                lines.append(f"{prefix}{doc.doc_id}: {counts}")
        changed = []
        for out, content in wanted.items():
            if out.exists() and out.read_text(encoding="utf-8") == content:
                continue
            changed.append(out)
            if not check:
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_text(content, encoding="utf-8")
        return lines, changed


def render_schema(task: Task) -> str:
    """The text of ``gold.schema.json``."""
    return json.dumps(gold_json_schema(task), ensure_ascii=False, indent=2) + "\n"
