"""A task's scoring spec: how the scorer compares two records of one kind, declared as data.

A task module declares ``SCORING = {kind: {...}}``; for example (a record kind ``postings``)::

    SCORING = {
        "postings": {
            "location": 0.3,                  # weight of "about the same stretch of text"
            "admit": {"location": "any"},     # a pair may match only if one of these holds
            "fields": {
                "role":   {"compare": "text", "key": True, "weight": 0.3},
                "count":  {"compare": "number", "key": True, "weight": 0.2},
                "origin": {"compare": "set", "key": True, "weight": 0.1},
                "period": {"compare": "label", "weight": 0.1},
            },
        },
    }

- ``fields``: each scored field with ``compare`` (a comparator name from
  :mod:`llmx.evaluation.comparators`, or from the task's ``COMPARATORS`` hook), ``key`` (key
  fields decide strict matching: a matched pair with a differing key field is ``partial``),
  ``weight`` (its share of the record similarity) and ``options`` (comparator arguments).
  Fields not listed are not scored. Link fields (``RECORDS[kind]["links"]``) use ``link``.
- ``location``: weight of the location similarity (span overlap, else quote similarity).
- ``admit``: ``{"location" | field: floor}``; a pair is admissible when any one reaches its
  floor (``"any"``: above zero). Admissible pairs with similarity >= ``min_similarity`` can be
  aligned.
- ``min_similarity``: below it two records are not the same record (default 0.5).
- ``split_by``: a field whose values divide the kind into sub-kinds reported separately
  (e.g. ``kind`` -> partnership / initiative figures beside the kind's overall ones).

Without a ``SCORING`` entry a kind is scored with :func:`default_scoring`.
This module is pure data and parsing (no scoring code), so loading a task stays cheap.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

if TYPE_CHECKING:
    from llmx.tasks import RecordSpec

ANY = "any"
"""An ``admit`` floor meaning "above zero"."""


class SpecError(ValueError):
    """A scoring spec is malformed (the message names the kind and field)."""


@dataclass(frozen=True, slots=True)
class FieldRule:
    """How one field is compared.

    Attributes:
        name: The record field.
        compare: Comparator name.
        key: Whether a difference makes a matched pair ``partial``.
        weight: Share of the record similarity.
        options: Comparator arguments (e.g. ``{"tolerance": 0.01}``).
    """

    name: str
    compare: str = "exact"
    key: bool = False
    weight: float = 0.0
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class KindScoring:
    """How records of one kind are compared (see the module docstring)."""

    kind: str
    fields: tuple[FieldRule, ...]
    location: float = 0.0
    admit: Mapping[str, float | str] = field(default_factory=lambda: {"location": ANY})
    min_similarity: float = 0.5
    split_by: str | None = None

    @property
    def key_fields(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.key)

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def rule(self, name: str) -> FieldRule | None:
        return next((f for f in self.fields if f.name == name), None)


def _is_list(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return any(_is_list(a) for a in typing.get_args(annotation) if a is not type(None))
    return origin in (list, set, frozenset, tuple)


def _is_number(annotation: Any) -> bool:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return bool(args) and all(_is_number(a) for a in args)
    return annotation in (int, float)


def default_scoring(spec: RecordSpec, item: type[BaseModel]) -> KindScoring:
    """Scoring for a kind the task did not describe: the anchor compares as text (key), links
    through the alignment, lists as sets, numbers as numbers, everything else exactly; every
    field weighs the same; the quote and the id are not scored (they are located, not
    judged)."""
    rules: list[FieldRule] = []
    skip = {spec.quote, spec.id}
    names = [n for n in item.model_fields if n not in skip]
    for name in names:
        annotation = item.model_fields[name].annotation
        if name in spec.links:
            compare = "link"
        elif name == spec.anchor:
            compare = "text"
        elif _is_list(annotation):
            compare = "set"
        elif _is_number(annotation):
            compare = "number"
        else:
            compare = "label"
        rules.append(
            FieldRule(name, compare, key=name not in spec.links, weight=0.6 / max(len(names), 1))
        )
    return KindScoring(spec.kind, tuple(rules), location=0.4)


def _floor(value: Any, where: str) -> float | str:
    if value == ANY:
        return ANY
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 1:
        return float(value)
    raise SpecError(f"{where}: admit floor must be a number in [0, 1] or {ANY!r}")


def parse_kind(
    kind: str, raw: Mapping[str, Any], spec: RecordSpec, item: type[BaseModel]
) -> KindScoring:
    """Parse one kind's entry of ``SCORING``."""
    unknown = set(raw) - {"fields", "location", "admit", "min_similarity", "split_by"}
    if unknown:
        raise SpecError(f"{kind}: unknown keys {sorted(unknown)}")
    raw_fields = raw.get("fields")
    if not isinstance(raw_fields, Mapping) or not raw_fields:
        raise SpecError(f"{kind}: 'fields' must map field names to rules")
    rules: list[FieldRule] = []
    for name, rule in raw_fields.items():
        where = f"{kind}.{name}"
        if name not in item.model_fields:
            raise SpecError(f"{where}: not a field of {item.__name__}")
        if not isinstance(rule, Mapping):
            raise SpecError(f"{where}: a rule is a table like {{'compare': 'text'}}")
        bad = set(rule) - {"compare", "key", "weight", "options"}
        if bad:
            raise SpecError(f"{where}: unknown keys {sorted(bad)}")
        weight = rule.get("weight", 0.0)
        if not isinstance(weight, int | float) or weight < 0:
            raise SpecError(f"{where}: weight must be a number >= 0")
        compare = rule.get("compare", "link" if name in spec.links else "exact")
        if not isinstance(compare, str):
            raise SpecError(f"{where}: compare must be a comparator name")
        if compare == "link" and name not in spec.links:
            raise SpecError(f"{where}: compare 'link' needs RECORDS[{kind!r}]['links'][{name!r}]")
        rules.append(
            FieldRule(
                name,
                compare,
                key=bool(rule.get("key", False)),
                weight=float(weight),
                options=dict(rule.get("options") or {}),
            )
        )
    location = raw.get("location", 0.0)
    if not isinstance(location, int | float) or location < 0:
        raise SpecError(f"{kind}: location must be a weight >= 0")
    admit_raw = raw.get("admit", {"location": ANY})
    if not isinstance(admit_raw, Mapping) or not admit_raw:
        raise SpecError(f"{kind}: admit must map 'location' or field names to floors")
    names = {r.name for r in rules}
    admit: dict[str, float | str] = {}
    for name, value in admit_raw.items():
        if name != "location" and name not in names:
            raise SpecError(f"{kind}: admit names {name!r}, not a scored field")
        admit[name] = _floor(value, f"{kind}.admit.{name}")
    min_sim = raw.get("min_similarity", 0.5)
    if not isinstance(min_sim, int | float) or not 0 <= min_sim <= 1:
        raise SpecError(f"{kind}: min_similarity must be in [0, 1]")
    split_by = raw.get("split_by")
    if split_by is not None and split_by not in item.model_fields:
        raise SpecError(f"{kind}: split_by names {split_by!r}, not a field of {item.__name__}")
    return KindScoring(kind, tuple(rules), float(location), admit, float(min_sim), split_by)


def parse_scoring(
    raw: Mapping[str, Any], records: Mapping[str, RecordSpec], model: type[BaseModel]
) -> dict[str, KindScoring]:
    """Every kind's scoring: parsed from ``raw`` (a task's ``SCORING``), else the default."""
    if not isinstance(raw, Mapping):
        raise SpecError("must map record kinds to scoring rules")
    if unknown := set(raw) - set(records):
        raise SpecError(f"names {sorted(unknown)}, not record kinds in RECORDS")
    out: dict[str, KindScoring] = {}
    for kind, spec in records.items():
        annotation = model.model_fields[kind].annotation
        item = getattr(annotation, "__args__", (None,))[0]
        if not (isinstance(item, type) and issubclass(item, BaseModel)):
            raise SpecError(f"{kind}: the response model's field is not a list of models")
        out[kind] = (
            parse_kind(kind, raw[kind], spec, item) if kind in raw else default_scoring(spec, item)
        )
    return out
