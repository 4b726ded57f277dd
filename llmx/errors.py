"""The root of the exceptions llmx's API raises for problems a user can fix."""

from __future__ import annotations


class LLMXError(Exception):
    """Base class of llmx's user-facing errors (bad settings, a bad task)."""
