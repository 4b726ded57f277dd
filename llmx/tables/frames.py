"""Tables -> pandas DataFrames, with pandas' nullable dtypes so a missing value is ``pd.NA``
in every column (an integer column with a gap stays integer)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from llmx.tables.build import Table
from llmx.tables.writers import require

DTYPES = {
    "string": "string",
    "integer": "Int64",
    "float": "Float64",
    "boolean": "boolean",
    "json": "string",
}  # list columns stay object columns holding Python lists


def frame(table: Table) -> Any:
    """One table as a ``pandas.DataFrame`` (columns in the schema's order)."""
    pd = require("pandas", "to_frames()")
    data = {}
    for i, column in enumerate(table.columns):
        values = [row[i] for row in table.rows]
        dtype = DTYPES.get(column.type, "object")
        data[column.name] = pd.Series(values, dtype=dtype)
    return pd.DataFrame(data, columns=table.names)


def frames(tables: Mapping[str, Table]) -> dict[str, Any]:
    return {name: frame(table) for name, table in tables.items()}
