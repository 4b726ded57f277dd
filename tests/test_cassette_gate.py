"""The CI gate on the committed cassettes catches a regression in llmx's own LLM path.

Replays the committed oracle cassette (replies scripted from the gold, not model output) with
grounding broken on purpose -- the first record of each kind in every chunk lost -- and checks
that the gate CI runs (paired test at 0.05 plus the 0.02 absolute floor) fails, while the
unbroken replay passes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from llmx import grounding
from llmx.evaluation.report import read_report
from llmx.evaluation.runner import EvalOptions, run_eval

CASSETTES = Path(__file__).resolve().parent.parent / "evals" / "cooperation" / "cassettes"
ORACLE = CASSETTES / "oracle-scripted-from-gold"


def _options() -> EvalOptions:
    return EvalOptions(
        task="cooperation",
        backend="llm",
        settings={"replay": ORACLE},
        baseline=read_report(CASSETTES / "oracle-scripted-from-gold.baseline.json"),
        alpha=0.05,
        max_drop=0.02,
        resamples=200,
    )


@pytest.mark.slow
def test_the_committed_replay_passes_its_gate() -> None:
    report = run_eval(_options())
    assert report.passed, [g for g in report.gates if not g.passed]
    assert {c.delta for c in report.comparisons} == {0.0}


@pytest.mark.slow
def test_a_grounding_regression_fails_the_gate(monkeypatch: pytest.MonkeyPatch) -> None:
    real = grounding.ground_chunk

    def lossy(*args: Any, **kwargs: Any) -> Any:
        records, warnings = real(*args, **kwargs)
        return {kind: recs[1:] for kind, recs in records.items()}, warnings

    monkeypatch.setattr("llmx.pipeline.ground_chunk", lossy)
    report = run_eval(_options())
    assert not report.passed
    failed = {(g.kind, g.mode) for g in report.gates if not g.passed}
    assert ("metrics", "strict") in failed and ("programmes", "strict") in failed
