"""``llmx task``: list, create, check and annotate tasks (the plug-in unit of llmx).

Exit codes: 0 done / every check passed; 1 a check failed or the task cannot be loaded;
2 bad usage (an invalid name, a task that already exists).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    help="List, create, check and annotate tasks (schema + prompts + scoring + gold).",
    no_args_is_help=True,
)


def _err(message: str) -> None:
    print(f"llmx task: {message}", file=sys.stderr)


@app.command("list")
def list_tasks() -> None:
    """The tasks llmx finds (LLMX_TASK_PATH, the current folder, the built-in ones)."""
    from llmx.tasks import TaskError, available_tasks, load_task

    for name in available_tasks():
        try:
            task = load_task(name)
            print(f"{name}\t{', '.join(task.kinds)}\t{task.root}")
        except TaskError as exc:
            print(f"{name}\t(broken: {exc})")


@app.command("new")
def new(
    name: Annotated[str, typer.Argument(help="Task name: lower-case letters, digits, _.")],
    root: Annotated[
        Path, typer.Option(help="Task root to create schemas/, prompts/, evals/ under.")
    ] = Path("."),
) -> None:
    """Scaffold a task that passes `llmx task check` as it stands, then edit it."""
    from llmx.annotation import Compiler
    from llmx.scaffold import ScaffoldError, create_task
    from llmx.tasks import load_task

    try:
        files = create_task(name, root)
    except ScaffoldError as exc:
        _err(str(exc))
        raise typer.Exit(2) from None
    load_task.cache_clear()
    task = load_task(name) if root.resolve() == Path.cwd().resolve() else None
    if task is None:  # a root elsewhere: load it from there
        import os

        os.environ["LLMX_TASK_PATH"] = os.pathsep.join(
            [
                str(root.resolve()),
                *filter(None, os.environ.get("LLMX_TASK_PATH", "").split(os.pathsep)),
            ]
        )
        task = load_task(name)
    Compiler(task, task.root).compile_all()
    for path in files:
        print(f"created {path}")
    print(f"created {task.eval_dir / 'gold'}/ (from src/ by `llmx task annotate {name}`)")
    hint = "" if root.resolve() == Path.cwd().resolve() else f"LLMX_TASK_PATH={root} "
    print(f"next: edit schemas/{name}.py and prompts/{name}/, then `{hint}llmx task check {name}`")


@app.command("check")
def check(name: Annotated[str, typer.Argument(help="Task name.")]) -> None:
    """Load the task and check its schema, scoring spec, templates, examples and gold."""
    from llmx.task_check import check_task

    checks = check_task(name)
    for c in checks:
        print(f"{'ok ' if c.ok else 'FAIL'} {c.name}: {c.detail}")
    failed = [c for c in checks if not c.ok]
    if failed:
        _err(f"{len(failed)} check(s) failed for task {name!r}")
        raise typer.Exit(1)


@app.command("annotate")
def annotate(
    name: Annotated[str, typer.Argument(help="Task name.")],
    check_only: Annotated[
        bool, typer.Option("--check", help="Write nothing; exit 1 if a gold file is stale.")
    ] = False,
    audit: Annotated[
        str | None,
        typer.Option(metavar="DOC_ID", help="List the numbers of DOC_ID nobody decided on yet."),
    ] = None,
    second: Annotated[
        bool, typer.Option("--second", help="--audit the second annotator's file (second/src).")
    ] = False,
) -> None:
    """Compile evals/TASK/src/*.toml (quotes) into gold/*.json (spans) and gold.schema.json."""
    from llmx.annotation import SECOND, AnnotationError, Compiler, load_source
    from llmx.tasks import TaskError, load_task

    try:
        task = load_task(name)
        compiler = Compiler(task, task.root)
        if audit:
            folder = task.eval_dir / SECOND if second else task.eval_dir
            left = compiler.audit(load_source(folder / "src" / f"{audit}.toml"))
            for pos, context in left:
                print(f"{pos:6d}  {context}")
            print(f"{len(left)} number(s) without a decision")
            raise typer.Exit(1 if left else 0)
        lines, changed = compiler.compile_all(check=check_only)
    except (AnnotationError, TaskError, OSError) as exc:
        _err(str(exc))
        raise typer.Exit(1) from None
    for line in lines:
        print(line)
    for path in changed:
        print(f"{'stale' if check_only else 'wrote'}: {path}")
    if check_only and changed:
        raise typer.Exit(1)
