"""Prompt variants: a named change to a task's prompt that an eval matrix can compare.

Built in:

- ``default``: the task as it is;
- ``no_examples``: without the few-shot examples;
- ``no_quantity_hints``: without the list of quantity expressions found in each chunk.

Any other name is a folder ``prompts/<task>/variants/<name>/`` holding the files it replaces
(``system.j2``, ``user.j2``, ``examples.json``; the rest come from the task). A variant gets
its own ``prompt_version``, so its requests have their own cache keys and cassette entries.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import jinja2

from llmx.tasks import Task, TaskError, _prompt_env, content_digest

BUILTIN = ("default", "no_examples", "no_quantity_hints")
_FILES = ("system.j2", "user.j2")


def variant_dir(task: Task, name: str) -> Path:
    return task.prompt_dir / "variants" / name


def available_variants(task: Task) -> list[str]:
    folder = task.prompt_dir / "variants"
    found = sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []
    return [*BUILTIN, *found]


def apply_variant(task: Task, name: str) -> tuple[Task, dict[str, Any]]:
    """The task as the variant changes it, and the settings it overrides."""
    if name == "default":
        return task, {}
    if name == "no_quantity_hints":
        return task, {"show_quantities": False}
    sources = {f: (task.prompt_dir / f).read_text("utf-8") for f in _FILES}
    if name == "no_examples":
        examples: list[dict[str, Any]] = []
        system, user = task.system_template, task.user_template
    else:
        folder = variant_dir(task, name)
        if not folder.is_dir():
            raise TaskError(
                f"unknown prompt variant {name!r}: not one of {', '.join(BUILTIN)} and no "
                f"folder {folder}"
            )
        env = _prompt_env(folder)  # the task's own template settings and filters
        env.loader = jinja2.ChoiceLoader(
            [jinja2.FileSystemLoader(folder), jinja2.FileSystemLoader(task.prompt_dir)]
        )
        try:
            system, user = env.get_template("system.j2"), env.get_template("user.j2")
        except jinja2.TemplateError as exc:
            raise TaskError(f"{folder}: {exc}") from exc
        for f in _FILES:
            if (folder / f).is_file():
                sources[f] = (folder / f).read_text("utf-8")
        examples = task.examples
        if (folder / "examples.json").is_file():
            try:
                examples = json.loads((folder / "examples.json").read_text("utf-8"))
            except ValueError as exc:
                raise TaskError(f"{folder}/examples.json: not valid JSON: {exc}") from exc
    version = content_digest(
        sources["system.j2"], sources["user.j2"],
        json.dumps(examples, ensure_ascii=False, sort_keys=True),
    )  # fmt: skip
    changed = dataclasses.replace(
        task, system_template=system, user_template=user, examples=examples,
        prompt_version=version,
    )  # fmt: skip
    return changed, {}
