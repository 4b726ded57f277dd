"""Merge grounded records from a document's chunks into one result.

- Records are deduplicated by their grounded anchor span (the same quantity found twice -- e.g.
  by overlapping context -- is one record); records of kinds with ids also by anchor (name).
- Chunk-local ids (each chunk's model numbers its records 1, 2, ...) become document-level
  ids minted as ``RECORDS[kind]["id_prefix"] + n``, and every link field
  (``RECORDS[kind]["links"]``) is rewritten to match; a link to an id the chunk never defined
  becomes null, with a warning.
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
        self._by_name: dict[str, dict[str, dict[str, Any]]] = {k: {} for k in task.records}

    def add_chunk(self, chunk_records: dict[str, list[dict[str, Any]]]) -> None:
        local_to_global: dict[str, dict[str, str]] = {}
        added: list[tuple[str, dict[str, Any]]] = []
        for kind in self.task.kinds:
            spec = self.task.records[kind]
            if spec.id is not None:
                local_to_global[kind] = self._add_identified(kind, chunk_records, added)
                continue
            for rec in chunk_records.get(kind, []):
                span = tuple(rec["span"]) if rec.get("span") else None
                if span is not None and span in self._seen_spans[kind]:
                    continue
                self._seen_spans[kind].add(span)
                rec = dict(rec)
                self.records[kind].append(rec)
                added.append((kind, rec))
        for kind, rec in added:  # links last: a link may name a record later in the chunk
            for link, target in self.task.records[kind].links.items():
                if rec.get(link) is None:
                    continue
                global_id = local_to_global.get(target, {}).get(str(rec[link]))
                if global_id is None:
                    self.warnings.append(
                        f"{kind}: link {link}={rec[link]!r} names no "
                        f"{self.task.records[target].singular}; set to null"
                    )
                rec[link] = global_id

    def _add_identified(
        self,
        kind: str,
        chunk_records: dict[str, list[dict[str, Any]]],
        added: list[tuple[str, dict[str, Any]]],
    ) -> dict[str, str]:
        """Keep this chunk's records of an id-bearing kind; chunk-local -> document ids."""
        spec = self.task.records[kind]
        assert spec.id is not None
        kept, by_name = self.records[kind], self._by_name[kind]
        mapping: dict[str, str] = {}
        for rec in chunk_records.get(kind, []):
            local = str(rec.get(spec.id) or "")
            key = _name_key(rec.get(spec.anchor))
            if key and key in by_name:
                same = by_name[key]
                _union_lists(same, rec)
                global_id = same[spec.id]
            else:
                global_id = f"{spec.id_prefix}{len(kept) + 1}"
                rec = {**rec, spec.id: global_id}
                kept.append(rec)
                added.append((kind, rec))
                if key:
                    by_name[key] = rec
            if local:
                mapping[local] = global_id
        return mapping

    def result(self) -> dict[str, list[dict[str, Any]]]:
        """The merged records by kind, in text order, passed through the task's ``enrich``
        hook when it has one (e.g. normalised forms of names added beside them)."""
        for kind in self.records:
            self.records[kind].sort(key=lambda r: (r.get("span") or [10**12])[0])
        enrich = self.task.hook("enrich")
        return enrich(self.records) if enrich is not None else self.records


def _union_lists(into: dict[str, Any], other: dict[str, Any]) -> None:
    """Merge the list fields (e.g. parties, domains) of a record seen again."""
    for key, value in other.items():
        if key in ("span", "evidence_span"):
            continue  # offsets, not sets
        if isinstance(value, list) and isinstance(into.get(key), list):
            into[key] = list(dict.fromkeys([*into[key], *value]))
