"""What the real llama-server accepts and returns, probed over raw HTTP (no llmx code).

These pin the protocol facts llmx relies on (see docs/local-model.md). Prompts are short and
``max_tokens`` small so each request takes a second or two on two cores.
"""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest
from _llama import LlamaServer, record_timing

pytestmark = pytest.mark.integration

MESSAGES = [
    {"role": "system", "content": "从新闻中抽取指标，只输出 JSON。"},
    {"role": "user", "content": "专家先后深入项目基地15个，通过讲座、专题培训等培训320余人次。"},
]
# Simplified and traditional forms, plus a full-width quote mark: they must come back intact.
PLACES = ["黔南州", "廣州市", "“组团式”帮扶"]
SCHEMA = {
    "type": "object",
    "properties": {
        "place": {"type": "string", "enum": PLACES},
        "count": {"type": "integer"},
    },
    "required": ["place", "count"],
}


def chat(server: LlamaServer, **body: Any) -> httpx.Response:
    """POST one chat completion (temperature 0) and record its latency."""
    body = {"messages": MESSAGES, "temperature": 0, "max_tokens": 64, **body}
    body.setdefault("model", server.model)
    start = time.monotonic()
    response = httpx.post(f"{server.base_url}/chat/completions", json=body, timeout=300)
    record_timing("raw chat request", time.monotonic() - start)
    return response


def check_usage(data: dict[str, Any]) -> None:
    usage = data["usage"]
    assert usage["prompt_tokens"] > 0
    assert usage["completion_tokens"] > 0
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


def test_health_and_models(llama_server: LlamaServer) -> None:
    assert httpx.get(f"{llama_server.root_url}/health", timeout=10).json() == {"status": "ok"}
    ids = [m["id"] for m in httpx.get(f"{llama_server.base_url}/models", timeout=10).json()["data"]]
    assert ids == [llama_server.model]


@pytest.mark.parametrize(
    "response_format",
    [
        {"type": "json_schema", "json_schema": {"name": "probe", "schema": SCHEMA}},
        {"type": "json_schema", "json_schema": {"name": "probe", "schema": SCHEMA, "strict": True}},
        {"type": "json_object", "schema": SCHEMA},
    ],
    ids=["json_schema", "json_schema_strict", "json_object_with_schema"],
)
def test_schema_is_enforced_and_chinese_survives(
    llama_server: LlamaServer, response_format: dict[str, Any]
) -> None:
    """The grammar holds the reply to the schema; Chinese enum values come back byte-exact."""
    response = chat(llama_server, response_format=response_format)
    assert response.status_code == 200, response.text
    data = response.json()
    choice = data["choices"][0]
    assert choice["finish_reason"] == "stop"
    reply = json.loads(choice["message"]["content"])
    assert set(reply) == {"place", "count"}
    assert reply["place"] in PLACES
    assert isinstance(reply["count"], int)
    check_usage(data)


def test_json_object_without_schema_starts_json(llama_server: LlamaServer) -> None:
    """Plain json_object constrains to JSON syntax only; a tiny model may not close it."""
    response = chat(llama_server, response_format={"type": "json_object"}, max_tokens=24)
    assert response.status_code == 200, response.text
    content = response.json()["choices"][0]["message"]["content"]
    assert content.lstrip().startswith("{")


def test_unknown_response_format_is_rejected_with_400(llama_server: LlamaServer) -> None:
    """A 400 naming the format: what llmx's ``auto`` mode treats as "mode not supported"."""
    response = chat(llama_server, response_format={"type": "bogus"})
    assert response.status_code == 400
    assert "json_object" in response.json()["error"]["message"]


def test_tools_are_ignored_with_this_chat_template(llama_server: LlamaServer) -> None:
    """SmolLM2's template has no tool support: tools are accepted but no tool call comes back.

    So llmx's ``tools`` mode cannot succeed against this model; if a newer pin starts returning
    tool calls, update docs/local-model.md and this test.
    """
    caps = httpx.get(f"{llama_server.root_url}/props", timeout=10).json()["chat_template_caps"]
    assert caps["supports_tools"] is False
    tool = {
        "type": "function",
        "function": {"name": "record", "description": "记录指标", "parameters": SCHEMA},
    }
    response = chat(llama_server, tools=[tool], tool_choice="required", max_tokens=16)
    assert response.status_code == 200, response.text
    message = response.json()["choices"][0]["message"]
    assert not message.get("tool_calls")
    assert message["content"]


def test_output_cut_at_max_tokens(llama_server: LlamaServer) -> None:
    """Grammar-constrained output stopped by max_tokens: finish_reason=length, invalid JSON."""
    schema_format = {"type": "json_schema", "json_schema": {"name": "probe", "schema": SCHEMA}}
    response = chat(llama_server, response_format=schema_format, max_tokens=5)
    data = response.json()
    assert data["choices"][0]["finish_reason"] == "length"
    assert data["usage"]["completion_tokens"] == 5
    with pytest.raises(json.JSONDecodeError):
        json.loads(data["choices"][0]["message"]["content"])


def test_chinese_text_round_trips_through_the_tokenizer(llama_server: LlamaServer) -> None:
    text = "東西部協作：培训320余人次，「组团式」帮扶，投入1.2万元。"
    tokens = httpx.post(
        f"{llama_server.root_url}/tokenize", json={"content": text}, timeout=10
    ).json()["tokens"]
    assert len(tokens) > 0
    back = httpx.post(
        f"{llama_server.root_url}/detokenize", json={"tokens": tokens}, timeout=10
    ).json()["content"]
    assert back == text
