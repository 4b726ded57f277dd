"""Small hand-built review fixtures: two documents, gold, and two runs A and B.

The runs are written by hand for the tests (they are not model output): B gets one metric's
value wrong that A had right (a regression) and finds one that A missed (an improvement).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from llmx.core.results import DocMeta, DocResult
from llmx.evaluation.gold import parse_gold, text_sha256

TEXT1 = (
    "东西部协作：广州市结对帮扶黔南州。\n"
    "专家通过专题培训等培训320余人次，现场指导200余人次。\n"
    "两地共投入资金1.2亿元。另有協(xié)作項目15個。\n"
)
TEXT2 = "南京市与西宁市开展人才协作，选派教师12名。\n"


def metric(
    text: str,
    subject: str,
    value: float,
    unit: str,
    value_text: str,
    evidence: str,
    qualifier: str = "exact",
    programme: str | None = None,
) -> dict[str, Any]:
    """A metric record with spans computed from ``text`` (quotes must occur once)."""
    ev = text.index(evidence)
    vt = text.index(value_text, ev)
    return {
        "subject": subject,
        "value": value,
        "value_max": None,
        "unit": unit,
        "qualifier": qualifier,
        "value_text": value_text,
        "evidence": evidence,
        "programme": programme,
        "span": [vt, vt + len(value_text)],
        "evidence_span": [ev, ev + len(evidence)],
    }


def programme(text: str, pid: str, name: str, evidence: str) -> dict[str, Any]:
    ev = text.index(evidence)
    at = text.index(name, ev)
    return {
        "id": pid,
        "kind": "initiative",
        "name": name,
        "donors": ["广州市"],
        "recipients": ["黔南州"],
        "domains": [],
        "start_date": None,
        "end_date": None,
        "evidence": evidence,
        "span": [at, at + len(name)],
        "evidence_span": [ev, ev + len(evidence)],
    }


def records(text2: str = TEXT2) -> dict[str, dict[str, Any]]:
    """Gold, A and B records for both documents."""
    prog = programme(TEXT1, "P1", "结对帮扶", "广州市结对帮扶黔南州")
    train = metric(
        TEXT1, "培训", 320, "人次", "320余人次", "专题培训等培训320余人次", "more_than", "P1"
    )
    guide = metric(TEXT1, "现场指导", 200, "人次", "200余人次", "现场指导200余人次", "more_than")
    money = metric(TEXT1, "资金", 1.2e8, "元", "1.2亿元", "两地共投入资金1.2亿元")
    extra = metric(TEXT1, "协作项目", 15, "个", "15個", "另有協(xié)作項目15個")
    teach = metric(text2, "教师", 12, "人", "12名", "选派教师12名")
    wrong = dict(train, value=300)
    return {
        "gold": {
            "d1": {"programmes": [prog], "metrics": [train, guide, money]},
            "d2": {"programmes": [], "metrics": [teach]},
        },
        "a": {
            "d1": {"programmes": [prog], "metrics": [train, guide, extra]},
            "d2": {"programmes": [], "metrics": [teach]},
        },
        "b": {
            "d1": {"programmes": [prog], "metrics": [wrong, guide, money, extra]},
            "d2": {"programmes": [], "metrics": [teach]},
        },
    }


def write_case(root: Path, text2: str = TEXT2) -> dict[str, Path]:
    """Write texts, gold files and both runs under ``root``; return their paths."""
    texts = {"d1": TEXT1, "d2": text2}
    data = records(text2)
    (root / "docs").mkdir()
    gold_dir = root / "gold"
    gold_dir.mkdir()
    for doc_id, text in texts.items():
        src = root / "docs" / f"{doc_id}.txt"
        src.write_text(text, encoding="utf-8")
        gold = parse_gold(
            {
                "doc_id": doc_id,
                "source": str(src),
                "text_sha256": text_sha256(text),
                "annotator": "tests",
                **data["gold"][doc_id],
            },
            "cooperation",
        )
        (gold_dir / f"{doc_id}.json").write_text(
            json.dumps(gold.model_dump(mode="json"), ensure_ascii=False, indent=2) + "\n",
            encoding="utf-8",
        )
    paths = {"gold": gold_dir}
    for run in ("a", "b"):
        path = root / f"{run}.jsonl"
        with path.open("w", encoding="utf-8") as fh:
            for doc_id in texts:
                result = DocResult(
                    doc_id=doc_id,
                    source=str(root / "docs" / f"{doc_id}.txt"),
                    task="cooperation",
                    meta=DocMeta(backend="test", task="cooperation"),
                )
                for kind, recs in data[run][doc_id].items():
                    result.set_records(kind, recs)
                fh.write(result.model_dump_json() + "\n")
        paths[run] = path
    return paths
