"""Record the committed cassettes of the cooperation eval, and label each with its source.

    .venv/bin/python evals/cooperation/cassettes/record.py llama URL DOC_ID...  # a real model
    .venv/bin/python evals/cooperation/cassettes/record.py oracle               # scripted

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
    label["recorded"] = datetime.now(UTC).isoformat(timespec="seconds")
    label["files"] = len(list(folder.glob("*.json")))
    (folder / "cassette.json").write_text(
        json.dumps(label, ensure_ascii=False, indent=1) + "\n", "utf-8"
    )


def llama(url: str, docs: list[str]) -> None:
    with urllib.request.urlopen(f"{url.rstrip('/')}/v1/models", timeout=30) as resp:
        served = json.load(resp)["data"][0]
    name = Path(served["id"]).name.removesuffix(".gguf")
    folder = HERE / name.lower().replace(".", "_")
    args = ["--base-url", f"{url.rstrip('/')}/v1", "--model", name, *LLAMA_SETTINGS]
    if docs:
        args += ["--docs", ",".join(docs)]
    _eval_record(folder, *args)
    _label(
        folder, model=name, served_by="llama.cpp llama-server (llama-cpp-python 0.3.36 sdist)",
        parameters=served.get("meta", {}).get("n_params"), settings=LLAMA_SETTINGS,
        documents=docs or "all gold documents", source="real model replies",
    )  # fmt: skip


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
    elif sys.argv[1:] == ["oracle"]:
        oracle()
    else:
        raise SystemExit(__doc__)
