"""A test-only task whose schema pins what the model may write (a grammar, via json_schema).

A 135M model cannot extract anything useful, so the integration tests use this schema to make
the real server produce a predictable reply: one metric quoting text that *is* in the test
document (it must ground exactly, with a numeric value chosen by the model) and one "ghost"
quoting text that is *not* (it must be dropped and counted). The model still generates every
token; the schema only limits the choices. ``value`` is an integer because llama.cpp's grammar
for a JSON number allows unbounded fraction digits, which a tiny model can loop on.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

VERSION = "1"


class Metric(BaseModel):
    """一个指标。"""

    subject: Literal["培训"] = Field(description="被计量的事物")
    value: int = Field(description="数值")
    unit: Literal["人次"] = Field(description="单位")
    value_text: Literal["320余人次"] = Field(description="原文中的数量表达")
    evidence: Literal["培训320余人次"] = Field(description="原文句子")


class Ghost(BaseModel):
    """一个原文里没有的记录。"""

    value_text: Literal["999个"] = Field(description="数量表达")
    evidence: Literal["原文里没有这句"] = Field(description="句子")


class ProbeExtraction(BaseModel):
    """恰好一个指标和一个虚构记录。"""

    metrics: list[Metric] = Field(min_length=1, max_length=1)
    ghosts: list[Ghost] = Field(min_length=1, max_length=1)


RESPONSE_MODEL = ProbeExtraction

RECORDS = {
    "metrics": {"quote": "evidence", "anchor": "value_text", "anchor_required": True},
    "ghosts": {"quote": "evidence", "anchor": "value_text", "anchor_required": True},
}
