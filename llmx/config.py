"""Settings, merged from (highest first): explicit overrides (CLI flags / API keyword
arguments), environment variables, ``llmx.toml``, ``[tool.llmx]`` in ``pyproject.toml``, defaults.

The API key is only ever read from an environment variable (``--api-key-env`` names which) or
passed in code; it is held as a ``SecretStr`` and never written to output, cache or reports.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator

from llmx.errors import LLMXError
from llmx.text.loading import DEFAULT_MAX_BYTES

Mode = Literal["auto", "tools", "json_schema", "json", "md_json"]
BackendName = Literal["auto", "llm", "rules"]

# Environment variable -> setting. The standard OpenAI names work as users expect.
_ENV = {
    "OPENAI_BASE_URL": "base_url",
    "LLMX_BASE_URL": "base_url",
    "LLMX_MODEL": "model",
    "OPENAI_MODEL": "model",
    "LLMX_MODE": "mode",
    "LLMX_BACKEND": "backend",
    "LLMX_CONCURRENCY": "concurrency",
    "LLMX_CACHE_DIR": "cache_dir",
    "LLMX_TIMEOUT": "timeout",
    "LLMX_TASK": "task",
}


class ConfigError(LLMXError):
    """Settings are missing or invalid; the message says what to set."""


class Settings(BaseModel):
    """Everything a run needs. Field docs double as the reference for ``[tool.llmx]``."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    task: str | None = Field(None, description="task name (schemas/<task>.py, prompts/<task>/)")
    backend: BackendName = Field("auto", description="auto: llm if an endpoint is set, else rules")
    base_url: str | None = Field(None, description="OpenAI-compatible endpoint, e.g. .../v1")
    model: str | None = Field(None, description="model name sent to the endpoint")
    api_key_env: str = Field("OPENAI_API_KEY", description="env var holding the API key")
    api_key: SecretStr | None = Field(None, exclude=True, repr=False)
    mode: Mode = Field("auto", description="structured-output mode; auto probes and falls back")
    concurrency: int = Field(8, ge=1, le=1024, description="requests in flight at once")
    timeout: float = Field(120.0, gt=0, description="seconds per HTTP request")
    max_retries: int = Field(5, ge=0, description="transport retries (429, 5xx, timeouts)")
    validation_retries: int = Field(2, ge=0, description="re-asks after schema-invalid output")
    max_backoff: float = Field(60.0, gt=0, description="cap on one retry wait, seconds")
    max_tokens: int = Field(4096, ge=1, description="completion token limit per request")
    temperature: float = Field(0.0, ge=0, le=2)
    chunk_chars: int = Field(1500, ge=200, description="max characters per chunk")
    context_chars: int = Field(200, ge=0, description="previous-chunk tail shown as context")
    show_quantities: bool = Field(
        True, description="list the quantity mentions found in the chunk in the prompt"
    )
    clean: bool = Field(True, description="strip boilerplate/pinyin/duplicates before prompting")
    keep_ungrounded: bool = Field(False, description="keep records that cannot be grounded")
    cache: bool = Field(True, description="use the response cache")
    cache_dir: Path = Field(Path(".llmx"), description="where cache.sqlite lives")
    max_bytes: int = Field(DEFAULT_MAX_BYTES, ge=1, description="skip input files larger than this")
    record: Path | None = Field(None, description="write each model reply to this cassette folder")
    replay: Path | None = Field(None, description="answer from this cassette folder, no network")

    @model_validator(mode="before")
    @classmethod
    def _cassettes_skip_cache(cls, data: Any) -> Any:
        # A cached reply would skip the request a cassette records or replays.
        if isinstance(data, dict) and (data.get("record") or data.get("replay")):
            if data.get("record") and data.get("replay"):
                raise ValueError("record and replay cannot be used together")
            data = {**data, "cache": False}
        return data

    def resolved_api_key(self) -> str | None:
        if self.api_key is not None:
            return self.api_key.get_secret_value()
        return os.environ.get(self.api_key_env)

    def effective_backend(self) -> Literal["llm", "rules"]:
        if self.backend == "auto":
            return "llm" if self.base_url or self.replay or self.resolved_api_key() else "rules"
        return self.backend

    def public(self) -> dict[str, Any]:
        """Settings safe to record in meta and reports (no secrets, paths as strings)."""
        from llmx.redaction import redact_url

        public = self.model_dump(mode="json", exclude={"api_key"})
        public["base_url"] = redact_url(self.base_url)  # http://user:KEY@host: credentials out
        return public


def _file_settings(start: Path) -> tuple[dict[str, Any], dict[str, str]]:
    """Settings from ``[tool.llmx]`` in pyproject.toml, then llmx.toml (which wins), and for
    each key the file it came from. A key that is not a setting is an error naming its file."""
    merged: dict[str, Any] = {}
    origin: dict[str, str] = {}
    for path, table in ((start / "pyproject.toml", "tool.llmx"), (start / "llmx.toml", "llmx")):
        if not path.is_file():
            continue
        try:
            data = tomllib.loads(path.read_text("utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read llmx settings file {path}: {exc}") from None
        if table == "tool.llmx":
            data = data.get("tool", {}).get("llmx", {})
            where = f"{path} [tool.llmx]"
        else:  # llmx.toml: top-level keys, or an [llmx] table
            where = f"{path} [llmx]" if "llmx" in data else str(path)
            outside = [k for k in data if k != "llmx"] if "llmx" in data else []
            if outside:
                raise ConfigError(f"{path}: {outside[0]!r} is outside the [llmx] table")
            data = data.get("llmx", data)
        if not isinstance(data, dict):
            raise ConfigError(f"{where}: llmx settings must be a table of key = value")
        for key in data:
            _check_known(key, where)
        merged.update(data)
        origin.update(dict.fromkeys(data, where))
    return merged, origin


def _check_known(key: str, where: str) -> None:
    fields = Settings.model_fields
    if key in fields and key != "api_key":
        return
    if key == "api_key":
        raise ConfigError(
            f"{where}: api_key does not belong in a file; put the key in an environment "
            "variable and name it with api_key_env"
        )
    close = difflib.get_close_matches(key, list(fields), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    known = ", ".join(k for k in fields if k != "api_key")
    raise ConfigError(f"{where}: unknown llmx setting {key!r}{hint} (known: {known})")


def _env_settings() -> tuple[dict[str, Any], dict[str, str]]:
    out: dict[str, Any] = {}
    origin: dict[str, str] = {}
    for var, name in _ENV.items():
        value = os.environ.get(var)
        if value and name not in out:
            out[name] = value
            origin[name] = f"environment variable {var}"
    return out, origin


def load_settings(overrides: dict[str, Any] | None = None, *, cwd: Path | None = None) -> Settings:
    """Merge every settings source; ``None`` overrides are ignored (flag not given)."""
    merged, origin = _file_settings(cwd or Path.cwd())
    env, env_origin = _env_settings()
    merged.update(env)
    origin.update(env_origin)
    given = {k: v for k, v in (overrides or {}).items() if v is not None}
    merged.update(given)
    origin.update(dict.fromkeys(given, "given"))
    if isinstance(merged.get("api_key"), str):
        merged["api_key"] = SecretStr(merged["api_key"])
    try:
        return Settings.model_validate(merged)
    except ValidationError as exc:
        problems = "; ".join(_problem(e, origin) for e in exc.errors())
        raise ConfigError(f"invalid llmx settings: {problems}") from None


def _problem(error: Any, origin: dict[str, str]) -> str:
    """One validation error, with where the bad value came from when it was not a flag."""
    loc = error["loc"]
    text = f"{'.'.join(str(p) for p in loc)}: {error['msg']}"
    where = origin.get(str(loc[0])) if loc else None
    return f"{text} (from {where})" if where and where != "given" else text
