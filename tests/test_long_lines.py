"""A document that is one very long line (issue 12, "Hangs" 1): it finishes, nothing forks, and
Ctrl-C / SIGTERM stop an offline run promptly; re-running the command then completes it.

The runs are real ``llmx extract`` subprocesses in their own process group, killed as a group
on timeout, so a hang fails the test instead of hanging it (or leaving workers behind).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from _cli import popen_llmx

from llmx.text.cleaning import clean
from llmx.text.script import normalize_for_matching

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
# No line break anywhere; places and a pairing in every sentence, so the rules have work to do.
SENTENCE = "此次广州市專家赴黔南州开展智力帮扶活动，各位專家深入溝通對接，培训320余人次。"


def one_line(chars: int) -> str:
    return SENTENCE * (chars // len(SENTENCE))


def _start(args: list[str], cwd: Path) -> subprocess.Popen[str]:
    # its own group: a forked worker dies with it on timeout
    return popen_llmx(*args, cwd=cwd, start_new_session=True)


def _wait(proc: subprocess.Popen[str], timeout: float) -> tuple[int, str]:
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail(f"llmx extract did not finish within {timeout} s")
    return proc.returncode, err


def _doc_ids(out: Path) -> list[str]:
    return [json.loads(line)["doc_id"] for line in out.read_text("utf-8").splitlines()]


def test_a_long_line_converts_without_forking(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_fork() -> int:
        raise AssertionError("a dependency tried to fork a worker process")

    monkeypatch.setattr(os, "fork", no_fork)
    text = one_line(1_300_000)
    view = normalize_for_matching(text)
    assert len(view) == len(text)
    assert view.startswith(
        "此次广州市专家赴黔南州开展智力帮扶活动,各位专家深入沟通对接,培训320余人次。"
    )
    assert view.endswith("培训320余人次。")
    cleaned = clean(text)
    assert cleaned.text == text  # nothing to remove, and no quadratic work on the way


@pytest.mark.slow
def test_extract_finishes_a_one_line_document(tmp_path: Path) -> None:
    corpus = tmp_path / "in"
    corpus.mkdir()
    (corpus / "long.txt").write_text(one_line(1_300_000), "utf-8")
    (corpus / "seed.txt").write_text((SEEDS / "000_485f80de59385c06.txt").read_text("utf-8"))
    out = tmp_path / "out.jsonl"
    proc = _start(["extract", str(corpus), "-o", str(out), "--backend", "rules", "-q"], tmp_path)
    code, err = _wait(proc, timeout=120)
    assert code == 0, err
    assert sorted(_doc_ids(out)) == ["long", "seed"]


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signal_stops_a_long_offline_document_promptly_and_resume_completes(
    tmp_path: Path, sig: signal.Signals
) -> None:
    corpus = tmp_path / "in"
    corpus.mkdir()
    # Several seconds of cleaning + rules + grounding, all of it CPU and no line break.
    (corpus / "long.txt").write_text(one_line(1_300_000), "utf-8")
    for seed in sorted(SEEDS.glob("*.txt"))[:3]:
        (corpus / seed.name).write_text(seed.read_text("utf-8"), "utf-8")
    out = tmp_path / "out.jsonl"
    args = ["extract", str(corpus), "-o", str(out), "--backend", "rules", "-q"]

    proc = _start(args, tmp_path)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if out.exists() and len(out.read_text("utf-8").splitlines()) == 3:
            break  # the seeds are written; the long document is being worked on
        time.sleep(0.05)
    assert proc.poll() is None, "the run ended before it could be interrupted"
    time.sleep(0.3)
    proc.send_signal(sig)
    sent = time.monotonic()
    code, err = _wait(proc, timeout=60)
    stopped_after = time.monotonic() - sent
    assert code == 130, err
    assert "interrupted" in err
    assert stopped_after < 3.0, f"took {stopped_after:.1f} s to stop after {sig.name}"
    assert "long" not in _doc_ids(out)

    code, err = _wait(_start(args, tmp_path), timeout=120)  # resume
    assert code == 0, err
    ids = _doc_ids(out)
    assert sorted(ids) == sorted(["long", *(p.stem for p in sorted(SEEDS.glob("*.txt"))[:3])])
