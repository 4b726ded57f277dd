"""The ``postings`` task's offline extractor (its ``extract_offline`` hook): regexes, no model.

A baseline and a backend that needs no server. Everything is found on a simplified,
half-width view of the text (same length, so offsets carry over) and quoted from the text as
given. One record per **count of people** (``名/人/位``, from :mod:`llmx.quantities`) whose
clause -- or the clause after it -- holds a sending cue (选派, 派出, 赴, 挂职, 支教, 驻点 ...),
unless the clause is about a visit (考察, 调研, 观摩 ...):

- ``who``: the count and the noun phrase after it (``17名教育人才``); when nothing follows,
  the words between the cue and the count (``选派了4批医疗专业技术人员共10人``).
- ``origin``: places or bodies before the people (``惠阳区选派了…``), ``来自X`` inside
  ``who``; after 邀请/接收 the places before the verb are the destination instead.
- ``destination``: places or bodies after the people (``赴南京``, ``分别在…人民医院``),
  else a ``在X`` earlier in the sentence; ``来宁``-style short forms are resolved from the
  document's places.
- ``role``: the first purpose word (挂职锻炼, 支教, 驻点帮扶, 医疗帮扶, 指导服务 ...);
  ``period``: 为期…, 从…起, …以来 (nearest after the people, else earlier in the sentence).

A place is a run of Han characters ending in 省/市/州/县/区/镇/乡/村, a body one ending in
医院, 大学, 学院, 研究所, 中心, 公司, 中学 ...; stems of places seen anywhere in the document
count too (南京市 -> 南京). Records carry ``_span`` (``who``) and ``_evidence_span``.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any

from llmx.quantities import Quantity, find_quantities
from llmx.text.script import normalize_for_matching
from llmx.text.sentences import span_between, split_sentences

_CLAUSE_BREAK = "，,。；;！？!?：:\n"
_CUE = re.compile(
    r"选派|派出|派赴|外派|分赴|奔赴|前往|赴|驻点|驻村|挂职|跟岗|支教|下沉|深入(?!推进|开展|实施|贯彻|交流)|"
    r"来(?!自)(?=[\u4e00-\u9fff]{0,4}?(?:开展|支教|挂职|帮扶|工作|服务|指导))"
)
_VISIT = re.compile(r"考察|调研|观摩|参观|座谈|洽谈|论坛|会议|研讨")
_RECEIVE = re.compile(r"邀请|接收|引进|聘请")
_ROLE = re.compile(
    r"挂职锻炼|跟岗锻炼|锻炼提升|驻点帮扶|驻村帮扶|驻村|“?组团式”?帮扶|医疗帮扶|教育帮扶|对口帮扶|"
    r"对口支援|智力帮扶|乡村振兴帮扶|科技服务|指导服务|技术指导|支教|支医|支农|坐诊|义诊|挂职|跟岗|"
    r"学习|帮扶"
)
_PERIOD = re.compile(r"为期[^，,。；;的]{1,8}|从?今年\d{1,2}月起|[\u4e00-\u9fff]{2}以来")
# Noun phrase after the count ends at a verb, a preposition or a break.
_WHO_STOP = re.compile(
    r"[，,。；;：:！？!?()（）《》\s]|赴|到|来(?!自)|在|分别|分赴|深入|组成|进行|开展|前往|奔赴|驻|帮扶|"
    r"挂职|支教|跟岗|参加|作为|和|与|及|为|是"
)
_PLACE = re.compile(
    r"(?:(?:(?![及和与的在驻])[\u4e00-\u9fff]){1,8}?"
    r"(?:省|市|州|县|区|镇|乡|村|街道|医院|院|大学|学院|研究所|中心|公司|学校|职校|中学|小学|幼儿园))+"
)
_PLACE_PREFIX = re.compile(
    r"^(?:分别在|分别到|分赴|赴|到|来|在|至|往|从|由|向|和|与|及|并|同时|接收|邀请|选派了?|派出|组织|"
    r"按照|共|等地|来自|首次将|将|深入|全)+"
)
_NOT_PLACES = frozenset(
    {"大湾区", "合作区", "城市", "社区", "园区", "地区", "该区", "全市", "全区", "全县", "本市",
     "城区", "主城区", "结对区", "市级", "县级", "区级", "节点城市", "有关市", "相关单位"}
)  # fmt: skip
_STEM_SUFFIX = re.compile(r"[省市州县区]$")


@dataclass(frozen=True, slots=True)
class _Doc:
    text: str  # as given
    view: str  # simplified, half-width, same length
    stems: frozenset[str]  # 南京市 -> 南京: short forms of the document's places


def _places(doc: _Doc, lo: int, hi: int) -> list[str]:
    """Places and bodies in ``view[lo:hi]``, quoted from the text as given."""
    out: list[tuple[int, str]] = []
    for m in _PLACE.finditer(doc.view, lo, hi):
        lead = _PLACE_PREFIX.match(m.group())
        start = m.start() + (lead.end() if lead else 0)
        name = doc.view[start : m.end()]
        if len(name) >= 2 and name not in _NOT_PLACES:
            out.append((start, doc.text[start : m.end()]))
    taken = [(s, s + len(n)) for s, n in out]
    for stem in doc.stems:
        for m in re.finditer(re.escape(stem), doc.view[lo:hi]):
            s = lo + m.start()
            if not any(a <= s < b for a, b in taken):
                out.append((s, doc.text[s : s + len(stem)]))
    return list(dict.fromkeys(n for _, n in sorted(out)))


def _stems(view: str) -> frozenset[str]:
    stems = set()
    for m in _PLACE.finditer(view):
        lead = _PLACE_PREFIX.match(m.group())
        name = m.group()[lead.end() if lead else 0 :]
        if _STEM_SUFFIX.search(name) and len(name) >= 3 and name not in _NOT_PLACES:
            stems.add(name[:-1])
    return frozenset(stems)


def _short_form(doc: _Doc, lo: int, hi: int) -> list[str]:
    """``来宁开展…``: the one-character short form of a place of the document (西宁)."""
    m = re.search(r"来([\u4e00-\u9fff])(?=开展|支教|挂职|帮扶|工作|服务|指导)", doc.view[lo:hi])
    if not m:
        return []
    for stem in sorted(doc.stems):
        if len(stem) == 2 and stem.endswith(m.group(1)):
            at = doc.view.find(stem)
            return [doc.text[at : at + len(stem)]]
    return []


def _who_span(doc: _Doc, q: Quantity, clause_start: int, clause_end: int) -> tuple[int, int]:
    """The count and its noun phrase; the words since the cue when no noun follows."""
    stop = _WHO_STOP.search(doc.view, q.end, clause_end)
    end = stop.start() if stop else clause_end
    quoted = re.search(r"“[^“”]*”$", doc.view[q.end : end])
    if quoted and quoted.start() > 0:  # 17名教育人才“组团式”帮扶: the quote names the scheme
        end = q.end + quoted.start()
    if end - q.end >= 2:
        return q.start, end
    cues = list(_CUE.finditer(doc.view, clause_start, q.start))
    start = cues[-1].end() if cues else q.start
    start += len(re.match(r"了?", doc.view[start:]).group())  # type: ignore[union-attr]
    return start, end


def _posting(doc: _Doc, q: Quantity, sentence: tuple[int, int]) -> dict[str, Any] | None:
    view = doc.view
    cs, ce = span_between(view, q.start, q.end, _CLAUSE_BREAK, *sentence)
    window_end = ce
    if not _CUE.search(view, cs, ce):  # the cue may sit in the next clause (…10人，分赴…)
        _, window_end = span_between(view, ce + 1, ce + 1, _CLAUSE_BREAK, *sentence)
        if ce >= sentence[1] or not _CUE.search(view, ce, window_end):
            return None
    if _VISIT.search(view, cs, window_end):
        return None
    ws, we = _who_span(doc, q, cs, ce)
    before, after = _places(doc, cs, ws), _places(doc, we, window_end)
    receive = _RECEIVE.search(view, cs, ws)
    if receive:  # 西宁市邀请南京市10名医疗专家…: the people come from after the verb
        origin, destination = _places(doc, receive.end(), ws), _places(doc, cs, receive.start())
        destination += [d for d in after if d not in destination]
    else:
        origin, destination = before, after
    came_from = re.search(r"来自(.+?)的", view[ws:we])
    if came_from:
        s = ws + came_from.start(1)
        origin = [doc.text[s : s + len(came_from.group(1))]]
        destination = [d for d in destination if d not in origin]
    if not destination:  # 在册亨县双江镇，张文龙等4名…
        at = re.search(r"在([^，,。]{2,12}?)[，,]", view[sentence[0] : cs])
        if at:
            destination = _places(doc, sentence[0] + at.start(1), sentence[0] + at.end(1))
    if not destination:
        destination = _short_form(doc, we, window_end)
    if not origin and not destination:
        return None
    role = _ROLE.search(view, we, window_end) or _ROLE.search(view, cs, sentence[1])
    # the period nearest after the people, else one earlier in the sentence (从今年7月起，…)
    period = _PERIOD.search(view, cs, sentence[1]) or _PERIOD.search(view, sentence[0], cs)
    batches = [b for b in find_quantities(doc.text[ws:we]) if b.unit_simplified == "批"]
    return {
        "who": doc.text[ws:we],
        "count": int(q.value),
        "batches": int(batches[0].value) if batches else None,
        "origin": origin,
        "destination": destination,
        "role": doc.text[role.start() : role.end()] if role else "派出",
        "period": doc.text[period.start() : period.end()] if period else None,
        "evidence": doc.text[cs:window_end],
        "_span": [ws, we],
        "_evidence_span": [cs, window_end],
    }


def extract_postings(text: str) -> list[dict[str, Any]]:
    """Every posting the rules find in ``text``, in order (offsets index ``text``)."""
    view = normalize_for_matching(text)
    doc = _Doc(text, view, _stems(view))
    out: list[dict[str, Any]] = []
    for sentence in split_sentences(text):
        for q in find_quantities(text[sentence[0] : sentence[1]]):
            if q.kind != "people":
                continue
            shifted = dataclasses.replace(q, start=q.start + sentence[0], end=q.end + sentence[0])
            record = _posting(doc, shifted, sentence)
            if record is not None and all(r["_span"] != record["_span"] for r in out):
                out.append(record)
    return out
