"""Record the committed cassettes of the cooperation eval, and label each with its source.

    .venv/bin/python evals/cooperation/cassettes/record.py llama URL DOC_ID...  # a real model
    .venv/bin/python evals/cooperation/cassettes/record.py oracle               # scripted
    .venv/bin/python evals/cooperation/cassettes/record.py label DIR URL HOW DOC_ID...

``llama``: replies of the llama.cpp server at URL (``scripts/llama_server.sh start``); the
model name and the date come from the server's ``/v1/models`` and the clock, into
``cassette.json`` beside the replies. ``oracle``: the built-in test server replying to every
chunk with the gold records quoted in it (``bench/oracle_pipeline.py``) -- scripted from the
gold, never model output; it exists so CI can gate grounding, merging and scoring on replies
that have something to ground. Both record through ``llmx eval --record``, so the requests are
exactly those a replay of the eval makes.
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
# What the committed real-model cassette was recorded with (a replay must ask the same).
LLAMA_SETTINGS = ["--mode", "json_schema", "--max-tokens", "64"]


def _eval_record(folder: Path, *args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "llmx.cli", "eval", "--task", "cooperation", "--record",
         str(folder), "--report", str(folder.parent / f".{folder.name}-recorded.json"), *args],
        cwd=ROOT, check=False,
    )  # fmt: skip


def _label(folder: Path, **label: Any) -> None:
    """``cassette.json``: what the replies are, and when they were recorded (first..last)."""
    files = [p for p in folder.glob("*.json") if p.name != "cassette.json"]
    stamps = sorted(json.loads(p.read_text("utf-8"))["recorded_at"] for p in files)
    label["recorded"] = f"{stamps[0]} .. {stamps[-1]}" if stamps else None
    label["labelled"] = datetime.now(UTC).isoformat(timespec="seconds")
    label["files"] = len(files)
    (folder / "cassette.json").write_text(
        json.dumps(label, ensure_ascii=False, indent=1) + "\n", "utf-8"
    )


def _served(url: str) -> tuple[str, dict[str, Any]]:
    """The model the server says it serves (``/v1/models``), named as its GGUF file."""
    with urllib.request.urlopen(f"{url.rstrip('/')}/v1/models", timeout=30) as resp:
        served = json.load(resp)["data"][0]
    return Path(served["id"]).name.removesuffix(".gguf"), served


def label_llama(folder: Path, url: str, docs: list[str], recorded_by: str) -> None:
    name, served = _served(url)
    _label(
        folder, model=name, served_by="llama.cpp llama-server (llama-cpp-python 0.3.36 sdist)",
        parameters=served.get("meta", {}).get("n_params"), settings=LLAMA_SETTINGS,
        documents=docs or "all gold documents", source="real model replies",
        recorded_by=recorded_by,
    )  # fmt: skip


def llama(url: str, docs: list[str]) -> None:
    name, _ = _served(url)
    folder = HERE / name.lower().replace(".", "_")
    args = ["--base-url", f"{url.rstrip('/')}/v1", "--model", name, *LLAMA_SETTINGS]
    if docs:
        args += ["--docs", ",".join(docs)]
    _eval_record(folder, *args)
    label_llama(folder, url, docs, "llmx eval --record " + " ".join(args))


def oracle() -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    from oracle_pipeline import oracle as responder

    from llmx.testing import ScriptedServer

    folder = HERE / "oracle-scripted-from-gold"
    with ScriptedServer(responder("cooperation")) as server:
        _eval_record(folder, "--base-url", server.base_url, "--model", "oracle")
    _label(
        folder, model="oracle", source="SCRIPTED from the gold by llmx's test server -- not "
        "model output; measures what grounding, merging and scoring lose with perfect replies",
    )  # fmt: skip


if __name__ == "__main__":
    if sys.argv[1:2] == ["llama"] and len(sys.argv) >= 3:
        llama(sys.argv[2], sys.argv[3:])
    elif sys.argv[1:2] == ["label"] and len(sys.argv) >= 5:  # FOLDER URL "HOW" DOC_ID...
        label_llama(Path(sys.argv[2]), sys.argv[3], sys.argv[5:], sys.argv[4])
    elif sys.argv[1:] == ["oracle"]:
        oracle()
    else:
        raise SystemExit(__doc__)
