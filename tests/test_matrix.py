"""``llmx eval --matrix``: every cell of a providers × variants file scored, one table."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from llmx.api import aextract
from llmx.cli import app
from llmx.evaluation.matrix import load_matrix
from llmx.evaluation.runner import HarnessError
from llmx.evaluation.variants import apply_variant
from llmx.tasks import load_task
from llmx.testing import Reply, ScriptedServer

REPO = Path(__file__).resolve().parent.parent


def _record_seeds(folder: Path) -> None:
    """A cassette of the five seeds from the test server (scripted replies: nothing found)."""

    def nothing(_request: dict[str, Any]) -> Reply:
        return Reply.data({"programmes": [], "metrics": []}, usage=(1000, 20))

    with ScriptedServer(nothing) as server:
        opts = {"base_url": server.base_url, "model": "scripted", "record": folder}
        results = asyncio.run(aextract([REPO / "seeds"], backend="llm", **opts))
    assert all(r.status == "ok" for r in results)


def _matrix(tmp_path: Path, cassette: Path) -> Path:
    path = tmp_path / "matrix.toml"
    path.write_text(
        f"""
task = "cooperation"
dataset = "{REPO / "evals" / "cooperation"}"
[bootstrap]
resamples = 500
[providers.rules]
backend = "rules"
[providers.scripted]
replay = "{cassette.name}"
price_in = 0.5
price_out = 2.0
""",
        "utf-8",
    )
    return path


@pytest.mark.slow
def test_matrix_of_rules_and_a_cassette_prints_one_table_with_intervals(tmp_path: Path) -> None:
    cassette = tmp_path / "cassette"
    _record_seeds(cassette)
    config = _matrix(tmp_path, cassette)
    runner = CliRunner()
    done = runner.invoke(
        app, ["eval", "--matrix", str(config), "--report", str(tmp_path / "m.json")]
    )
    assert done.exit_code == 0, done.output
    out = done.output
    for needed in ("rules/default", "scripted/default", "F1 interval", "latency p50/p95"):
        assert needed in out
    assert "replay" in out and "rules (offline)" in out
    report = json.loads((tmp_path / "m.json").read_text("utf-8"))
    rules, scripted = report["cells"]
    assert rules["report"]["summary"]["metrics"]["strict"]["f1"] > 0.8
    assert scripted["report"]["summary"]["metrics"]["strict"]["f1"] == 0.0  # it found nothing
    ci = rules["report"]["intervals"]["metrics strict.f1"]
    assert ci["low"] <= rules["report"]["summary"]["metrics"]["strict"]["f1"] <= ci["high"]
    assert ci["resamples"] == 500
    # Tokens and cost come from the recorded usage and the config's prices.
    requests = scripted["requests"]
    assert requests > 0 and scripted["prompt_tokens"] == 1000 * requests
    assert scripted["cost"] == pytest.approx((1000 * 0.5 + 20 * 2.0) * requests / 1e6)
    assert scripted["latency_p50"] is not None and rules["latency_p50"] is None


@pytest.mark.slow
def test_a_cell_whose_cassette_lacks_the_variant_is_reported_not_scored(tmp_path: Path) -> None:
    cassette = tmp_path / "cassette"
    cassette.mkdir()
    config = _matrix(tmp_path, cassette)
    text = config.read_text("utf-8").replace('replay = "cassette"', 'replay = "nowhere"')
    config.write_text(text + "variants = ['no_examples']\n", "utf-8")
    [cell] = [c for c in load_matrix(config).cells if c.provider == "scripted"]
    assert cell.variant == "no_examples"
    done = CliRunner().invoke(app, ["eval", "--matrix", str(config), "--json"])
    assert done.exit_code == 1
    report = json.loads(done.stdout)
    scripted = next(c for c in report["cells"] if c["provider"] == "scripted")
    assert "no cassette folder" in scripted["error"]


def test_matrix_file_mistakes_are_named(tmp_path: Path) -> None:
    bad = tmp_path / "m.toml"
    bad.write_text('[providers.x]\nmodle = "typo"\n', "utf-8")
    with pytest.raises(HarnessError, match="unknown key"):
        load_matrix(bad)
    bad.write_text('variants = ["default"]\n', "utf-8")
    with pytest.raises(HarnessError, match="no \\[providers"):
        load_matrix(bad)


def test_prompt_variants_change_the_prompt_and_its_version() -> None:
    task = load_task("cooperation")
    plain, _settings = apply_variant(task, "no_examples")
    assert plain.examples == [] and plain.prompt_version != task.prompt_version
    assert task.examples  # the loaded task itself is untouched
    same, hints = apply_variant(task, "no_quantity_hints")
    assert same is task and hints == {"show_quantities": False}
    with pytest.raises(Exception, match="unknown prompt variant"):
        apply_variant(task, "nope")
