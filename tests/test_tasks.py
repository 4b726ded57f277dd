"""Tasks are data: a user adds one without touching llmx/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from llmx.api import aextract
from llmx.core.documents import Document
from llmx.tasks import TaskError, load_task
from llmx.testing import Reply, ScriptedServer

SCHEMA = """
from pydantic import BaseModel

class Person(BaseModel):
    name: str
    quote: str

class Out(BaseModel):
    people: list[Person] = []

RESPONSE_MODEL = Out
RECORDS = {"people": {"quote": "quote", "anchor": "name"}}
"""


@pytest.fixture
def user_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "people.py").write_text(SCHEMA, encoding="utf-8")
    prompts = tmp_path / "prompts" / "people"
    prompts.mkdir(parents=True)
    (prompts / "system.j2").write_text("找出人名。json", encoding="utf-8")
    (prompts / "user.j2").write_text("【新闻正文】\n{{ text }}", encoding="utf-8")
    monkeypatch.setenv("LLMX_TASK_PATH", str(tmp_path))
    load_task.cache_clear()
    yield tmp_path
    load_task.cache_clear()


def test_builtin_task_loads_with_versions() -> None:
    task = load_task("cooperation")
    assert set(task.records) == {"programmes", "metrics"}
    assert task.prompt_version and task.schema_version.startswith("2-")


async def test_user_task_runs_end_to_end(user_root: Path) -> None:
    text = "记者李明报道，专家张华到场。"
    with ScriptedServer() as server:
        server.enqueue(Reply.data({"people": [{"name": "张华", "quote": "专家张华到场"}]}))
        [r] = await aextract(
            [Document(id="p", text=text, source="p")],
            task="people",
            backend="llm",
            base_url=server.base_url,
            model="m",
            cache=False,
        )
    assert r.task == "people"
    [p] = r.records("people")
    assert text[p["span"][0] : p["span"][1]] == "张华"


def test_broken_tasks_say_what_is_wrong(user_root: Path) -> None:
    with pytest.raises(TaskError, match="not found"):
        load_task("nope")
    (user_root / "schemas" / "people.py").write_text("RESPONSE_MODEL = 3\nRECORDS = {}\n")
    with pytest.raises(TaskError, match="RESPONSE_MODEL"):
        load_task("people")


def test_api_reports_unreadable_inputs(tmp_path: Path) -> None:
    from llmx import extract

    (tmp_path / "ok.txt").write_text(
        "广州市专家赴黔南州开展帮扶，培训320余人次。", encoding="utf-8"
    )
    (tmp_path / "empty.txt").write_bytes(b"")
    seen: list[str] = []
    results = extract([tmp_path], backend="rules", on_problem=lambda p: seen.append(p.source))
    assert [r.doc_id for r in results] == ["ok"] and results[0].records("metrics")
    assert len(seen) == 1 and seen[0].endswith("empty.txt")
    with pytest.warns(UserWarning, match="empty.txt"):
        extract([tmp_path], backend="rules")
