"""Cassettes: record replies from a real (scripted) HTTP server, replay them with it stopped.

The replay goes through decoding, validation, grounding and merging like a live reply, so the
output must be identical; a request the cassette lacks must fail, saying what differs.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from _scripted import METRIC, PROGRAMME, TEXT
from typer.testing import CliRunner

from llmx.api import aextract
from llmx.cache import ResponseCache
from llmx.cassettes import Cassette, CassetteError, load_entries
from llmx.cli import app
from llmx.config import load_settings
from llmx.core.documents import Document
from llmx.core.results import DocResult
from llmx.pipeline import Pipeline
from llmx.tasks import _prompt_env, content_digest, load_task
from llmx.testing import Reply, ScriptedServer
from llmx.testing.server import request_text

DOCS = [
    Document(id="d1", text=TEXT, source="mem:d1"),
    Document(id="d2", text="广州市对口帮扶黔南州，" + "开展劳务协作。" * 3, source="mem:d2"),
]
FAST = {"max_backoff": 0.05, "timeout": 5.0, "show_quantities": False, "cache": False}


def responder(request: dict[str, Any]) -> Reply:
    """Records for the chunk that quotes them; nothing for the other document."""
    if "320余人次" in request_text(request):
        return Reply.data({"programmes": [PROGRAMME], "metrics": [METRIC]}, usage=(321, 45))
    return Reply.data({"programmes": [], "metrics": []}, usage=(123, 7))


def comparable(results: list[DocResult]) -> list[dict[str, Any]]:
    """A result as written, less the wall-clock time it took."""
    out = []
    for r in results:
        data = json.loads(r.model_dump_json())
        data["meta"].pop("elapsed_s")
        out.append(data)
    return out


def extract(docs: list[Document], **settings: Any) -> list[DocResult]:
    opts = {"backend": "llm", "model": "scripted-model", **FAST, **settings}
    return asyncio.run(asyncio.wait_for(aextract(docs, **opts), 30))


def record(tmp_path: Path, **settings: Any) -> tuple[Path, list[DocResult]]:
    folder = tmp_path / "cassette"
    with ScriptedServer(responder) as server:
        results = extract(DOCS, base_url=server.base_url, record=folder, **settings)
    return folder, results


def test_record_then_replay_with_the_server_stopped_is_identical(tmp_path: Path) -> None:
    folder, live = record(tmp_path)
    assert all(r.status == "ok" for r in live)
    assert live[0].records("metrics")[0]["span"]  # grounded: the replay has work to redo
    files = sorted(folder.glob("*.json"))
    assert len(files) == 2  # one file per chunk request
    entry = json.loads(files[0].read_text("utf-8"))
    assert entry["model"] == "scripted-model"
    assert entry["endpoint"].startswith("127.0.0.1:")
    assert entry["prompt_version"] and entry["schema_version"] and entry["recorded_at"]
    assert entry["exchanges"][0]["body"]["choices"]  # the reply body itself, readable
    assert entry["usage"]["prompt_tokens"] in (321, 123)

    replayed = extract(DOCS, replay=folder)  # the server is gone: any request would fail
    assert comparable(replayed) == comparable(live)


def test_replay_uses_the_cassettes_model_when_none_is_named(tmp_path: Path) -> None:
    folder, live = record(tmp_path)
    opts = {"backend": "llm", **FAST, "replay": folder}
    replayed = asyncio.run(aextract(DOCS, **opts))
    assert [r.meta.model for r in replayed] == ["scripted-model"] * 2
    assert comparable(replayed) == comparable(live)


def _one_word_changed() -> Any:
    """The cooperation task with one word of its user template changed, as an edit would."""
    task = load_task("cooperation")
    user = (task.prompt_dir / "user.j2").read_text("utf-8")
    assert "新闻正文" in user
    edited = user.replace("新闻正文", "新闻原文")
    system = (task.prompt_dir / "system.j2").read_text("utf-8")
    examples = json.dumps(task.examples, ensure_ascii=False, sort_keys=True)
    return dataclasses.replace(
        task,
        user_template=_prompt_env(task.prompt_dir).from_string(edited),
        prompt_version=content_digest(system, edited, examples),
    )


async def _run_pipeline(settings: dict[str, Any], task: Any) -> list[DocResult]:
    pipeline = Pipeline(load_settings({"task": "cooperation", **settings}), task=task)
    out: list[DocResult] = []
    try:
        await pipeline.run(iter(DOCS), out.append)
    finally:
        await pipeline.aclose()
    return sorted(out, key=lambda r: r.doc_id)  # results come in the order they finish


def test_one_word_of_the_prompt_changed_fails_the_replay_with_the_reason(tmp_path: Path) -> None:
    folder, _ = record(tmp_path)
    settings = {"backend": "llm", "model": "scripted-model", **FAST, "replay": folder}
    results = asyncio.run(_run_pipeline(settings, _one_word_changed()))
    assert [r.status for r in results] == ["error", "error"]
    error = results[0].error
    assert error is not None and error.type == "cassette_miss"
    assert "no recorded reply for d1 chunk 1" in error.message
    assert "differs in: prompt (prompt_version" in error.message
    assert "model" not in error.message.split("differs in:")[1]  # only what changed is named


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"model": "another-model"}, "model ('scripted-model' recorded, 'another-model' now)"),
        ({"max_tokens": 99}, "settings (max_tokens 4096 → 99)"),
        ({"show_quantities": True}, "settings (show_quantities False → True)"),
    ],
)
def test_a_miss_names_what_differs(tmp_path: Path, change: dict[str, Any], named: str) -> None:
    folder, _ = record(tmp_path)
    [r, _] = extract(DOCS, replay=folder, **change)
    assert r.error is not None and r.error.type == "cassette_miss"
    assert named in r.error.message


def test_a_new_document_is_a_miss_that_says_so(tmp_path: Path) -> None:
    folder, _ = record(tmp_path)
    [r] = extract([Document(id="new", text="全新的文章，没有录制。", source="mem")], replay=folder)
    assert r.error is not None and r.error.type == "cassette_miss"
    assert "no recorded request has this chunk's text" in r.error.message


def test_no_key_or_url_credential_lands_in_a_cassette(tmp_path: Path) -> None:
    key = "sk-cassette-SECRET-0123456789"
    password = "pw-SECRET-9876"

    def leaky(request: dict[str, Any]) -> Reply:
        if "320余人次" in request_text(request):  # a server that puts the key in its reply
            return Reply.data({"programmes": [{**PROGRAMME, "name": f"{key} {password}"}]})
        return Reply.echo_auth(400)  # and one that quotes the Authorization header back

    folder = tmp_path / "cassette"
    with ScriptedServer(leaky) as server:
        url = server.base_url.replace("http://", f"http://user:{password}@")
        extract(DOCS, base_url=url, record=folder, api_key=key)
    texts = [p.read_text("utf-8") for p in folder.rglob("*")]
    assert len(texts) == 2
    for text in texts:
        assert key not in text and password not in text and "SECRET" not in text
    assert any('"status": 400' in t for t in texts)  # the refusal itself was kept


def test_a_chunk_lost_to_the_network_replays_as_the_same_error(tmp_path: Path) -> None:
    folder = tmp_path / "cassette"
    with ScriptedServer(lambda _r: Reply.error(503)) as server:
        [live] = extract(DOCS[:1], base_url=server.base_url, record=folder, max_retries=0)
    assert live.error is not None and live.error.type == "server_error"
    [again] = extract(DOCS[:1], replay=folder)
    assert comparable([again]) == comparable([live])


def test_a_cassette_folder_that_is_not_one_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CassetteError, match="no cassette folder"):
        Cassette(tmp_path / "missing", "replay")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "x.json").write_text("{not json", "utf-8")
    with pytest.raises(CassetteError, match=r"x\.json: cannot read cassette file"):
        Cassette(tmp_path / "bad", "replay")
    with pytest.raises(Exception, match="record and replay"):
        load_settings({"record": tmp_path / "a", "replay": tmp_path / "b"})


@pytest.mark.slow
def test_cassette_from_the_response_cache_then_pruned(tmp_path: Path) -> None:
    cache_dir = tmp_path / "cache"
    with ScriptedServer(responder) as server:
        live = extract(DOCS, base_url=server.base_url, cache=True, cache_dir=cache_dir)
    assert len(ResponseCache(cache_dir / "cache.sqlite")) == 2
    folder = tmp_path / "from-cache"
    runner = CliRunner()
    done = runner.invoke(
        app, ["cassette", "from-cache", str(folder), "--cache-dir", str(cache_dir)]
    )
    assert done.exit_code == 0, done.output
    assert "wrote 2 file(s)" in done.output
    assert comparable(extract(DOCS, replay=folder)) == comparable(live)

    # Prune against only the first document: the second one's file goes.
    (tmp_path / "d1.txt").write_text(TEXT, "utf-8")
    args = ["cassette", "prune", str(folder), str(tmp_path / "d1.txt"), "--no-quantity-hints"]
    dry = runner.invoke(app, [*args, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "1 used, 1 unused (dry run)" in dry.output
    assert len(load_entries(folder)) == 2
    pruned = runner.invoke(app, args)
    assert pruned.exit_code == 0, pruned.output
    [kept] = load_entries(folder)
    assert kept.facts.doc_id == "d1"
    # Prune with settings the cassette was not recorded with: a miss, nothing deleted.
    refused = runner.invoke(app, ["cassette", "prune", str(folder), str(tmp_path / "d1.txt")])
    assert refused.exit_code == 1
    assert "nothing deleted" in refused.output + str(refused.stderr_bytes or b"")
    assert len(load_entries(folder)) == 1


@pytest.mark.slow
def test_eval_records_replays_and_stops_on_a_changed_prompt(tmp_path: Path) -> None:
    """Through ``llmx eval``: record one gold document, replay it the same (exit 0, same
    scores), then with the prompt changed (exit 1, saying what differs)."""
    folder, runner = tmp_path / "cassette", CliRunner()
    one = ["eval", "--docs", "001_a54c9a360dadffd8", "--json"]
    with ScriptedServer(responder) as server:
        live = runner.invoke(app, [*one, "--base-url", server.base_url, "--model", "m",
                                   "--record", str(folder)])  # fmt: skip
    assert live.exit_code == 0, live.output
    again = runner.invoke(app, [*one, "--replay", str(folder)])
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["summary"] == json.loads(live.stdout)["summary"]
    changed = runner.invoke(app, [*one, "--replay", str(folder), "--variant", "no_examples"])
    assert changed.exit_code == 1
    assert "no recorded reply for 001_a54c9a360dadffd8 chunk 1" in changed.stderr
    assert "differs in: prompt (prompt_version" in changed.stderr
