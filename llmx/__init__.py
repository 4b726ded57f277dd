"""llmx: grounded, schema-constrained information extraction from Chinese news.

Public API (everything else lives in modules whose internals may change)::

    from llmx import extract, load_task
    results = extract(["seeds/"], task="cooperation")      # list[DocResult]
    for r in results:
        r.records("metrics")                                  # plain dicts with spans

- :func:`extract` / :func:`aextract` -- run a task over files, folders, globs, JSONL or
  :class:`Document` objects; keyword arguments are :class:`Settings` fields.
- :class:`Document`, :class:`DocResult` (with :class:`DocError`, :class:`DocMeta`,
  :class:`Usage`) -- what goes in and what comes out.
- :class:`Settings`, :func:`load_settings` -- every setting and how they are merged.
- :func:`load_task`, :func:`available_tasks`, :class:`Task`, :class:`RecordSpec` -- tasks,
  the plug-in unit (schema + prompts + scoring spec + hooks).
- :class:`LLMXError` and its subclasses :class:`ConfigError`, :class:`TaskError` -- what the
  API raises for bad settings or a bad task.
"""

from llmx._version import __version__
from llmx.api import aextract, extract
from llmx.config import ConfigError, Settings, load_settings
from llmx.core.documents import Document
from llmx.core.results import DocError, DocMeta, DocResult, Usage
from llmx.errors import LLMXError
from llmx.tasks import RecordSpec, Task, TaskError, available_tasks, load_task

__all__ = [
    "ConfigError",
    "DocError",
    "DocMeta",
    "DocResult",
    "Document",
    "LLMXError",
    "RecordSpec",
    "Settings",
    "Task",
    "TaskError",
    "Usage",
    "__version__",
    "aextract",
    "available_tasks",
    "extract",
    "load_settings",
    "load_task",
]
