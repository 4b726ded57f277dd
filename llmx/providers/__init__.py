"""Backends that turn a chunk of text into records: an OpenAI-compatible LLM, or rules."""
