"""Test helpers that ship with llmx: a scripted OpenAI-compatible HTTP server."""

from llmx.testing.server import (
    Reply,
    ScriptedServer,
    request_mode,
    request_text,
    unused_base_url,
)

__all__ = ["Reply", "ScriptedServer", "request_mode", "request_text", "unused_base_url"]
