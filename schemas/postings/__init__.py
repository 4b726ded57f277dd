"""The built-in ``postings`` task: people or teams sent between places or bodies.

挂职干部, 支教老师, 医疗队, 驻点医生, 科技特派员: who (and how many) went from where to where, to do
what, for how long -- one record per sending, anchored on the phrase that names the people.
The second task shipped with llmx, shaped nothing like ``cooperation`` (one record kind, no
ids or links, people rather than quantities), to show that a schema, a prompt and a scoring
spec drive extraction, grounding, gold, scoring and review without a line of llmx naming it.

The contract with llmx is documented in ``llmx/tasks.py``; annotation rules in
``evals/postings/GUIDELINES.md``.
"""

from __future__ import annotations

from pydantic import BaseModel, Field, field_validator

VERSION = "1"


class Posting(BaseModel):
    """一次人员派出：某地或某单位把人员（个人、若干人或一支队伍）派到另一地或单位去工作、服务或跟岗学习。
    单纯的考察、调研、观摩、参会不算派出。"""

    who: str = Field(
        description="被派出的人员：原文中指称他们的短语，逐字摘录；数量紧挨着写时连同数量，"
        "如 12名医疗专家、3批教师共15人、挂职干部、张医生"
    )
    count: int | None = Field(
        default=None,
        description="派出人数（阿拉伯数字，所有批次合计，如 3批共15人 → 15）；"
        "原文没写人数则为 null，不要推算或相加",
    )
    batches: int | None = Field(
        default=None, description="批次数，如 3批 → 3；没写则为 null（第二批 这类序数不算）"
    )
    origin: list[str] = Field(
        default_factory=list,
        description="派出地/派出单位：人员从哪里来，原文写法，如 甲市、甲县人民医院；"
        "代词和简称要还原（该区 → 所指的区，来丙 → 丙市）；文中没写则为空列表",
    )
    destination: list[str] = Field(
        default_factory=list,
        description="派往地/接收单位：人员到哪里去工作，原文写法，尽量具体，"
        "如 乙州、乙县中心医院；方向跟着人走：丙市干部赴丁市挂职 → 派出地 丙市，派往地 丁市",
    )
    role: str = Field(
        description="去做什么：任务或身份，简短，尽量用原文说法，"
        "如 挂职锻炼、支教、驻点帮扶、坐诊、技术指导、跟岗锻炼、医疗帮扶"
    )
    period: str | None = Field(
        default=None,
        description="派驻时长或起止时间，按原文写法，如 为期一年、从今年3月起、两年来；"
        "原文没写则为 null",
    )
    evidence: str = Field(description="原文中陈述这次派出的句子或分句，逐字摘录，不得改写")

    @field_validator("who", "role", "evidence")
    @classmethod
    def _not_blank(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("must not be empty")
        return v


class PostingsExtraction(BaseModel):
    """从一段新闻中抽取的全部人员派出；没有则返回空列表。"""

    postings: list[Posting] = Field(default_factory=list)


RESPONSE_MODEL = PostingsExtraction

# Grounding: the evidence is located in the source, then ``who`` inside it (the span review
# highlights and the scorer aligns on). No ids, no links: postings stand alone.
RECORDS = {
    "postings": {"quote": "evidence", "anchor": "who", "anchor_required": True},
}

# How the scorer compares postings (llmx/evaluation/spec.py documents the format). A strict
# match needs the right number of people, from the right place, to the right place, for the
# right purpose; ``who`` is located by its span and weighed but not a key (精兵良将 and 医疗专家
# name the same team); the period and the batch count are reported only.
SCORING = {
    "postings": {
        "location": 0.30,
        "admit": {"location": "any"},
        "fields": {
            "who": {"compare": "text", "weight": 0.15},
            "count": {"compare": "number", "key": True, "weight": 0.15},
            "origin": {"compare": "set", "key": True, "weight": 0.10},
            "destination": {"compare": "set", "key": True, "weight": 0.15},
            "role": {"compare": "text", "key": True, "weight": 0.10},
            "period": {"compare": "text", "weight": 0.05},
            "batches": {"compare": "number"},
        },
    },
}

from .hooks import check_gold, extract_offline, summarize  # noqa: E402  (after the model)

__all__ = [
    "RECORDS",
    "RESPONSE_MODEL",
    "SCORING",
    "VERSION",
    "check_gold",
    "extract_offline",
    "summarize",
]
