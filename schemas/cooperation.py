"""Schema of the built-in ``cooperation`` task: programmes and metrics.

This file is task *data*: llmx loads it by path (it is not part of the ``llmx`` package), so a
user adds a task by dropping ``schemas/<task>.py`` and ``prompts/<task>/`` next to it.

The contract with llmx:
- ``RESPONSE_MODEL``: the Pydantic model the LLM must fill (one object per chunk).
- ``RECORDS``: for each list field of ``RESPONSE_MODEL``, which field is the verbatim quote
  (``quote``), which short field must be found inside it (``anchor``, becomes ``span``), whether
  a record may stand without the anchor being found (``anchor_required``), which field is the
  record's id (``id``), which field links to another record kind's id (``link``), and which
  numeric fields and unit must agree with the quantity parsed from the anchor (``value``,
  ``value_max``, ``unit``).
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
        "link": None,
    },
    "metrics": {
        "quote": "evidence",
        "anchor": "value_text",
        "anchor_required": True,
        "id": None,
        "link": "programme",
        "value": "value",
        "value_max": "value_max",
        "unit": "unit",
    },
}
