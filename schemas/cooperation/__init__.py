"""The built-in ``cooperation`` task: programmes (who helps whom) and metrics (quantities).

This package is task *data and hooks*: llmx loads it by path (it is not part of the ``llmx``
package). The contract with llmx is documented in ``llmx/tasks.py``:
- ``RESPONSE_MODEL``: the Pydantic model the LLM must fill (one object per chunk).
- ``RECORDS``: per record kind, the verbatim quote field, the anchor found inside it (becomes
  ``span``), ids and links between kinds, and the numeric field checked against the source.
- ``SCORING``: how the scorer compares records, field by field.
- hooks: ``summarize`` (one-line view in review), ``extract_offline`` (the ``rules`` backend,
  ``rules.py``), ``check_gold`` (annotation rules beyond the schema).
- ``VERSION``: bump when the meaning of a field changes.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, field_validator

VERSION = "1"

Domain = Literal["医疗", "教育", "科技", "农业", "劳务就业", "文旅", "产业", "干部人才", "其他"]
Qualifier = Literal[
    "exact", "more_than", "approx", "nearly", "less_than", "at_least", "at_most", "range"
]


class Programme(BaseModel):
    """一项具名的协作/帮扶项目或活动。"""

    id: str = Field(description="本文内的编号，如 P1、P2；指标用它关联项目")
    name: str = Field(description="项目或活动名称，尽量用原文说法")
    donors: list[str] = Field(
        default_factory=list,
        description="帮扶方/派出方：地区或单位，原文写法，如 广州市、惠阳区中医院",
    )
    recipients: list[str] = Field(
        default_factory=list, description="受援方/接收方：地区或单位，原文写法，如 黔南州、贞丰县"
    )
    domains: list[Domain] = Field(default_factory=list, description="所属领域，可多选")
    start_date: str | None = Field(default=None, description="开始日期，原文写法；没有则为 null")
    end_date: str | None = Field(default=None, description="结束日期，原文写法；没有则为 null")
    evidence: str = Field(description="原文中描述该项目的一句话，逐字摘录，不得改写")


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
    programme: str | None = Field(
        default=None, description="所属项目的编号（如 P1），无法判断则为 null"
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
    },
    "metrics": {
        "quote": "evidence",
        "anchor": "value_text",
        "anchor_required": True,
        "links": {"programme": "programmes"},
        "value": "value",
    },
}

# How the scorer compares records (llmx/evaluation/spec.py documents the format).
# Metrics: the amount (value and range bound in canonical units), unit, qualifier and subject
# decide a strict match; the programme link is reported, judged through the programme
# alignment. Programmes: name (lenient), donors and recipients (sets; 广州 ~ 广州市) decide;
# domains are a judgement call and dates are reported only.
_AMOUNT = {"max": "value_max", "unit": "unit", "text": "value_text", "qualifier": "qualifier"}
SCORING = {
    "programmes": {
        "location": 0.20,
        # names recur across a text, so a like name is enough; so is sharing the same sentence
        "admit": {"name": 0.5, "location": 0.5},
        "fields": {
            "name": {"compare": "text", "key": True, "weight": 0.35},
            "donors": {"compare": "set", "key": True, "weight": 0.15},
            "recipients": {"compare": "set", "key": True, "weight": 0.15},
            "domains": {"compare": "label_set", "weight": 0.15},
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
            "programme": {"compare": "link", "weight": 0.10},
        },
    },
}

from .hooks import check_gold, extract_offline, summarize  # noqa: E402  (after the model)

__all__ = ["RECORDS", "RESPONSE_MODEL", "SCORING", "check_gold", "extract_offline", "summarize"]
