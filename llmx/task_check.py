"""``llmx task check NAME``: everything a task needs, checked the way llmx will use it.

Checks, in order (a failed step stops the ones that depend on it): the task module loads
(schema, ``RECORDS``, ``SCORING``); every comparator the spec names exists; the templates
render for a sample chunk; the few-shot examples validate against the schema (part of
loading); the gold files are current with their annotation sources, validate against the
task's gold model, and their spans slice the documents to their quotes.
"""

from __future__ import annotations

from dataclasses import dataclass

from llmx.tasks import Task, TaskError, load_task


@dataclass(frozen=True, slots=True)
class Check:
    """One check and its verdict (``detail`` says what was found or what is wrong)."""

    name: str
    ok: bool
    detail: str


def _render(task: Task) -> Check:
    from llmx.core.documents import Chunk
    from llmx.prompting import render_messages

    sample = "广州市选派12名医生赴黔南州开展义诊。"
    chunk = Chunk(index=0, text=sample, start=0)
    try:
        messages = render_messages(task, chunk, quantities=["12名"])
    except Exception as exc:  # a user's template: report any failure as a check
        return Check("templates render", False, f"{type(exc).__name__}: {exc}")
    size = sum(len(m["content"]) for m in messages)
    return Check("templates render", True, f"{len(messages)} messages, {size} characters")


def _gold(task: Task) -> list[Check]:
    from llmx.annotation import AnnotationError, Compiler
    from llmx.evaluation.runner import HarnessError, load_dataset
    from llmx.evaluation.scoring import is_grounded

    folder = task.eval_dir
    out: list[Check] = []
    if (folder / "src").is_dir():
        try:
            _, stale = Compiler(task, task.root).compile_all(check=True)
        except AnnotationError as exc:
            return [Check("gold sources compile", False, str(exc))]
        names = ", ".join(p.name for p in stale)
        out.append(
            Check(
                "gold is current with src/",
                not stale,
                f"stale: {names} (run `llmx task annotate {task.name}`)" if stale else "yes",
            )
        )
    if not list((folder / "gold").glob("*.json")):
        out.append(Check("gold validates", True, f"no gold files yet in {folder / 'gold'}"))
        return out
    try:
        dataset = load_dataset(folder, task)
    except HarnessError as exc:
        return [*out, Check("gold validates", False, str(exc))]
    n_records = 0
    bad: list[str] = []
    for entry in dataset.entries:
        for kind, spec in task.records.items():
            for i, rec in enumerate(entry.gold.records(kind)):
                n_records += 1
                if not is_grounded(rec, entry.document.text, spec):
                    bad.append(f"{entry.path.name} {kind}[{i}]")
    out.append(Check("gold validates", True, f"{len(dataset.entries)} documents"))
    out.append(
        Check(
            "gold spans slice to their quotes",
            not bad,
            f"{n_records} records" if not bad else "not: " + ", ".join(bad[:5]),
        )
    )
    return out


def check_task(name: str) -> list[Check]:
    """Run every check on task ``name``."""
    try:
        task = load_task(name)
    except TaskError as exc:
        return [Check("task loads", False, str(exc))]
    kinds = ", ".join(task.kinds)
    checks = [
        Check("task loads", True, f"{task.schema_path} (kinds: {kinds})"),
        Check("examples fit the schema", True, f"{len(task.examples)} examples"),
    ]
    try:
        from llmx.evaluation.scoring import Scorer

        Scorer(task)
        checks.append(Check("scoring spec", True, "every comparator found"))
    except TaskError as exc:
        checks.append(Check("scoring spec", False, str(exc)))
    checks.append(_render(task))
    checks += _gold(task)
    return checks
