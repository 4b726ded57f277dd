"""Merge grounded records from a document's chunks into one result.

- Records are deduplicated by their grounded anchor span (the same quantity found twice -- e.g.
  by overlapping context -- is one record); id-bearing records (programmes) also by name.
- Chunk-local ids (each chunk's model numbers its programmes P1, P2, ...) become document-level
  ids, and link fields (``metric.programme``) are rewritten to match; a link to an id the
  chunk never defined becomes null, with a warning.
"""

from __future__ import annotations

from typing import Any

from llmx.tasks import Task
from llmx.text.script import normalize_for_matching


def _name_key(value: Any) -> str:
    return "".join(normalize_for_matching(str(value or "")).split())


class Merger:
    """Accumulates chunks in order; ``result()`` gives the merged records by kind."""

    def __init__(self, task: Task) -> None:
        self.task = task
        self.records: dict[str, list[dict[str, Any]]] = {k: [] for k in task.records}
        self.warnings: list[str] = []
        self._seen_spans: dict[str, set[tuple[int, int] | None]] = {k: set() for k in task.records}
        self._by_name: dict[str, dict[str, Any]] = {}  # normalised name -> kept record
        self._id_kind = next((k for k, s in task.records.items() if s.id), None)

    def add_chunk(self, chunk_records: dict[str, list[dict[str, Any]]]) -> None:
        local_to_global: dict[str, str] = {}
        if self._id_kind is not None:
            spec = self.task.records[self._id_kind]
            assert spec.id is not None
            kept = self.records[self._id_kind]
            for rec in chunk_records.get(self._id_kind, []):
                local = str(rec.get(spec.id) or "")
                key = _name_key(rec.get(spec.anchor))
                if key and key in self._by_name:
                    same = self._by_name[key]
                    _union_lists(same, rec)
                    global_id = same[spec.id]
                else:
                    global_id = f"P{len(kept) + 1}"
                    rec = {**rec, spec.id: global_id}
                    kept.append(rec)
                    if key:
                        self._by_name[key] = rec
                if local:
                    local_to_global[local] = global_id

        for kind, spec in self.task.records.items():
            if kind == self._id_kind:
                continue
            for rec in chunk_records.get(kind, []):
                span = tuple(rec["span"]) if rec.get("span") else None
                if span is not None and span in self._seen_spans[kind]:
                    continue
                self._seen_spans[kind].add(span)
                if spec.link and rec.get(spec.link) is not None:
                    target = local_to_global.get(str(rec[spec.link]))
                    if target is None:
                        self.warnings.append(
                            f"{kind}: link {spec.link}={rec[spec.link]!r} names no programme; "
                            "set to null"
                        )
                    rec = {**rec, spec.link: target}
                self.records[kind].append(rec)

    def result(self) -> dict[str, list[dict[str, Any]]]:
        for kind in self.records:
            self.records[kind].sort(key=lambda r: (r.get("span") or [10**12])[0])
        return self.records


def _union_lists(into: dict[str, Any], other: dict[str, Any]) -> None:
    """Merge list fields (donors, recipients, domains) of a repeated programme."""
    for key, value in other.items():
        if key in ("span", "evidence_span"):
            continue  # offsets, not sets
        if isinstance(value, list) and isinstance(into.get(key), list):
            into[key] = list(dict.fromkeys([*into[key], *value]))
