"""The public surface is pinned: adding or removing a name is a deliberate, reviewed change."""

from __future__ import annotations

import llmx

PUBLIC = [
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


def test_all_is_pinned() -> None:
    assert sorted(llmx.__all__) == sorted(PUBLIC)


def test_every_exported_name_exists_and_is_documented() -> None:
    for name in llmx.__all__:
        obj = getattr(llmx, name)
        if name != "__version__":
            assert (obj.__doc__ or "").strip(), f"{name} has no docstring"


def test_errors_share_a_root() -> None:
    assert issubclass(llmx.ConfigError, llmx.LLMXError)
    assert issubclass(llmx.TaskError, llmx.LLMXError)
    assert issubclass(llmx.InputError, llmx.LLMXError)
    assert issubclass(llmx.InputError, ValueError)  # a bad argument, as Python code expects


def test_results_stay_a_list_of_docresults() -> None:
    assert issubclass(llmx.Results, list)
    assert llmx.Results() == []
