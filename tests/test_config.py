"""Settings precedence: flags > environment > llmx.toml > [tool.llmx] > defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from llmx.config import ConfigError, load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in (
        "OPENAI_BASE_URL",
        "LLMX_BASE_URL",
        "LLMX_MODEL",
        "OPENAI_MODEL",
        "LLMX_MODE",
        "LLMX_BACKEND",
        "LLMX_CONCURRENCY",
        "LLMX_CACHE_DIR",
        "LLMX_TIMEOUT",
        "OPENAI_API_KEY",
        "MY_KEY",
    ):
        monkeypatch.delenv(var, raising=False)


def test_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.llmx]\nmodel = "from-pyproject"\nconcurrency = 3\nmode = "json"\n'
    )
    (tmp_path / "llmx.toml").write_text('model = "from-llmx-toml"\nconcurrency = 4\n')
    s = load_settings(cwd=tmp_path)
    assert (s.model, s.concurrency, s.mode) == ("from-llmx-toml", 4, "json")
    monkeypatch.setenv("LLMX_MODEL", "from-env")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:1/v1")
    s = load_settings(cwd=tmp_path)
    assert s.model == "from-env" and s.base_url == "http://127.0.0.1:1/v1"
    s = load_settings({"model": "from-flag", "concurrency": None}, cwd=tmp_path)
    assert s.model == "from-flag" and s.concurrency == 4  # a flag not given changes nothing


def test_backend_auto_follows_the_endpoint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings(cwd=tmp_path).effective_backend() == "rules"
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:1/v1")
    assert load_settings(cwd=tmp_path).effective_backend() == "llm"


def test_api_key_env_and_secrecy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_KEY", "sk-secret-value")
    s = load_settings({"api_key_env": "MY_KEY"}, cwd=tmp_path)
    assert s.resolved_api_key() == "sk-secret-value"
    s = load_settings({"api_key": "sk-passed-in"}, cwd=tmp_path)
    assert "sk-passed-in" not in repr(s) and "sk-passed-in" not in str(s.public())


def test_invalid_settings_are_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "llmx.toml").write_text("concurrency = 0\nmode = 'xml'\n")
    with pytest.raises(ConfigError) as err:
        load_settings(cwd=tmp_path)
    assert "concurrency" in str(err.value) and "mode" in str(err.value)
    (tmp_path / "llmx.toml").write_text("this is not toml ===")
    with pytest.raises(ConfigError, match="cannot read"):
        load_settings(cwd=tmp_path)


def test_unknown_key_names_its_file(tmp_path: Path) -> None:
    toml = tmp_path / "llmx.toml"
    toml.write_text("concurency = 4\n")
    with pytest.raises(ConfigError) as err:
        load_settings(cwd=tmp_path)
    message = str(err.value)
    assert str(toml) in message and "'concurency'" in message
    assert "did you mean 'concurrency'" in message
    toml.unlink()
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[project]\nname = "x"\n[tool.llmx]\ntask = "t"\nmodle = "m"\n')
    with pytest.raises(ConfigError) as err:
        load_settings(cwd=tmp_path)
    assert f"{pyproject} [tool.llmx]" in str(err.value) and "'modle'" in str(err.value)


def test_bad_value_names_where_it_came_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    toml = tmp_path / "llmx.toml"
    toml.write_text("[llmx]\nconcurrency = 0\n")
    with pytest.raises(ConfigError, match=rf"concurrency: .*\(from {toml} \[llmx\]\)"):
        load_settings(cwd=tmp_path)
    monkeypatch.setenv("LLMX_CONCURRENCY", "lots")
    with pytest.raises(ConfigError, match=r"\(from environment variable LLMX_CONCURRENCY\)"):
        load_settings(cwd=tmp_path)
    with pytest.raises(ConfigError) as err:  # a flag: the user typed it, no origin needed
        load_settings({"concurrency": -1}, cwd=tmp_path)
    assert "(from" not in str(err.value)


def test_unreadable_file_is_named(tmp_path: Path) -> None:
    toml = tmp_path / "llmx.toml"
    toml.write_text("this is not toml ===")
    with pytest.raises(ConfigError, match=f"cannot read llmx settings file {toml}"):
        load_settings(cwd=tmp_path)


def test_api_key_is_refused_in_a_file(tmp_path: Path) -> None:
    (tmp_path / "llmx.toml").write_text('api_key = "sk-in-a-file"\n')
    with pytest.raises(ConfigError) as err:
        load_settings(cwd=tmp_path)
    assert "api_key_env" in str(err.value) and "sk-in-a-file" not in str(err.value)


def test_keys_outside_the_llmx_table_are_not_ignored(tmp_path: Path) -> None:
    toml = tmp_path / "llmx.toml"
    toml.write_text('model = "m"\n[llmx]\nconcurrency = 4\n')
    with pytest.raises(ConfigError, match=f"{toml}: 'model' is outside the \\[llmx\\] table"):
        load_settings(cwd=tmp_path)
    toml.write_text("[llmx]\nconcurrency = 4\n")
    assert load_settings(cwd=tmp_path).concurrency == 4
