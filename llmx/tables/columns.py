"""Column types of the export tables, and how a value is made to fit one.

Eight types, enough for what a task's record model can declare and what JSON can carry:

==============  ===================  ==============  ========================================
type            Python value          Arrow / DuckDB  CSV cell
==============  ===================  ==============  ========================================
string          ``str``               string/VARCHAR  the text
integer         ``int``               int64/BIGINT    ``320``
float           ``float``             double/DOUBLE   ``320.0``
boolean         ``bool``              bool/BOOLEAN    ``true`` / ``false``
list<string>    ``list[str]``         list/VARCHAR[]  JSON text ``["广州市"]``
list<integer>   ``list[int]``         list/BIGINT[]   JSON text
list<float>     ``list[float]``       list/DOUBLE[]   JSON text
json            ``str`` (JSON text)   string/VARCHAR  the JSON text (nested objects, mixed lists)
==============  ===================  ==============  ========================================

Every column is nullable (``None`` -> empty CSV cell, SQL NULL, pandas NA). A column's type
comes from the task's record model where it declares one, else from the values; a value that
does not fit the declared type (a hand-edited file) turns the whole column into ``json``, so
no value is ever dropped or silently converted.
"""

from __future__ import annotations

import json
import types
import typing
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

ColumnType = Literal[
    "string", "integer", "float", "boolean", "list<string>", "list<integer>", "list<float>", "json"
]
SCALARS: tuple[ColumnType, ...] = ("string", "integer", "float", "boolean")


@dataclass(frozen=True, slots=True)
class Column:
    """One column: its name and type (every column is nullable)."""

    name: str
    type: ColumnType


def convert(value: Any, kind: ColumnType) -> Any:
    """``value`` as stored in a column of ``kind`` (which :func:`infer` chose to fit it)."""
    if value is None:
        return None
    if kind == "json":
        return json.dumps(value, ensure_ascii=False)
    if kind == "float":
        return float(value)
    if kind == "list<float>":
        return [float(v) for v in value]
    if kind.startswith("list<"):
        return list(value)
    return value


def infer(values: Iterable[Any], declared: ColumnType | None = None) -> ColumnType:
    """The type of a column: ``declared`` when every value fits it, else the narrowest type
    every value fits (``json`` when none does). All-null columns take ``declared`` or string."""
    present = [v for v in values if v is not None]
    types = {type(v) for v in present}  # decided on the set of types: one pass over values
    items = {type(i) for v in present if isinstance(v, list) for i in v}
    if declared is not None and _all_fit(types, items, declared):
        return declared
    if not present:
        return "string"
    order: tuple[ColumnType, ...] = (
        "boolean",
        "integer",
        "float",
        "string",
        "list<string>",
        "list<integer>",
        "list<float>",
    )
    return next((kind for kind in order if _all_fit(types, items, kind)), "json")


def _all_fit(types: set[type], items: set[type], kind: ColumnType) -> bool:
    """Whether values of these ``types`` (lists holding ``items``) all fit ``kind``."""
    if kind == "json":
        return True
    if kind.startswith("list<"):
        item = typing.cast(ColumnType, kind[5:-1])
        return all(issubclass(t, list) for t in types) and _all_fit(items, set(), item)
    return all(_scalar_fits(t, kind) for t in types)


def _scalar_fits(cls: type, kind: ColumnType) -> bool:
    if kind == "string":
        return issubclass(cls, str)
    if kind == "boolean":
        return issubclass(cls, bool)
    if issubclass(cls, bool):
        return False
    if kind == "integer":
        return issubclass(cls, int)
    return kind == "float" and issubclass(cls, int | float)


def from_annotation(annotation: Any) -> ColumnType | None:
    """The column type a Pydantic field annotation declares (``None`` when it declares none
    that a column can hold, e.g. ``Any``): ``str | None`` -> string, ``list[Literal[...]]``
    -> list<string>, a nested model or dict -> json."""
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        kinds = {from_annotation(a) for a in args}
        return kinds.pop() if len(kinds) == 1 else "json"
    if origin is Literal:
        kinds = {_python_type(type(a)) for a in args}
        return kinds.pop() if len(kinds) == 1 and None not in kinds else "json"
    if origin in (list, tuple, set, frozenset):
        item = from_annotation(args[0]) if len(args) == 1 or Ellipsis in args else None
        return typing.cast(ColumnType, f"list<{item}>") if item in SCALARS[:3] else "json"
    if annotation is Any:
        return None
    if isinstance(annotation, type):
        return _python_type(annotation) or "json"
    return "json"


def _python_type(cls: type) -> ColumnType | None:
    if issubclass(cls, bool):
        return "boolean"
    if issubclass(cls, int):
        return "integer"
    if issubclass(cls, float):
        return "float"
    if issubclass(cls, str):
        return "string"
    return None
