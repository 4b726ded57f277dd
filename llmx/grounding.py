"""Ground records in the source: find each quote and anchor in the text, compute spans in code.

Offsets from a model are never trusted. For each record the quote (``evidence``) is located in
the cleaned text -- exact first, then on a normalised view (traditional→simplified, full-width
→half-width, whitespace ignored), then fuzzily (rapidfuzz) -- preferring the chunk the record
came from; the anchor (``value_text`` / ``name``) is then located inside the quote. Spans are
mapped back through the cleaning offset map so they index the document text as read, and the
record's ``evidence`` / anchor text are replaced by the exact source slices.

A record whose required anchor cannot be found is dropped (and counted in the warnings), or
kept with ``grounding = "ungrounded"`` when the caller asks for it.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz

from llmx.core.documents import Chunk, CleanedText
from llmx.quantities import UNITS, Quantity, find_quantities, parse_quantity
from llmx.tasks import RecordSpec, Task
from llmx.text.pinyin import GLUED_LATIN
from llmx.text.script import normalize_for_matching, to_simplified
from llmx.text.sentences import span_between

FUZZY_MIN_SCORE = 90.0
_NON_WS_RUN = re.compile(r"\S+")
_CLAUSE_END = "。！？!?；;\n"


@dataclass(slots=True)
class _View:
    """A normalised, whitespace-free view of a string with a map back to its indices."""

    text: str
    index: list[int]

    @classmethod
    def of(cls, s: str) -> _View:
        norm = normalize_for_matching(s)
        keep: list[int] = []
        parts: list[str] = []
        for run in _NON_WS_RUN.finditer(norm):  # runs, not characters: ~8x faster
            keep.extend(range(run.start(), run.end()))
            parts.append(run.group())
        return cls("".join(parts), keep)


@dataclass(slots=True)
class Grounder:
    """Locates records of one document (built once per document)."""

    cleaned: CleanedText
    original: str
    notes: list[str] = field(default_factory=list)  # corrections made while grounding
    _view_built: _View | None = field(default=None, init=False)
    _parsed: dict[str, Quantity | None] = field(default_factory=dict, init=False)

    @property
    def _view(self) -> _View:
        # Built on first need: a quote found exactly (all of the rules extractor's, most of a
        # good model's) never needs the normalised view, and it cost ~0.7 ms per document.
        if self._view_built is None:
            self._view_built = _View.of(self.cleaned.text)
        return self._view_built

    # -- locating ----------------------------------------------------------------------------

    def locate(
        self, needle: str, lo: int, hi: int, *, fuzzy: bool = False
    ) -> tuple[int, int, str] | None:
        """Find ``needle`` in ``cleaned.text[lo:hi]``: (start, end, method) in cleaned coords."""
        text = self.cleaned.text
        if not needle or not needle.strip():
            return None
        pos = text.find(needle, lo, hi)
        if pos >= 0:
            return pos, pos + len(needle), "exact"
        probe = _View.of(needle).text
        if not probe:
            return None
        idx = self._view.index
        # restrict the normalised view to [lo, hi)
        vlo = bisect_left(idx, lo)
        vhi = bisect_left(idx, hi)
        # A quote copied from the page as given keeps pinyin glued after characters
        # (協(xié)作) that cleaning removed from the text: try it without them too.
        bare = _View.of(GLUED_LATIN.sub("", needle)).text
        for candidate in dict.fromkeys((probe, bare)):
            vpos = self._view.text.find(candidate, vlo, vhi) if candidate else -1
            if vpos >= 0:
                return idx[vpos], idx[vpos + len(candidate) - 1] + 1, "normalized"
        probe = bare or probe
        if fuzzy and len(probe) >= 8 and vhi > vlo:
            window = self._view.text[vlo:vhi]
            hit = fuzz.partial_ratio_alignment(probe, window, score_cutoff=FUZZY_MIN_SCORE)
            if hit is not None and hit.dest_end > hit.dest_start:
                s, e = vlo + hit.dest_start, vlo + hit.dest_end - 1
                return idx[s], idx[e] + 1, "fuzzy"
        return None

    def clause_around(self, start: int, end: int) -> tuple[int, int]:
        """The sentence (up to and including its end mark) that contains ``[start, end)``."""
        text = self.cleaned.text
        s, e = span_between(text, start, end, _CLAUSE_END)
        if e < len(text):
            e += 1
        while s < e and text[s].isspace():
            s += 1
        return s, e

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        return self.cleaned.span_to_original(start, end)

    # -- one record --------------------------------------------------------------------------

    def ground(
        self, record: dict[str, Any], spec: RecordSpec, chunk: Chunk
    ) -> tuple[dict[str, Any] | None, str | None]:
        """(grounded record, None) or (None, reason it could not be grounded)."""
        rec = dict(record)
        hint_span = rec.pop("_span", None)
        hint_evidence = rec.pop("_evidence_span", None)
        quote = str(rec.get(spec.quote) or "")
        anchor = str(rec.get(spec.anchor) or "")
        whole = len(self.cleaned.text)

        evidence = self._verified_hint(hint_evidence, chunk, quote)
        if evidence is None:
            evidence = self.locate(quote, chunk.start, chunk.end, fuzzy=True) or self.locate(
                quote, 0, whole, fuzzy=True
            )

        span = self._verified_hint(hint_span, chunk, anchor)
        if span is None and evidence is not None:
            span = self.locate(anchor, evidence[0], evidence[1])
        if span is None and spec.anchor_required and evidence is not None:
            span = self._quantity_fallback(rec, spec, evidence[0], evidence[1])
        if span is None and spec.anchor_required:
            # The quote was paraphrased: accept the anchor alone if it is unique in the chunk.
            found = self.locate(anchor, chunk.start, chunk.end)
            if (
                found is not None
                and self.cleaned.text.count(
                    self.cleaned.text[found[0] : found[1]], chunk.start, chunk.end
                )
                == 1
            ):
                span = found
                cs, ce = self.clause_around(found[0], found[1])
                evidence = (cs, ce, "anchor_only")

        if evidence is None and span is None:
            return None, f"quote not found in source: {quote[:40]!r}"
        if span is None and spec.anchor_required:
            return None, f"{spec.anchor} not found in source: {anchor[:40]!r}"
        if evidence is None:
            assert span is not None
            cs, ce = self.clause_around(span[0], span[1])
            evidence = (cs, ce, "anchor_only")
        if span is None:
            span = (evidence[0], evidence[1], evidence[2])
        if spec.value and spec.anchor_required and self._parse(self._slice(span)) is None:
            # The quoted anchor holds no quantity, so the number came from nowhere -- unless
            # the quote around it has exactly that number.
            span = self._quantity_fallback(rec, spec, evidence[0], evidence[1])
            if span is None:
                return None, (
                    f"{spec.value} {rec.get(spec.value)!r} has no quantity in its quote "
                    f"{anchor[:40]!r}"
                )

        ev_o = self.to_original(evidence[0], evidence[1])
        sp_o = self.to_original(span[0], span[1])
        rec[spec.quote] = self.original[ev_o[0] : ev_o[1]]
        if spec.anchor_required or span[:2] != evidence[:2]:
            rec[spec.anchor] = self.original[sp_o[0] : sp_o[1]]
        rec["span"] = list(sp_o)
        rec["evidence_span"] = list(ev_o)
        if spec.value and spec.anchor_required:
            self._check_value(rec, spec)
        methods = (evidence[2], span[2])
        rec["grounding"] = next(
            (m for m in ("anchor_only", "fuzzy", "normalized") if m in methods), "exact"
        )
        return rec, None

    def _verified_hint(
        self, hint: list[int] | None, chunk: Chunk, expected: str
    ) -> tuple[int, int, str] | None:
        """A backend's chunk-relative span, accepted only if it slices to ``expected``."""
        if hint is None:
            return None
        s, e = chunk.start + hint[0], chunk.start + hint[1]
        return (s, e, "exact") if self.cleaned.text[s:e] == expected else None

    def _parse(self, anchor: str) -> Quantity | None:
        # An anchor is parsed to check it holds a quantity, then again to check its value:
        # usually the same string, so once per document (the result is only read).
        if anchor not in self._parsed:
            self._parsed[anchor] = parse_quantity(anchor)
        return self._parsed[anchor]

    def _slice(self, span: tuple[int, int, str]) -> str:
        return self.cleaned.text[span[0] : span[1]]

    def _check_value(self, rec: dict[str, Any], spec: RecordSpec) -> None:
        """Numbers and unit must be the ones written in the source: 320余人次 cannot carry
        1000, a range bound the text lacks, or 万元. Disagreements are corrected, and noted."""
        assert spec.value is not None
        parsed = self._parse(str(rec[spec.anchor]))
        if parsed is None:
            return
        quoted = rec[spec.anchor]
        fixes: list[tuple[str, Any, Any]] = []
        if not _same_number(parsed.value, rec.get(spec.value)):
            fixes.append((spec.value, rec.get(spec.value), parsed.value))
        if spec.value_max is not None:
            claimed = rec.get(spec.value_max)
            if parsed.value_max is None:
                if claimed is not None:
                    fixes.append((spec.value_max, claimed, None))
            elif not _same_number(parsed.value_max, claimed):
                fixes.append((spec.value_max, claimed, parsed.value_max))
        unit = spec.unit
        if unit and parsed.unit and not _same_unit(rec.get(unit), parsed, str(quoted)):
            fixes.append((unit, rec.get(unit), parsed.unit))
        for name, was, now in fixes:
            shown = f"{now:g}" if isinstance(now, float) else repr(now)
            self.notes.append(
                f"{name} {was!r} disagrees with the source {quoted!r}; corrected to {shown}"
            )
            rec[name] = now

    def _quantity_fallback(
        self, rec: dict[str, Any], spec: RecordSpec, lo: int, hi: int
    ) -> tuple[int, int, str] | None:
        """The model rewrote the number (e.g. 三百二十 → 320): find the quantity by value."""
        wanted = rec.get(spec.value) if spec.value else None
        parsed = parse_quantity(str(rec.get(spec.anchor) or ""))
        if parsed is not None:
            wanted = parsed.value
        if wanted is None:
            return None
        candidates = [
            q for q in find_quantities(self.cleaned.text[lo:hi]) if _same_number(q.value, wanted)
        ]
        if len(candidates) != 1:
            return None
        q = candidates[0]
        return lo + q.start, lo + q.end, "normalized"


def _same_unit(claimed: Any, parsed: Quantity, quoted: str) -> bool:
    """名 and 人 agree (same canonical unit and factor), 元 and 万元 do not; 批次 agrees with
    the parsed 批 when the quote says 批次."""
    if not isinstance(claimed, str) or not claimed.strip() or parsed.unit is None:
        return False
    mine = to_simplified(claimed.strip())
    theirs = parsed.unit_simplified or to_simplified(parsed.unit)
    if mine == theirs:
        return True
    if mine in UNITS and theirs in UNITS:
        return UNITS[mine][1:] == UNITS[theirs][1:]
    return mine.startswith(theirs) and mine in to_simplified(quoted)


def _same_number(a: float | None, b: Any) -> bool:
    try:
        return a is not None and abs(float(a) - float(b)) < 1e-9
    except (TypeError, ValueError):
        return False


def ground_chunk(
    grounder: Grounder,
    task: Task,
    chunk: Chunk,
    records: dict[str, list[dict[str, Any]]],
    *,
    keep_ungrounded: bool = False,
) -> tuple[dict[str, list[dict[str, Any]]], list[str]]:
    """Ground every record of a chunk. Returns (records by kind, warnings)."""
    out: dict[str, list[dict[str, Any]]] = {}
    warnings: list[str] = []
    for kind, spec in task.records.items():
        kept: list[dict[str, Any]] = []
        for raw in records.get(kind) or []:
            rec, why = grounder.ground(raw, spec, chunk)
            if rec is not None:
                kept.append(rec)
                continue
            warnings.append(f"ungrounded {kind[:-1] if kind.endswith('s') else kind}: {why}")
            if keep_ungrounded:
                flagged = {k: v for k, v in raw.items() if not k.startswith("_")}
                flagged.update(span=None, evidence_span=None, grounding="ungrounded")
                kept.append(flagged)
        out[kind] = kept
    warnings.extend(grounder.notes)
    grounder.notes.clear()
    return out, warnings
