"""The rules extractor on the seeds: metrics found, negatives absent, spans exact."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest

from llmx.core.documents import Chunk, Document
from llmx.providers.base import Backend
from llmx.providers.offline import OfflineBackend as RulesBackend
from llmx.tasks import load_task

# The cooperation task's offline extractor, reached as llmx reaches it: through the task.
extract_records = load_task("cooperation").module.extract_offline  # type: ignore[union-attr]

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
SCHEMA_FIELDS = {
    "programmes": {
        "id",
        "kind",
        "parent",
        "name",
        "donors",
        "recipients",
        "domains",
        "start_date",
        "end_date",
        "evidence",
    },
    "metrics": {
        "subject",
        "value",
        "value_max",
        "unit",
        "qualifier",
        "value_text",
        "evidence",
        "status",
        "programme",
    },
}


@cache
def _seed(prefix: str) -> tuple[str, dict[str, list[dict[str, Any]]]]:
    path = next(SEEDS.glob(f"{prefix}_*.txt"))
    text = path.read_text(encoding="utf-8")
    return text, extract_records(text)


def _metric(records: dict[str, list[dict[str, Any]]], value_text: str) -> dict[str, Any]:
    found = [m for m in records["metrics"] if m["value_text"] == value_text]
    assert found, f"{value_text} not found in {[m['value_text'] for m in records['metrics']]}"
    return found[0]


# (seed, value_text, subject, value, unit, qualifier)
EXPECTED = [
    ("000", "320余人次", "培训", 320, "人次", "more_than"),
    ("000", "15个", "项目基地", 15, "个", "exact"),
    ("000", "200余人次", "现场指导", 200, "人次", "more_than"),
    ("000", "58条", "指导建议", 58, "条", "exact"),
    ("000", "17名", "广州高层次专家", 17, "名", "exact"),
    ("001", "4批", "医疗专业技术人员", 4, "批", "exact"),
    ("001", "10名", "医疗专业技术人员", 10, "名", "exact"),
    ("001", "1322名", "贞丰县籍务工人员", 1322, "名", "exact"),
    ("001", "6000餘個", "就业岗位", 6000, "个", "more_than"),
    ("001", "22家", "企业", 22, "家", "exact"),
    ("002", "200多人", "园区代表", 200, "人", "more_than"),
    ("003", "3153人次", "医疗学术和专科培训", 3153, "人次", "exact"),
    ("003", "5600余名", "群众", 5600, "名", "more_than"),
    ("003", "49名", "科技特派员", 49, "名", "exact"),
    ("003", "500余亩", "优质辣椒产业基地", 500, "亩", "more_than"),
    ("003", "4名", "博士", 4, "名", "exact"),
    ("004", "56名", "“三支”人才", 56, "名", "exact"),
    ("004", "500余名", "教师", 500, "名", "more_than"),
]


@pytest.mark.parametrize(("seed", "value_text", "subject", "value", "unit", "qualifier"), EXPECTED)
def test_expected_metrics(
    seed: str, value_text: str, subject: str, value: float, unit: str, qualifier: str
) -> None:
    _, records = _seed(seed)
    m = _metric(records, value_text)
    assert (m["subject"], m["value"], m["unit"], m["qualifier"]) == (
        subject,
        value,
        unit,
        qualifier,
    )


@pytest.mark.parametrize(
    ("seed", "absent"),
    [
        ("000", ["4天", "十年", "2024年", "8月23日", "5A", "13524678515"]),
        ("001", ["一周", "近兩周", "50多歲", "第二批", "一名", "一公里", "4天"]),
        ("002", ["1+4", "2.0", "七年", "2009年"]),
        ("003", ["第三届", "近两千公里", "2023-07-11", "11:24:12", "985", "四个", "五项"]),
        ("004", ["第二批", "第三屆", "3周", "半年至一年", "一年", "五個", "三支"]),
    ],
)
def test_negatives_absent(seed: str, absent: list[str]) -> None:
    _, records = _seed(seed)
    texts = {m["value_text"] for m in records["metrics"]}
    for bad in absent:
        assert not any(bad in t for t in texts), f"{bad} reported as a metric in seed {seed}"


@pytest.mark.parametrize("seed", ["000", "001", "002", "003", "004"])
def test_spans_slice_exactly_and_fields_match_schema(seed: str) -> None:
    text, records = _seed(seed)
    assert records["metrics"]
    ids = {p["id"] for p in records["programmes"]}
    for kind in ("programmes", "metrics"):
        for r in records[kind]:
            assert set(r) == SCHEMA_FIELDS[kind] | {"_span", "_evidence_span"}
            a, b = r["_evidence_span"]
            assert text[a:b] == r["evidence"] and r["evidence"].strip() == r["evidence"]
            anchor = r["value_text"] if kind == "metrics" else r["name"]
            s, e = r["_span"]
            assert text[s:e] == anchor
            assert a <= s < e <= b or kind == "programmes"
    for m in records["metrics"]:
        assert m["programme"] is None or m["programme"] in ids


def test_records_validate_against_the_schema() -> None:
    task = load_task("cooperation")
    for seed in ["000", "001", "002", "003", "004"]:
        _, records = _seed(seed)
        clean = {
            k: [{f: v for f, v in r.items() if not f.startswith("_")} for r in rs]
            for k, rs in records.items()
        }
        task.response_model.model_validate(clean)


def test_programmes_on_a_seed() -> None:
    _, records = _seed("000")
    progs = records["programmes"]
    assert [p["id"] for p in progs] == [f"P{i}" for i in range(1, len(progs) + 1)]
    paired = [p for p in progs if "广州市" in p["donors"] and "黔南州" in p["recipients"]]
    assert paired, progs
    # the metrics paragraph says 此次活动: it links back to the 2024 visit
    assert _metric(records, "320余人次")["programme"] == progs[0]["id"]
    assert "干部人才" in progs[0]["domains"]


def test_traditional_and_simplified_give_the_same_metrics() -> None:
    from llmx.text.script import to_simplified

    text, records = _seed("001")
    again = extract_records(to_simplified(text))
    assert [(m["subject"], m["value"], m["_span"]) for m in records["metrics"]] == [
        (m["subject"], m["value"], m["_span"]) for m in again["metrics"]
    ]


def test_deterministic() -> None:
    text, records = _seed("003")
    assert extract_records(text) == records


async def test_backend_extract_chunk() -> None:
    text, records = _seed("000")
    backend: Backend = RulesBackend()  # mypy checks the protocol
    assert (backend.name, backend.model, backend.max_chunk_chars) == ("rules", None, None)
    doc = Document(id="000", text=text, source="seeds/000.txt")
    out = await backend.extract_chunk(load_task("cooperation"), Chunk(0, text, 0), doc)
    assert out.records == records
    assert out.attempts == 0 and out.usage.total_tokens == 0
    await backend.aclose()


async def test_backend_refuses_a_task_without_an_offline_extractor() -> None:
    class Other:
        name = "events"
        offline_extractor = None

    with pytest.raises(ValueError, match="no offline extractor"):
        await RulesBackend().extract_chunk(Other(), Chunk(0, "x", 0), Document("d", "x", "s"))  # type: ignore[arg-type]
