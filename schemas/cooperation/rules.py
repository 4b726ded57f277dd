"""The ``cooperation`` task's offline extractor (its ``extract_offline`` hook): regexes, no model.

It is the baseline every LLM run is compared against and a backend that works with no server.
Everything is found on a simplified, half-width view of the text (same length, so offsets carry
over) and quoted from the text as given:

- **Metrics**: every quantity from :mod:`llmx.quantities` whose kind can be a programme metric
  (durations, distances and ages are skipped). ``subject`` is the noun phrase right after the
  quantity (``10名医疗专业技术人员`` -> 医疗专业技术人员) or, when none follows, the words
  before it in the same clause (``培训320余人次`` -> 培训, ``深入项目基地15个`` -> 项目基地),
  in simplified script. ``evidence`` is the sentence, or the clause when the sentence is long.
- **Programmes**: sentences with a cooperation cue (对口帮扶, 结对, “组团式”帮扶, 东西部协作,
  合作区, A赴B…帮扶 ...) and at least one place. Places are tokens ending in 省/市/州/县/区
  (a short stop list removes 大湾区, 合作区, 城市 ...) plus their stems seen elsewhere in the
  document (广州市 -> 广州). Direction comes from the verb: places before 赴/帮扶/支援/与 are
  donors, after it recipients (邀请 reverses). Domains come from cue words.
- **Links**: a metric belongs to the programme mentioned nearest before it in the same
  paragraph; a sentence that points back (此次活动, 本次, 该项目) links to the last programme
  mentioned anywhere before it; otherwise ``programme`` is null.

Records carry ``_span`` (the anchor: ``value_text`` or the programme ``name``) and
``_evidence_span``, ``[start, end)`` offsets into the text passed in.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Any

from llmx.quantities import Quantity, find_quantities
from llmx.text.pinyin import GLUED_LATIN
from llmx.text.script import normalize_for_matching
from llmx.text.sentences import span_between, split_sentences

from .pairing import (
    Mention,
    Pairing,
    find_mentions,
    find_pairings,
    initiative_parent,
    resolve_pronouns,
)


def _words(spaced: str) -> tuple[str, ...]:
    return tuple(spaced.split())


_CLAUSE_BREAK = "，,：:。！？!?；;…\n"
_LONG_SENTENCE = 120

# Words that end a subject phrase after the quantity (a verb, preposition or conjunction).
_AFTER_STOP = re.compile(
    r"[，,。；;：:！？!?()（）《》\s\d“”\"—·]|在|赴|到|于|来|分|参加|参与|开展|进行|组成|实现|帮扶|"
    r"全覆盖|结对|共|达|作为|纳入|一致|打造|从|重见|指导|深入|提供|和|与|及|以|将|被|已|均|是|为|"
    r"受|获|接受|得到|走进|前往|签订|入驻|落户|返乡|接连|缘何"
)
# Verbs after which the words before a quantity name what is counted (提供就业岗位6000个).
_BEFORE_VERBS = re.compile(
    r"推广应用|示范带动|深入|开展|提供|培养|新增|推广|应用|带动|惠及|达成|提出|解决|组织|选派|派出|"
    r"邀请|接收|聘请|签订|建立|设立|发展|参加|参与|调查|覆盖|完成|实现|举办|吸纳|引进|输送|转移|"
    r"销售|采购|投入|援建|捐赠|捐助|落实|争取|组建|培训|帮扶|引导|安排|招聘|录用|帮助|救治|诊治"
)
_BEFORE_TRAILING = re.compile(r"(?:共计|合计|累计|总计|共|达到|达|了|有|计)+$")
_BEFORE_LEADING = re.compile(r"^(?:通过|在|对|向|为|并|还|又|已|同时|其中|此外|另外|累计|共)+")
_PAREN = re.compile(r"[(（][^()（）]{0,8}[)）]")
_NOT_METRIC_SUBJECTS = frozenset(
    {"方面", "关键时间节点", "时间节点", "层面", "维度", "环节", "步骤"}
)

# Initiative cues (an action under a partnership), strongest first; a sentence needs one and a
# place. Relation words that state a pairing are pairing.py's.
_INITIATIVE_CUE = re.compile(
    r"东西部劳务协作|“?组团式”?帮扶|智力帮扶|劳务协作|产业协作|医疗帮扶|教育帮扶|科技帮扶|"
    r"[\u4e00-\u9fff]{0,12}合作区|帮扶活动|挂职锻炼|跟岗锻炼|赴[^，,。；;]{1,20}?帮扶"
)
# Plans with nothing done yet are no initiative (I2): a cue after one of these is skipped.
_PLANNED = re.compile(r"计划|将|拟|谋划|探索")
# Planned figures: a metric in a sentence with one of these is a target.
_TARGET_CUE = re.compile(r"计划|将|力争|目标|预计|拟")
_NAME_TAIL = re.compile(r"(?:活动|工作|项目|计划|行动|品牌|机制)")
_DIRECTION = re.compile(
    r"赴|对口|结对|帮扶|支援|援助|邀请|与|和|对(?=[^，,。]{0,12}(?:帮扶|协作|支援))"
)
_DATE = re.compile(
    r"(?<!\d)(?:\d{4}年(?:\d{1,2}月(?:\d{1,2}日)?)?|今年\d{1,2}月(?:\d{1,2}日)?|"
    r"\d{1,2}月\d{1,2}日)(?P<since>以来|起|开始)?"
)

_DOMAIN_CUES: tuple[tuple[str, str], ...] = (
    ("医疗", r"医疗|医院|医生|医师|卫生|诊疗|坐诊|义诊|专科|患者|中医"),
    ("教育", r"教育|学校|教师|职校|师徒|课堂|名师|教学"),
    ("科技", r"科技|科研|特派员|技术攻关|成果转化"),
    ("农业", r"农业|种植|养殖|农产品|茶|辣椒|药材|农田|奶牛"),
    ("劳务就业", r"劳务|就业|务工|招聘|岗位|用工"),
    ("文旅", r"文旅|旅游|景区|文化"),
    ("产业", r"产业|企业|招商|产业园"),
    ("干部人才", r"干部|人才|挂职|专家|智力"),
)
_DOMAIN_RES = tuple((d, re.compile(p)) for d, p in _DOMAIN_CUES)
_BACK_REFERENCE = re.compile(r"此次|本次|这次|该(?:活动|项目|计划)")


@dataclass(slots=True)
class _Sentence:
    start: int
    end: int
    paragraph: int


@dataclass(slots=True)
class _Programme:
    record: dict[str, Any]
    mentions: list[tuple[int, int]] = field(default_factory=list)  # (start, paragraph)


def extract_records(text: str) -> dict[str, list[dict[str, Any]]]:
    """Programmes and metrics found in ``text`` by rules, with spans into ``text``.

    Returns ``{"programmes": [...], "metrics": [...]}``; each record has the fields of
    the task schema plus ``_span`` and ``_evidence_span`` (``[start, end)``).
    """
    norm = normalize_for_matching(text)
    sentences = _split_sentences(norm)
    starts = [s.start for s in sentences]
    programmes = _find_programmes(text, norm, sentences)
    metrics: list[dict[str, Any]] = []
    quantities = find_quantities(norm)
    for i, q in enumerate(quantities):
        if not q.is_metric:
            continue
        sent = sentences[bisect_right(starts, q.start) - 1]
        clause_start, clause_end = _clause(norm, q.start, q.end, sent)
        prev_end = quantities[i - 1].end if i > 0 else 0
        nxt = quantities[i + 1] if i + 1 < len(quantities) else None
        subject = _subject(norm, q, clause_start, clause_end, prev_end, nxt)
        if subject in _NOT_METRIC_SUBJECTS:
            continue
        if sent.end - sent.start > _LONG_SENTENCE:
            ev_start, ev_end = _strip(norm, clause_start, clause_end)
        else:
            ev_start, ev_end = _strip(norm, sent.start, sent.end)
        metrics.append(
            {
                "subject": subject,
                "value": q.value,
                "value_max": q.value_max,
                "unit": q.unit_simplified,
                "qualifier": q.qualifier,
                "value_text": text[q.start : q.end],
                "evidence": text[ev_start:ev_end],
                "status": "target" if _TARGET_CUE.search(norm, sent.start, q.start) else "actual",
                "programme": _link(programmes, norm, sent, q.start),
                "_span": [q.start, q.end],
                "_evidence_span": [ev_start, ev_end],
            }
        )
    return {"programmes": [p.record for p in programmes], "metrics": metrics}


# --- sentences and clauses -------------------------------------------------------------------


def _split_sentences(norm: str) -> list[_Sentence]:
    out = [_Sentence(0, 0, 0)]  # sentinel so bisect always finds one
    paragraph = 0
    pos = 0
    for start, end in split_sentences(norm):
        start, end = _strip(norm, start, end)
        if start == end:
            continue
        paragraph += norm.count("\n", pos, start)
        pos = start
        out.append(_Sentence(start, end, paragraph))
    return out


def _clause(norm: str, start: int, end: int, sent: _Sentence) -> tuple[int, int]:
    return span_between(norm, start, end, _CLAUSE_BREAK, sent.start, sent.end)


def _strip(norm: str, start: int, end: int) -> tuple[int, int]:
    while start < end and norm[start].isspace():
        start += 1
    while end > start and norm[end - 1].isspace():
        end -= 1
    return start, end


# --- metric subjects -------------------------------------------------------------------------


def _after_phrase(norm: str, start: int, end: int) -> str:
    run = GLUED_LATIN.sub("", norm[start:end])
    m = _PAREN.match(run)
    if m:
        run = run[m.end() :]
    if run.startswith("来自"):  # 4名来自贵州中医药大学的博士 -> 博士
        i = run.find("的")
        run = run[i + 1 :] if 0 < i < 20 else ""
    prefix = ""
    if run.startswith("“") and "”" in run[:10]:  # 56名“三支”人才: a leading quote is kept
        close = run.index("”") + 1
        prefix, run = run[:close], run[close:]
    stop = _AFTER_STOP.search(run)
    run = prefix + (run[: stop.start()] if stop else run)
    run = run.rstrip("的之")
    if "等" in run and not run.endswith("等"):
        run = run[run.rindex("等") + 1 :]
    if len(run) > 12 and "、" in run:
        run = run[run.rindex("、") + 1 :]
    return run


def _before_phrase(norm: str, start: int, end: int) -> str:
    run = _PAREN.sub("", GLUED_LATIN.sub("", norm[start:end])).strip()
    run = _BEFORE_TRAILING.sub("", run)
    run = _BEFORE_LEADING.sub("", run)
    if "等" in run and not run.endswith("等"):
        run = run[run.rindex("等") + 1 :]
    cut = 0
    for m in _BEFORE_VERBS.finditer(run):
        if m.end() < len(run):
            cut = m.end()
    run = run[cut:]
    if len(run) > 16:
        run = run[max(run.rfind("、"), run.rfind("和")) + 1 :]
    return run[-16:]


def _subject(
    norm: str,
    q: Quantity,
    clause_start: int,
    clause_end: int,
    prev_end: int,
    nxt: Quantity | None,
) -> str:
    after = _after_phrase(norm, q.end, clause_end)
    if after:
        return after
    before = _before_phrase(norm, max(clause_start, prev_end), q.start)
    if before:
        return before
    # 4批共10名医疗专业技术人员: the next quantity in the clause names what is counted.
    if nxt is not None and nxt.start < clause_end:
        after = _after_phrase(norm, nxt.end, clause_end)
        if after:
            return after
    return norm[max(clause_start, q.start - 8) : q.start].strip()


# --- programmes ------------------------------------------------------------------------------


def _find_programmes(text: str, norm: str, sentences: list[_Sentence]) -> list[_Programme]:
    """Partnerships (``pairing.py``) and initiatives, in reading order, ids P1.. in that order."""
    mentions = find_mentions(text, norm)
    spans = [(s.start, s.end) for s in sentences[1:]]
    pairings = find_pairings(text, norm, spans, mentions)
    paragraph_of = {s.start: s.paragraph for s in sentences[1:]}
    found: list[tuple[_Programme, list[Mention], list[Mention]]] = []
    for pairing in pairings:
        prog = _Programme(_partnership_record(text, norm, pairing))
        prog.mentions = [(pos, paragraph_of[pairing.sentence[0]]) for pos in pairing.mentions]
        found.append((prog, pairing.donors, pairing.recipients))
    found += _find_initiatives(text, norm, sentences, mentions, pairings)
    order = sorted(range(len(found)), key=lambda i: found[i][0].mentions[0][0])
    ids = {i: f"P{rank + 1}" for rank, i in enumerate(order)}
    for i, pairing in enumerate(pairings):
        found[i][0].record["parent"] = None if pairing.parent is None else ids[pairing.parent]
    for i in range(len(pairings), len(found)):
        prog, donors, recipients = found[i]
        parent = initiative_parent(pairings, donors, recipients)
        if parent is not None:
            prog.record["parent"] = ids[parent]
            if not donors:  # a donor named only earlier is carried over (I3)
                prog.record["donors"] = [m.written for m in pairings[parent].donors]
    out = [found[i][0] for i in order]
    for i in order:
        found[i][0].record["id"] = ids[i]
    return out


def _partnership_record(text: str, norm: str, pairing: Pairing) -> dict[str, Any]:
    s_start, s_end = pairing.sentence
    record: dict[str, Any] = {
        "id": "",
        "kind": "partnership",
        "name": text[pairing.cue[0] : pairing.cue[1]],
        "donors": [m.written for m in pairing.donors],
        "recipients": [m.written for m in pairing.recipients],
        "parent": None,
        "domains": [],  # GUIDELINES P5: sectors belong to initiatives
        "start_date": None,
        "end_date": None,
        "evidence": text[s_start:s_end],
        "_span": list(pairing.cue),
        "_evidence_span": [s_start, s_end],
    }
    _dates(text, norm, _Sentence(s_start, s_end, 0), record)
    record["end_date"] = None
    return record


def _find_initiatives(
    text: str,
    norm: str,
    sentences: list[_Sentence],
    mentions: list[Mention],
    pairings: list[Pairing],
) -> list[tuple[_Programme, list[Mention], list[Mention]]]:
    found: list[tuple[_Programme, list[Mention], list[Mention]]] = []
    by_key: dict[str, _Programme] = {}
    for sent in sentences[1:]:
        cue = _INITIATIVE_CUE.search(norm, sent.start, sent.end)
        if cue is None or _PLANNED.search(norm, sent.start, cue.start()):
            continue
        in_sent = [m for m in mentions if sent.start <= m.start and m.end <= sent.end]
        in_sent += resolve_pronouns(norm, mentions, sent.start, sent.end)
        in_sent.sort(key=lambda m: m.start)
        if not in_sent:
            continue
        donors, recipients = _direction(norm, sent, cue, in_sent, pairings)
        key = _programme_key(cue, donors + recipients)
        if key in by_key:
            by_key[key].mentions.append((sent.start, sent.paragraph))
            continue
        name_start, name_end = _programme_name(norm, sent, cue, in_sent)
        ev_start, ev_end = _strip(norm, sent.start, sent.end)
        window = norm[sent.start : sent.end]
        record: dict[str, Any] = {
            "id": "",
            "kind": "initiative",
            "name": text[name_start:name_end],
            "donors": [m.written for m in donors],
            "recipients": [m.written for m in recipients],
            "parent": None,
            "domains": [d for d, rx in _DOMAIN_RES if rx.search(window)],
            "start_date": None,
            "end_date": None,
            "evidence": text[ev_start:ev_end],
            "_span": [name_start, name_end],
            "_evidence_span": [ev_start, ev_end],
        }
        _dates(text, norm, sent, record)
        prog = _Programme(record, [(sent.start, sent.paragraph)])
        by_key[key] = prog
        found.append((prog, donors, recipients))
    return found


_CORE_CUES = _words(
    "东西部劳务协作 组团式 智力帮扶 劳务协作 产业协作 医疗帮扶 教育帮扶 科技帮扶 合作区 "
    "挂职锻炼 跟岗锻炼 帮扶"
)


def _programme_key(cue: re.Match[str], parties: list[Mention]) -> str:
    """Same core cue and same divisions -> the same initiative mentioned again."""
    core = next((c for c in _CORE_CUES if c in cue.group()), cue.group())
    return core + "|" + ",".join(sorted({m.code for m in parties}))


def _programme_name(
    norm: str, sent: _Sentence, cue: re.Match[str], in_sent: list[Mention]
) -> tuple[int, int]:
    """The initiative's name: a quoted name around the cue, else first place .. cue end."""
    start, end = cue.start(), cue.end()
    tail = _NAME_TAIL.match(norm, end)
    if tail:
        end = tail.end()
    # “荔湾——南海人才高质量发展合作区”: the quoted name the cue sits in.
    open_q = norm.rfind("“", sent.start, cue.end())
    close_q = norm.find("”", open_q + 1, sent.end) if open_q >= 0 else -1
    if open_q >= 0 and close_q >= cue.end() - 1 and close_q - open_q <= 40:
        return open_q + 1, close_q
    clause_start, _ = span_between(norm, start, start, "，,：:。；;\n—", sent.start, sent.end)
    firsts = [m.start for m in in_sent if clause_start <= m.start < start]
    if firsts and end - firsts[0] <= 40:
        start = firsts[0]
    return start, end


def _direction(
    norm: str,
    sent: _Sentence,
    cue: re.Match[str],
    in_sent: list[Mention],
    pairings: list[Pairing],
) -> tuple[list[Mention], list[Mention]]:
    """Donors and recipients of an initiative sentence. Parties named together with no verb
    between them that a partnership pairs as equals (共建) take that pairing's sides; else the
    sentence splits at its first direction word after the first place (邀请 reverses)."""
    codes = {m.code for m in in_sent}
    for p in pairings:
        sides = {m.code for m in p.donors} | {m.code for m in p.recipients}
        if p.key[0] == p.key[1] and codes <= sides and len(codes) > 1:
            return list(p.donors), list(p.recipients)
    clause_start, _ = span_between(
        norm, cue.start(), cue.start(), "，,：:。；;\n—", sent.start, sent.end
    )
    in_clause = [m for m in in_sent if m.start >= clause_start] or in_sent
    pivot = _DIRECTION.search(norm, in_clause[0].end, sent.end)
    before: dict[str, Mention] = {}
    after: dict[str, Mention] = {}
    for m in in_clause:
        side = before if pivot is None or m.start < pivot.start() else after
        side.setdefault(m.code, m)
    if pivot is None or not after:
        return [], list(before.values())[:3]
    if pivot.group() == "邀请":
        before, after = after, before
    return list(before.values())[-1:], [m for c, m in after.items() if c not in before][:3]


def _dates(text: str, norm: str, sent: _Sentence, record: dict[str, Any]) -> None:
    window = norm[sent.start : sent.end]
    for m in _DATE.finditer(norm, sent.start, sent.end):
        date = text[m.start() : m.end() - len(m.group("since") or "")]
        if m.group("since"):
            record["start_date"] = record["start_date"] or date
        elif "结束" in window:
            record["end_date"] = record["end_date"] or date
        elif m.start() - sent.start <= 1 and record["start_date"] is None:
            record["start_date"] = date  # 2013年,广州市结对帮扶黔南州


def _link(programmes: list[_Programme], norm: str, sent: _Sentence, pos: int) -> str | None:
    best: tuple[int, str] | None = None
    for p in programmes:
        for start, paragraph in p.mentions:
            if paragraph == sent.paragraph and start <= pos and (best is None or start > best[0]):
                best = (start, p.record["id"])
    if best is not None:
        return best[1]
    if _BACK_REFERENCE.search(norm, sent.start, sent.end):
        before = [(s, p.record["id"]) for p in programmes for s, _ in p.mentions if s <= pos]
        if before:
            return max(before)[1]
    return None
