"""The built-in ``cooperation`` task: programmes (who helps whom) and metrics (quantities).

This package is task *data and hooks*: llmx loads it by path (it is not part of the ``llmx``
package). The contract with llmx is documented in ``llmx/tasks.py``:
- ``RESPONSE_MODEL``: the Pydantic model the LLM must fill (one object per chunk).
- ``RECORDS``: per record kind, the verbatim quote field, the anchor found inside it (becomes
  ``span``), ids and links between kinds, and the numeric field checked against the source.
- ``SCORING``: how the scorer compares records, field by field.
- hooks: ``summarize`` (one-line view in review), ``extract_offline`` (the ``rules`` backend,
  ``rules.py``), ``check_gold`` (annotation rules beyond the schema), ``edges`` (who helps
  whom, drawn by ``llmx report``).
- ``VERSION``: bump when the meaning of a field changes.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, field_validator

VERSION = "2"  # 2: programmes are partnerships or initiatives (parent links); metric status

Domain = Literal["医疗", "教育", "科技", "农业", "劳务就业", "文旅", "产业", "干部人才", "其他"]
Qualifier = Literal[
    "exact", "more_than", "approx", "nearly", "less_than", "at_least", "at_most", "range"
]
ProgrammeKind = Literal["partnership", "initiative"]
Status = Literal["actual", "target"]


class Programme(BaseModel):
    """一项协作关系（partnership）或其下开展的具体行动（initiative）。"""

    id: str = Field(description="本文内的编号，如 P1、P2；指标和下级项目用它关联")
    kind: ProgrammeKind = Field(
        description="partnership：帮扶方与受援方之间长期的结对/协作关系"
        "（如 广州市→黔南州 东西部协作、惠阳区→贞丰县 一对一结对）；"
        "initiative：在某一结对关系下开展的具体行动"
        "（选派专家、培训班、招聘会、劳务工作站、具名活动或项目）"
    )
    name: str = Field(
        description="名称，用原文说法：partnership 用关系词（东西部协作、对口帮扶、结对帮扶）；"
        "initiative 用活动或项目名称"
    )
    donors: list[str] = Field(
        default_factory=list,
        description="帮扶方/给予方：地区或单位，原文写法（代词还原，如 该区→惠阳区），"
        "如 广州市、惠阳区中医院",
    )
    recipients: list[str] = Field(
        default_factory=list, description="受援方/接收方：地区或单位，原文写法，如 黔南州、贞丰县"
    )
    parent: str | None = Field(
        default=None,
        description="上级结对关系的编号：县级结对属于市级结对，"
        "initiative 属于其所在的 partnership；原文没有上级关系则为 null",
    )
    domains: list[Domain] = Field(default_factory=list, description="所属领域，可多选")
    start_date: str | None = Field(default=None, description="开始日期，原文写法；没有则为 null")
    end_date: str | None = Field(default=None, description="结束日期，原文写法；没有则为 null")
    evidence: str = Field(description="原文中最能说明该项目的一句话，逐字摘录，不得改写")


class Metric(BaseModel):
    """一个量化的投入、活动、参与者、受益者或产出。"""

    subject: str = Field(description="被计量的事物，简短，如 培训、专家、医疗专业技术人员")
    value: float = Field(description="数值（阿拉伯数字；万/亿折算进数值，如 1.2万 → 12000）")
    value_max: float | None = Field(default=None, description="区间上限，如 3至5名 → 5；否则 null")
    unit: str = Field(description="单位或量词，如 人次、名、个、项、亩、万元、%")
    qualifier: Qualifier = Field(
        default="exact",
        description="限定：余/多/逾/超过/以上→more_than；约/左右→approx；近/将近→nearly；"
        "不到/不足→less_than；至少/不少于→at_least；最多/不超过→at_most；区间→range；否则 exact",
    )
    value_text: str = Field(description="原文中的数量表达，逐字摘录，如 320余人次")
    evidence: str = Field(description="包含该数量的原文句子或分句，逐字摘录")
    status: Status = Field(
        default="actual",
        description="actual：已完成或正在进行的实际数；target：计划、目标、预计（将、力争、计划、目标）",
    )
    programme: str | None = Field(
        default=None,
        description="所属的最具体的项目编号（如 P2）：具体行动的数字连到 initiative，"
        "整体结对的总数连到 partnership；无法判断则为 null",
    )

    @field_validator("value_text", "evidence")
    @classmethod
    def _not_blank(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("must quote the source text, not be empty")
        return v


class CooperationExtraction(BaseModel):
    """从一段新闻中抽取的全部项目与指标；没有则返回空列表。"""

    programmes: list[Programme] = Field(default_factory=list)
    metrics: list[Metric] = Field(default_factory=list)


RESPONSE_MODEL = CooperationExtraction

RECORDS = {
    "programmes": {
        "quote": "evidence",
        "anchor": "name",
        "anchor_required": False,
        "id": "id",
        "id_prefix": "P",
        "links": {"parent": "programmes"},
    },
    "metrics": {
        "quote": "evidence",
        "anchor": "value_text",
        "anchor_required": True,
        "links": {"programme": "programmes"},
        "value": "value",
        "value_max": "value_max",
        "unit": "unit",
    },
}

# How the scorer compares records (llmx/evaluation/spec.py documents the format).
# Programmes: kind, donors and recipients decide a strict match, and an initiative's name
# (partnership names vary with the text's wording: 东西部协作 / 结对帮扶 name one pairing);
# parties compare by administrative division (places.py: 黔南 == 黔南布依族苗族自治州 ==
# 貴州黔南州, 黔南 != 黔西南; a county inside a prefecture counts half). Figures are reported
# per programme kind. The parent link is judged through the programme alignment. Metrics: the
# amount (value and range bound in canonical units), unit, qualifier and subject decide; status
# and the programme link
# are reported per field.
_AMOUNT = {"max": "value_max", "unit": "unit", "text": "value_text", "qualifier": "qualifier"}
SCORING = {
    "programmes": {
        "split_by": "kind",
        "location": 0.15,
        # a like name, the same sentence, or the same receiving side makes a candidate pair
        "admit": {"name": 0.5, "location": 0.5, "recipients": 0.99},
        "fields": {
            "kind": {"compare": "exact", "key": True, "weight": 0.15},
            "donors": {"compare": "party_set", "key": True, "weight": 0.2},
            "recipients": {"compare": "party_set", "key": True, "weight": 0.2},
            "name": {"compare": "initiative_name", "key": True, "weight": 0.2},
            "domains": {"compare": "label_set", "weight": 0.1},
            "parent": {"compare": "link"},
            "start_date": {"compare": "label"},
            "end_date": {"compare": "label"},
        },
    },
    "metrics": {
        "location": 0.40,
        "admit": {"location": "any"},
        "fields": {
            "value": {"compare": "amount", "key": True, "weight": 0.20, "options": _AMOUNT},
            "unit": {"compare": "unit", "key": True, "weight": 0.10, "options": _AMOUNT},
            "qualifier": {
                "compare": "exact",
                "key": True,
                "weight": 0.05,
                "options": {"default": "exact"},
            },
            "subject": {"compare": "text", "key": True, "weight": 0.15},
            "status": {"compare": "exact", "options": {"default": "actual"}},
            "programme": {"compare": "link", "weight": 0.10},
        },
    },
}

from .hooks import COMPARATORS as _OWN_COMPARATORS  # noqa: E402  (after the model)
from .hooks import check_gold, edges, enrich, extract_offline, summarize  # noqa: E402
from .places import COMPARATORS as _PARTY_COMPARATORS  # noqa: E402

COMPARATORS = {**_OWN_COMPARATORS, **_PARTY_COMPARATORS}

__all__ = [
    "COMPARATORS",
    "RECORDS",
    "RESPONSE_MODEL",
    "SCORING",
    "check_gold",
    "edges",
    "enrich",
    "extract_offline",
    "summarize",
]
