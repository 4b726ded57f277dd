"""Issue 12, invented numbers: every numeric field and the unit of a record must agree with the
quantity parsed from its quoted ``value_text``, be corrected with a warning, or the record is
dropped as ungrounded. The field names come from the task's RecordSpec."""

from __future__ import annotations

from typing import Any

from llmx.core.documents import Chunk, CleanedText
from llmx.grounding import Grounder, ground_chunk
from llmx.tasks import load_task

TASK = load_task("cooperation")
TEXT = "今年组织培训3至5批次，共培训320人次，落实帮扶资金1200万元。"


def ground(text: str = TEXT, **fields: Any) -> tuple[list[dict[str, Any]], list[str]]:
    record = {
        "subject": "培训", "value": 320.0, "value_max": None, "unit": "人次",
        "qualifier": "exact", "value_text": "320人次", "evidence": "共培训320人次",
        "programme": None,
    }  # fmt: skip
    record.update(fields)
    grounder = Grounder(CleanedText.identity(text), text)
    out, warnings = ground_chunk(
        grounder, TASK, Chunk(0, text, 0), {"metrics": [record], "programmes": []}
    )
    return out["metrics"], warnings


def test_the_spec_names_every_numeric_field_and_the_unit() -> None:
    spec = TASK.records["metrics"]
    assert (spec.value, spec.value_max, spec.unit) == ("value", "value_max", "unit")


def test_an_honest_record_passes_untouched() -> None:
    kept, warnings = ground()
    assert kept[0]["value"] == 320 and kept[0]["value_max"] is None and kept[0]["unit"] == "人次"
    assert warnings == []


def test_invented_value_max_on_a_single_number_is_corrected_with_a_warning() -> None:
    kept, warnings = ground(value_max=987654.0)
    assert kept[0]["value_max"] is None
    assert any("value_max" in w and "987654" in w for w in warnings)


def test_invented_value_max_on_a_real_range_is_corrected() -> None:
    kept, warnings = ground(
        value=3.0, value_max=987654.0, unit="批次", value_text="3至5批次",
        evidence="组织培训3至5批次", qualifier="range",
    )  # fmt: skip
    assert kept[0]["value"] == 3 and kept[0]["value_max"] == 5
    assert any("value_max" in w for w in warnings)


def test_a_number_with_no_quantity_in_its_quote_is_dropped() -> None:
    kept, warnings = ground(value=987654.0, value_text="培训", evidence="共培训320人次")
    assert kept == []
    assert any("ungrounded" in w and "987654" in w for w in warnings)


def test_a_number_whose_quote_has_no_quantity_is_reanchored_when_the_evidence_has_it() -> None:
    kept, _ = ground(value=320.0, value_text="培训", evidence="共培训320人次")
    assert kept[0]["value_text"] == "320人次" and kept[0]["value"] == 320


def test_a_changed_unit_is_corrected_with_a_warning() -> None:
    kept, warnings = ground(unit="万元")
    assert kept[0]["unit"] == "人次"
    assert any("unit" in w and "万元" in w for w in warnings)


def test_a_unit_spelled_another_way_with_the_same_meaning_is_kept() -> None:
    # 个 == 個 after script normalisation, 名 == 人: not an invention.
    kept, warnings = ground(
        text="组织培训3至5個项目，选派15名专家。", value=3.0, value_max=5.0, unit="个",
        value_text="3至5個", evidence="组织培训3至5個项目", qualifier="range",
    )  # fmt: skip
    assert kept[0]["unit"] == "个" and warnings == []
    kept, warnings = ground(
        text="组织培训3至5個项目，选派15名专家。", value=15.0, unit="人", value_text="15名",
        evidence="选派15名专家",
    )  # fmt: skip
    assert kept[0]["unit"] == "人" and warnings == []
