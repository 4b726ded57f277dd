"""Structured output without instructor's per-request machinery, keeping its semantics.

instructor decides what a request looks like in each mode (``tools`` / ``json_schema`` /
``json`` / ``md_json``: tool definitions, ``response_format``, the schema appended to the
system message) and how to re-ask after invalid output. llmx asks it once per task and mode
(:class:`RequestTemplate`), serialises that request once, and per chunk only splices the
JSON-encoded user message into the bytes. Replies are validated in one pass with
``model_validate_json``, mirroring instructor's OpenAI parsers (finish_reason ``length`` is
truncation; tool-call arguments in ``tools`` mode; the last JSON block in ``md_json``).
instructor runs again only on the rare re-ask path, to format the error feedback.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from typing import Any

import instructor
from instructor.v2.core.json import extract_json_from_codeblock
from instructor.v2.core.response import handle_reask_kwargs, handle_response_model
from pydantic import BaseModel

MODES = {
    "json_schema": instructor.Mode.JSON_SCHEMA,
    "tools": instructor.Mode.TOOLS,
    "json": instructor.Mode.JSON,
    "md_json": instructor.Mode.MD_JSON,
}
_THINK = re.compile(r"<think>.*?</think>\s*", re.DOTALL)
_SLOT = "\x00llmx-user-message\x00"  # cannot occur in a rendered prompt (NULs are stripped)


class InvalidOutput(ValueError):
    """The reply is not the structured output asked for (worth a re-ask)."""


class Truncated(Exception):
    """``finish_reason: length``: the output was cut at ``max_tokens``."""


class ContentFiltered(Exception):
    """``finish_reason: content_filter``: the provider's moderation withheld the output."""


@dataclass(slots=True)
class Reply:
    """One decoded 2xx reply: the JSON envelope and its token usage (prompt, completion,
    total)."""

    envelope: dict[str, Any]
    usage: tuple[int, int, int]


def wrap_model(model: type[BaseModel]) -> type[BaseModel]:
    """The response model as instructor sends it (tool name, description)."""
    return instructor.openai_schema(model)


class RequestTemplate:
    """One task's request in one mode, serialised once; :meth:`body` fills in a chunk.

    instructor is asked once with a placeholder for the user message; wherever the placeholder
    ends up in the serialised request (``md_json`` appends an instruction after it), each
    chunk's JSON-escaped text replaces it. If instructor's output does not hold the placeholder
    exactly once, every request is built by instructor instead (slower, same result).
    """

    def __init__(
        self, wrapped: type[BaseModel], mode: str, head: list[dict[str, Any]], **params: Any
    ) -> None:
        self.wrapped = wrapped
        self.mode = mode
        self._head = copy.deepcopy(head)
        self._params = params
        self.kwargs = self._build(_SLOT)
        text = json.dumps(self.kwargs, ensure_ascii=False, separators=(",", ":"))
        slot = json.dumps(_SLOT, ensure_ascii=False)[1:-1]
        self._parts: tuple[bytes, bytes] | None = None
        if text.count(slot) == 1:
            before, after = text.split(slot)
            self._parts = before.encode("utf-8"), after.encode("utf-8")

    def _build(self, user: str) -> dict[str, Any]:
        messages = [*copy.deepcopy(self._head), {"role": "user", "content": user}]
        _model, kwargs = handle_response_model(
            self.wrapped, mode=MODES[self.mode], messages=messages, **self._params
        )
        return kwargs

    def kwargs_for(self, user: str) -> dict[str, Any]:
        """The request as a dict (for a re-ask, or when splicing is not possible)."""
        return self._build(user)

    def body(self, user: str) -> bytes:
        if self._parts is None:
            return encode(self._build(user))
        before, after = self._parts
        return before + json.dumps(user, ensure_ascii=False)[1:-1].encode("utf-8") + after


def encode(kwargs: dict[str, Any]) -> bytes:
    return json.dumps(kwargs, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def decode(raw: bytes) -> Reply:
    """The envelope of a 2xx reply and its token usage (raises InvalidOutput if not JSON)."""
    try:
        envelope = json.loads(raw)
    except ValueError as exc:
        raise InvalidOutput(f"the reply is not JSON: {exc}") from None
    if not isinstance(envelope, dict):
        raise InvalidOutput("the reply is not a JSON object")
    usage = envelope.get("usage") or {}
    if not isinstance(usage, dict):
        usage = {}
    prompt = _count(usage.get("prompt_tokens"))
    completion = _count(usage.get("completion_tokens"))
    total = _count(usage.get("total_tokens")) or prompt + completion
    return Reply(envelope, (prompt, completion, total))


def _count(value: Any) -> int:
    return value if isinstance(value, int) and value >= 0 else 0


def parse(reply: Reply, template: RequestTemplate) -> BaseModel:
    """Validate the reply into the task's model (raises Truncated / ContentFiltered /
    InvalidOutput / pydantic.ValidationError)."""
    choices = reply.envelope.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise InvalidOutput("the reply has no choices")
    choice = choices[0]
    finish = choice.get("finish_reason")
    if finish == "length":
        raise Truncated
    if finish == "content_filter":
        raise ContentFiltered
    message = choice.get("message")
    if not isinstance(message, dict):
        raise InvalidOutput("the reply has no message")
    if template.mode == "tools":
        calls = message.get("tool_calls") or []
        try:
            arguments = calls[0]["function"]["arguments"]
        except (IndexError, KeyError, TypeError):
            raise InvalidOutput("no tool call in the reply") from None
        text = arguments if isinstance(arguments, str) else json.dumps(arguments)
    else:
        content = message.get("content")
        text = content if isinstance(content, str) else ""
    if "<think>" in text:
        text = _THINK.sub("", text)
    if template.mode == "md_json":
        text = extract_json_from_codeblock(text)
    return template.wrapped.model_validate_json(text)


def reask(
    kwargs: dict[str, Any], template: RequestTemplate, reply: Reply, error: Exception
) -> dict[str, Any] | None:
    """The next request after invalid output, formatted by instructor's re-ask handler for the
    mode; None when the reply has nothing to answer to (then the same request is re-sent)."""
    from openai.types.chat import ChatCompletion

    try:
        completion = ChatCompletion.model_validate(reply.envelope)
        if not completion.choices:
            return None
        kwargs = {**kwargs, "messages": list(kwargs["messages"])}
        return handle_reask_kwargs(kwargs, MODES[template.mode], completion, error)
    except Exception:  # a reply too odd to quote back: ask again as before
        return None
