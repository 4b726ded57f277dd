"""``llmx --version``, ``-h`` on every command, help that shows defaults without type noise, and
a start-up that does not import the extraction pipeline."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import typer
from _cli import cli_env, run_llmx
from typer.testing import CliRunner

from llmx import __version__
from llmx.cli import app
from llmx.config import Settings


def _command_paths(command: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command and sub-command of the app, as argument prefixes ("task", "new")."""
    paths = [prefix]
    for name, sub in getattr(command, "commands", {}).items():
        paths += _command_paths(sub, (*prefix, name))
    return paths


PATHS = _command_paths(typer.main.get_command(app))


def _help(*args: str) -> str:
    result = CliRunner().invoke(app, [*args, "-h"], prog_name="llmx", terminal_width=100)
    assert result.exit_code == 0, (args, result.output)
    return result.output


def test_every_command_is_found() -> None:
    assert {("extract",), ("diff",), ("review",), ("task", "new")} <= set(PATHS)


def test_short_and_long_help_on_every_command() -> None:
    for path in PATHS:
        short = _help(*path)
        assert short.startswith("Usage: llmx"), path
        long = CliRunner().invoke(app, [*path, "--help"], prog_name="llmx", terminal_width=100)
        assert long.output == short, path


def test_help_has_no_type_noise_and_keeps_bracketed_defaults() -> None:
    for path in PATHS:
        text = _help(*path)
        assert "<bool>" not in text and "<list[" not in text, (path, text)
    # square brackets in help texts used to be eaten as rich markup
    assert "[default: the task's evals/TASK/gold]" in _help("review")
    assert "[default: evals/TASK]" in _help("eval")


def _shown_default(text: str, option: str) -> str:
    """The ``[default: X]`` of one option in plain help (its help may wrap onto more lines)."""
    block = re.search(rf"^  (?:-\w, )?{re.escape(option)}\s.*?(?=^  -|\Z)", text, re.S | re.M)
    assert block, option
    found = re.search(r"\[default:\s+([^\]]+)\]", " ".join(block.group(0).split()))
    assert found, (option, block.group(0))
    return found.group(1)


def test_extract_help_shows_the_settings_defaults() -> None:
    """The flags default to None (the settings decide); their help says what the settings'
    default is -- checked here against ``Settings`` so the two cannot drift apart."""
    text = _help("extract")
    fields = Settings.model_fields
    for option, name in [
        ("--backend", "backend"),
        ("--mode", "mode"),
        ("--api-key-env", "api_key_env"),
        ("--concurrency", "concurrency"),
        ("--max-tokens", "max_tokens"),
        ("--timeout", "timeout"),
        ("--retries", "max_retries"),
        ("--cache-dir", "cache_dir"),
    ]:
        default = fields[name].default
        shown = _shown_default(text, option)
        if isinstance(default, float):
            assert float(shown) == default, option
        else:
            assert shown == str(default), option
    assert _shown_default(text, "--quantity-hints / --no-quantity-hints") == "on"
    assert fields["show_quantities"].default is True


def test_version_and_short_help_in_a_real_process(tmp_path: Path) -> None:
    version = run_llmx("--version", cwd=tmp_path)
    assert (version.returncode, version.stdout) == (0, f"llmx {__version__}\n")
    sub = run_llmx("extract", "-h", cwd=tmp_path)
    assert sub.returncode == 0 and sub.stdout.startswith("Usage: llmx extract"), sub.stderr
    assert "\x1b" not in sub.stdout and "│" not in sub.stdout  # plain text in a pipe


def test_start_up_imports_no_pipeline(tmp_path: Path) -> None:
    """``llmx -h`` loads the command definitions only: the heavy modules (the extraction
    pipeline, pydantic settings, scipy, textual) wait until a command runs."""
    probe = (
        "import sys; import llmx.cli; "
        "print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('pydantic', 'scipy', 'textual', 'cn2an', 'aiohttp', 'openai', 'instructor') "
        "or m in ('llmx.api', 'llmx.pipeline', 'llmx.config', 'llmx.tasks'))))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert proc.stdout.split() == []


def test_clean_default_size_limit_is_the_loaders() -> None:
    from llmx.commands import clean
    from llmx.text import loading

    assert clean.DEFAULT_MAX_BYTES == loading.DEFAULT_MAX_BYTES
    assert _shown_default(_help("clean"), "--max-bytes") == str(loading.DEFAULT_MAX_BYTES)


def test_command_list_is_not_cut_at_80_columns() -> None:
    text = CliRunner().invoke(app, ["-h"], prog_name="llmx", terminal_width=80).output
    commands = text.split("Commands:")[1].strip().splitlines()
    cut = [line for line in commands if line.endswith("...")]
    assert len(commands) >= 6 and not cut, f"give these a short_help in llmx/cli.py: {cut}"
