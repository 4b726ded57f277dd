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

# Programme cues, strongest first; a sentence needs one of these and a place.
_PROGRAMME_CUE = re.compile(
    r"人才支援帮扶合作计划|东西部劳务协作|东西部协作|对口帮扶|结对帮扶|对口支援|对口协作|"
    r"“?组团式”?帮扶|智力帮扶|劳务协作|产业协作|人才协作|医疗帮扶|教育帮扶|科技帮扶|"
    r"[\u4e00-\u9fff]{0,12}合作区|合作框架协议|结对关系|帮扶活动|挂职锻炼|跟岗锻炼|"
    r"赴[^，,。；;]{1,20}?帮扶"
)
# Cues that name a standing pairing (a partnership); every other cue names an initiative.
_PAIRING_CUE = re.compile(
    r"人才支援帮扶合作计划|东西部协作|对口帮扶|结对帮扶|对口支援|对口协作|人才协作|合作框架协议|结对关系"
)
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

_PLACE_SUFFIX = re.compile(r"[省市州县区]")
_PLACE_STEM_STOP = set("与和在赴到对向的了将由从及等为该是我各全本两同之以于把被给让其此每自个共")
_PLACE_STEM_STOP |= set("零〇一二两三四五六七八九十百千万年月日近最扶援助赴往派请接名位人")
_PLACE_BOUNDARY_WORDS = _words(
    "邀请 选派 组织 帮扶 协作 开展 接收 对口 结对 推进 联合 前往 来到 走进 深入 聘请 支援 援助 "
    "携手 助力 服务 位于 地处 落户 共建 以及 同时 此外 其中 包括 率先 积极 主动 调研 考察 参观 "
    "贫困 重点 国家 深度 确立 举行 召开 签订 打造 推动 加快 对接 解决 稳定 发布 实现"
)
_PLACE_BOUNDARY = re.compile("|".join(_PLACE_BOUNDARY_WORDS))
_NOT_PLACES = _words(
    "大湾区 合作区 试验区 核心区 示范区 开发区 主城区 城区 园区 景区 社区 片区 辖区 校区 山区 "
    "灾区 牧区 林区 矿区 市区 县区 城市 都市 超市 门市 集市 街区 功能区 湾区 地区 老区 新城区 "
    "保护区 名胜区 起源区 创伤区 办公区 服务区"
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
    places = _find_places(norm)
    programmes = _find_programmes(text, norm, sentences, places)
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


# --- places and programmes -------------------------------------------------------------------


def _find_places(norm: str) -> list[tuple[int, int]]:
    """``(start, end)`` of place-like tokens (X省/市/州/县/区 and their stems), in order."""
    spans: list[tuple[int, int]] = []
    for m in _PLACE_SUFFIX.finditer(norm):
        end = m.end()
        if end < len(norm) and norm[end] in "级长内外域场委情政省市县区":
            continue  # 区域, 市场 ...; and 广州市: the last suffix makes the token
        # Most county and city names have two characters (册亨县, 南京市); prefectures may
        # have three (黔西南州). Longer stems mostly swallow a verb (挖掘贞丰县).
        limit = 3 if m.group() == "州" else 2
        a = m.start()
        while a > 0 and m.start() - a < limit:
            ch = norm[a - 1]
            if not ("\u4e00" <= ch <= "\u9fff") or ch in _PLACE_STEM_STOP:
                break
            if ch in "省市州县区" and m.start() - a >= 2:
                break  # 贵州省册亨县 -> 册亨县, but 广州市 keeps its 州
            a -= 1
        stem = norm[a : m.start()]
        cuts = list(_PLACE_BOUNDARY.finditer(stem))
        if cuts:  # 邀请南京 -> 南京
            a += cuts[-1].end()
            stem = norm[a : m.start()]
        token = norm[a:end]
        if len(stem) < 2 or token.endswith(_NOT_PLACES):
            continue
        if stem[-1] in "城地山老委省市县区":
            continue
        if spans and spans[-1][1] > a:
            continue
        spans.append((a, end))
    # Stems of the places found (广州市 -> 广州) are place names too wherever they appear.
    stems = {norm[a : b - 1] for a, b in spans if b - a >= 3}
    if stems:
        pattern = re.compile("|".join(sorted(map(re.escape, stems), key=len, reverse=True)))
        covered = {i for a, b in spans for i in range(a, b)}
        for m in pattern.finditer(norm):
            if m.start() in covered:
                continue
            spans.append((m.start(), m.end()))
        spans.sort()
    return spans


def _find_programmes(
    text: str, norm: str, sentences: list[_Sentence], places: list[tuple[int, int]]
) -> list[_Programme]:
    found: list[_Programme] = []
    by_name: dict[str, _Programme] = {}
    place_starts = [a for a, _ in places]
    for sent in sentences[1:]:
        cue = _PROGRAMME_CUE.search(norm, sent.start, sent.end)
        if cue is None:
            continue
        lo = bisect_right(place_starts, sent.start - 1)
        hi = bisect_right(place_starts, sent.end - 1)
        in_sent = [(a, b) for a, b in places[lo:hi] if b <= sent.end]
        if not in_sent:
            continue
        name_start, name_end = _programme_name(norm, sent, cue, in_sent)
        name = text[name_start:name_end]
        key = _programme_key(norm, cue, in_sent)
        if key in by_name:
            by_name[key].mentions.append((sent.start, sent.paragraph))
            continue
        donors, recipients = _direction(text, norm, sent, in_sent)
        ev_start, ev_end = _strip(norm, sent.start, sent.end)
        window = norm[sent.start : sent.end]
        record: dict[str, Any] = {
            "id": f"P{len(found) + 1}",
            "kind": "partnership" if _PAIRING_CUE.search(cue.group()) else "initiative",
            "name": name,
            "donors": donors,
            "recipients": recipients,
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
        by_name[key] = prog
        found.append(prog)
    _set_parents([p.record for p in found])
    return found


def _set_parents(records: list[dict[str, Any]]) -> None:
    """An initiative's parent: the first partnership before it that shares a receiving place
    (by stem, so 黔南 meets 黔南州); else the document's first partnership."""
    partnerships = [r for r in records if r["kind"] == "partnership"]
    for r in records:
        if r["kind"] != "initiative" or not partnerships:
            continue
        stems = {x.rstrip("省市州县区") for x in r["recipients"]}
        same = [
            p for p in partnerships if stems & {x.rstrip("省市州县区") for x in p["recipients"]}
        ]
        r["parent"] = (same or partnerships)[0]["id"]


_CORE_CUES = _words(
    "东西部劳务协作 东西部协作 对口帮扶 结对帮扶 对口支援 对口协作 组团式 智力帮扶 劳务协作 "
    "产业协作 人才协作 医疗帮扶 教育帮扶 科技帮扶 合作区 框架协议 结对关系 挂职锻炼 跟岗锻炼 帮扶"
)


def _programme_key(norm: str, cue: re.Match[str], in_sent: list[tuple[int, int]]) -> str:
    """Same core cue and same places (by stem) -> the same programme mentioned again."""
    core = next((c for c in _CORE_CUES if c in cue.group()), cue.group())
    stems = sorted({norm[a:b].rstrip("省市州县区") for a, b in in_sent})
    return core + "|" + ",".join(stems)


def _programme_name(
    norm: str, sent: _Sentence, cue: re.Match[str], in_sent: list[tuple[int, int]]
) -> tuple[int, int]:
    """The programme's name: a quoted name around the cue, else first place .. cue end."""
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
    firsts = [a for a, _ in in_sent if clause_start <= a < start]
    if firsts and end - firsts[0] <= 40:
        start = firsts[0]
    return start, end


def _direction(
    text: str, norm: str, sent: _Sentence, in_sent: list[tuple[int, int]]
) -> tuple[list[str], list[str]]:
    """Donor and recipient places of a sentence, split at its first direction word."""
    pivot = _DIRECTION.search(norm, in_sent[0][1], sent.end)
    names_before: list[str] = []
    names_after: list[str] = []
    for a, b in in_sent:
        target = names_before if pivot is None or a < pivot.start() else names_after
        name = text[a:b]
        if name not in target:
            target.append(name)
    if pivot is None or not names_after:
        return [], names_before[:3]
    if pivot.group() == "邀请":
        names_before, names_after = names_after, names_before
    return names_before[:3], [n for n in names_after if n not in names_before][:3]


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
