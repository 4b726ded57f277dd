"""llmx: grounded, schema-constrained information extraction from Chinese news.

Public API (everything else lives in modules whose internals may change)::

    from llmx import extract, extract_text, load_task, read_results
    results = extract(["seeds/"], task="cooperation")      # Results: a list of DocResult
    for r in results:
        r.records("metrics")                                  # plain dicts with spans
    results.to_frames()["metrics"]                            # pandas (pip install 'llmx[tables]')

- :func:`extract` / :func:`aextract` -- run a task over files, folders, globs, JSONL or
  :class:`Document` objects; keyword arguments are :class:`Settings` fields. ``extract``
  works in Jupyter too (a running event loop). :func:`extract_text` -- the same for strings.
- :class:`Results` -- what they return: a list of :class:`DocResult` with ``to_frames()``,
  ``to_pandas(kind)`` and ``export(path)`` (the tables of ``llmx export``, schema in
  :mod:`llmx.tables`); :func:`read_results` -- the same from output JSONL files.
- :class:`Document`, :class:`DocResult` (with :class:`DocError`, :class:`DocMeta`,
  :class:`Usage`) -- what goes in and what comes out.
- :class:`Settings`, :func:`load_settings` -- every setting and how they are merged.
- :func:`load_task`, :func:`available_tasks`, :class:`Task`, :class:`RecordSpec` -- tasks,
  the plug-in unit (schema + prompts + scoring spec + hooks).
- :class:`LLMXError` and its subclasses :class:`ConfigError`, :class:`TaskError`,
  :class:`InputError` -- what the API raises for bad settings, a bad task, or an input that
  is no path (a text passed to ``extract``).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from llmx._version import __version__

if TYPE_CHECKING:
    from llmx.api import InputError, aextract, extract, extract_text, read_results
    from llmx.config import ConfigError, Settings, load_settings
    from llmx.core.documents import Document
    from llmx.core.results import DocError, DocMeta, DocResult, Usage
    from llmx.errors import LLMXError
    from llmx.tables.results import Results
    from llmx.tasks import RecordSpec, Task, TaskError, available_tasks, load_task

# Public name -> the module defining it. Imported on first use (PEP 562), so ``import llmx.cli``
# for ``llmx --help`` does not pay for the extraction pipeline (numerals, grounding, asyncio).
_HOME = {
    "aextract": "llmx.api",
    "extract": "llmx.api",
    "extract_text": "llmx.api",
    "read_results": "llmx.api",
    "InputError": "llmx.api",
    "Results": "llmx.tables.results",
    "ConfigError": "llmx.config",
    "Settings": "llmx.config",
    "load_settings": "llmx.config",
    "Document": "llmx.core.documents",
    "DocError": "llmx.core.results",
    "DocMeta": "llmx.core.results",
    "DocResult": "llmx.core.results",
    "Usage": "llmx.core.results",
    "LLMXError": "llmx.errors",
    "RecordSpec": "llmx.tasks",
    "Task": "llmx.tasks",
    "TaskError": "llmx.tasks",
    "available_tasks": "llmx.tasks",
    "load_task": "llmx.tasks",
}


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'llmx' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_HOME])


__all__ = [
    "ConfigError",
    "DocError",
    "DocMeta",
    "DocResult",
    "Document",
    "InputError",
    "LLMXError",
    "RecordSpec",
    "Results",
    "Settings",
    "Task",
    "TaskError",
    "Usage",
    "__version__",
    "aextract",
    "available_tasks",
    "extract",
    "extract_text",
    "load_settings",
    "load_task",
    "read_results",
]
