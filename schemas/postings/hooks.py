"""The ``postings`` task's hooks: a posting in one line, the annotation rules beyond the
schema, and the offline extractor (``rules.py``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from llmx.quantities import find_quantities

from .rules import extract_postings


def _places(value: Any) -> str:
    items = [str(v) for v in value or [] if str(v).strip()]
    return "、".join(items) or "?"


def summarize(kind: str, record: Mapping[str, Any]) -> str:
    """One line: ``who (count) origin→destination role period``."""
    who = str(record.get("who") or "?")
    count = record.get("count")
    if count is not None and str(count) not in who:
        who += f"（{count}人）"
    line = f"{who} {_places(record.get('origin'))}→{_places(record.get('destination'))}"
    line += f" {record.get('role') or '?'}"
    if record.get("period"):
        line += f"，{record['period']}"
    return line


def extract_offline(text: str) -> dict[str, list[dict[str, Any]]]:
    """The rules extractor: the baseline, and the backend that needs no server."""
    return {"postings": extract_postings(text)}


# --- annotation rules (GUIDELINES.md §3), checked by `llmx task annotate postings` ----------


def check_gold(kind: str, record: Mapping[str, Any]) -> list[str]:
    """The count and batches written inside ``who`` must be the ones annotated, and a posting
    names where its people come from or go to."""
    problems: list[str] = []
    found = find_quantities(str(record.get("who") or ""))
    people = [q.value for q in found if q.kind == "people"]
    batches = [q.value for q in found if q.unit_simplified == "批"]
    if people and record.get("count") != people[-1]:
        problems.append(f"count {record.get('count')} but who says {people[-1]:g}")
    if batches and record.get("batches") != batches[0]:
        problems.append(f"batches {record.get('batches')} but who says {batches[0]:g}")
    if not record.get("origin") and not record.get("destination"):
        problems.append("neither an origin nor a destination")
    return problems
