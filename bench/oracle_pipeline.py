"""What the LLM path itself loses: a scripted "oracle" replies with the gold, llmx does the rest.

The built-in test server answers every chunk request with the task's gold records whose quote
lies in that chunk's text (ids local to the chunk, links kept when both ends are in the chunk),
exactly as a perfect model would reply. llmx then runs its whole LLM path -- clean, chunk,
prompt, call, validate, ground, merge -- and ``llmx eval`` scores the result against the same
gold. Anything below 1.0 is lost by llmx (chunk boundaries cutting a record from the record it
links to, grounding, merging), not by a model. These are scripted replies built from the gold,
never model output.

    .venv/bin/python bench/oracle_pipeline.py [--task cooperation]   # default chunking
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from llmx.evaluation.gold import load_gold  # noqa: E402
from llmx.evaluation.normalize import loose  # noqa: E402
from llmx.tasks import load_task  # noqa: E402
from llmx.testing import Reply, ScriptedServer  # noqa: E402

SPAN_FIELDS = ("span", "evidence_span", "note")


def oracle(task_name: str) -> Any:
    """A responder that replies with the gold records quoted in the request's chunk."""
    task = load_task(task_name)
    gold = load_gold(task.eval_dir / "gold", task)
    records = [
        (kind, {k: v for k, v in r.items() if k not in SPAN_FIELDS})
        for doc in gold.values()
        for kind in task.kinds
        for r in doc.records(kind)
    ]

    def respond(request: dict[str, Any]) -> Reply:
        user = next(m["content"] for m in request["messages"] if m["role"] == "user")
        text = loose(str(user).rsplit("】", 1)[-1])  # the chunk, after the last section mark
        reply: dict[str, list[dict[str, Any]]] = {k: [] for k in task.kinds}
        for kind, rec in records:
            if loose(rec[task.records[kind].quote]) in text:
                reply[kind].append(dict(rec))
        present = {  # ids defined in this reply, per kind
            kind: {str(r.get(spec.id)) for r in reply[kind]}
            for kind, spec in task.records.items()
            if spec.id
        }
        for kind, spec in task.records.items():
            for r in reply[kind]:
                for link, target in spec.links.items():
                    if r.get(link) is not None and str(r[link]) not in present.get(target, ()):
                        r[link] = None  # the linked record is in another chunk
        return Reply.data(reply)

    return respond


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--task", default="cooperation")
    args = ap.parse_args()
    task = load_task(args.task)
    sources = sorted({g.source for g in load_gold(task.eval_dir / "gold", task).values()})
    with tempfile.TemporaryDirectory() as tmp, ScriptedServer(oracle(args.task)) as server:
        out, report = Path(tmp) / "oracle.jsonl", Path(tmp) / "oracle.json"
        common = ["--task", args.task]
        subprocess.run(
            [sys.executable, "-m", "llmx.cli", "extract", *sources, "-o", str(out), *common,
             "--base-url", server.base_url, "--model", "oracle", "--no-cache", "-q"],
            cwd=ROOT, check=True, env={"OPENAI_API_KEY": "oracle", "PATH": ""},
        )  # fmt: skip
        subprocess.run(
            [sys.executable, "-m", "llmx.cli", "eval", *common, "--predictions", str(out),
             "--report", str(report)],
            cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        summary = json.loads(report.read_text(encoding="utf-8"))["summary"]
        print(f"{len(server.requests)} requests for {len(sources)} documents")
    print(f"{'kind':<24} {'P':>6} {'R':>6} {'F1':>6}  links")
    for kind, s in summary.items():
        links = ", ".join(f"{k} {v:.3f}" for k, v in s["links"].items() if v is not None)
        st = s["strict"]
        print(f"{kind:<24} {st['precision']:6.3f} {st['recall']:6.3f} {st['f1']:6.3f}  {links}")
        for group, c in s["groups"].items():
            p = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 1.0
            r = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 1.0
            f = 2 * p * r / (p + r) if p + r else 0.0
            print(f"  {group:<22} {p:6.3f} {r:6.3f} {f:6.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
