"""Initiatives for the offline extractor: concrete actions under a partnership (GUIDELINES §3).

A sentence (or each half of one joined by 同时 / ；) holding an action cue and a party is an
initiative. Cues come in three tiers, the first found wins: a name of its own (a quoted
activity 健康X“五项活动”, a team that 组成了“驻村攻坚团”), an action word (智力帮扶, 劳务协作,
跟岗锻炼, 论坛, 招聘会, 建设项目 …), a bare posting verb (选派, 邀请, 接收, 赴…帮扶). Cues in a
plan (计划, 将, 拟), a purpose clause (为进一步…) or a 在…方面 frame are skipped.

- **Sides.** 中央、省、州 as levels give (no partnership, no parent); staff sent *to* the giver
  (赴X跟岗锻炼/挂职锻炼/学习) have X as donor; 邀请 / 接收 / 来自 X make X the donor; else the
  places before the first direction word give and those after receive; places named with no
  such word, both sides of one partnership (两地协作 … 惠阳·贞丰), take that partnership's sides.
  A giver that is a department or institution keeps it (惠阳区人社局).
- **Name.** The cue's own name; for a bare posting verb, the heading of its section when that
  heading names one action (医疗人才帮扶：…; 4批共10名医疗专业技术人员帮扶贞丰 ->
  医疗专业技术人员帮扶),
  else what follows 开展 / 进行; else the noun phrase ending in the cue.
- **One per action (I1).** A later sentence with the same action word and parties inside the
  first's, a back reference (此次), a quoted term of an earlier name (“三支”) or a sentence that
  opens with the event's noun (论坛邀请…) adds a mention to the earlier initiative.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import NamedTuple

from .gazetteer import gazetteer
from .pairing import (
    Mention,
    MentionIndex,
    Pairing,
    after_last,
    bare,
    resolve_pronouns,
    side_within,
    with_body,
)


class _Anchored:
    """A pattern of alternatives, some of which can only match where one of their anchor
    literals lies in the searched window.

    An alternative that opens with a character class or a lookbehind ([一-龥]{0,12}合作区,
    (?<=赴)…学习) stops re from skipping ahead to a literal first character: it tries a match
    at every position. A window that holds none of such an alternative's anchors is searched
    with the pattern less that alternative: the same matches (the alternative could match
    nowhere there), found several times faster. Alternatives keep their order (leftmost-first).
    """

    def __init__(self, *alternatives: tuple[str, tuple[str, ...]]) -> None:
        self._alternatives = alternatives  # (regex, anchors); no anchors: always kept
        self._variants: dict[tuple[bool, ...], re.Pattern[str] | None] = {}
        self._always = tuple(not anchors for _, anchors in alternatives)
        self.base = self._variant(self._always)  # the pattern where no anchor is in the window

    def _variant(self, kept: tuple[bool, ...]) -> re.Pattern[str] | None:
        if kept not in self._variants:
            parts = [rx for (rx, _), keep in zip(self._alternatives, kept, strict=True) if keep]
            self._variants[kept] = re.compile("|".join(parts)) if parts else None
        return self._variants[kept]

    def in_text(self, norm: str) -> Callable[[int, int], re.Pattern[str] | None]:
        """For one text: the pattern to search ``norm[start:end]`` with (None where no
        alternative can match there). Anchors are found once per text, not once per window."""
        hits: list[tuple[int, int, int]] = []  # (start, end, alternative) of each anchor
        for i, (_, anchors) in enumerate(self._alternatives):
            for anchor in anchors:
                at = norm.find(anchor)
                while at >= 0:
                    hits.append((at, at + len(anchor), i))
                    at = norm.find(anchor, at + 1)
        hits.sort()
        base = self.base
        if not hits:
            return lambda start, end: base
        starts = [at for at, _, _ in hits]

        def within(start: int, end: int) -> re.Pattern[str] | None:
            first = bisect_left(starts, start)
            if first == len(hits) or starts[first] >= end:
                return base  # no anchor in the window
            kept = list(self._always)
            for k in range(first, len(hits)):
                at, stop, i = hits[k]
                if at >= end:
                    break
                if stop <= end:
                    kept[i] = True
            return self._variant(tuple(kept))

        return within


# One alternative: the groups team and activity must both exist in every variant.
_NAMED = _Anchored(
    (
        r"组成了?“(?P<team>[^”]{2,10})”|(?P<activity>[\u4e00-\u9fff]{0,4}“[^”]{0,10}活动”)",
        ("组成", "活动”"),
    )
)
_ACTION = _Anchored(
    (r"东西部劳务协作|智力帮扶|劳务协作|产业协作|医疗帮扶|教育帮扶|科技帮扶", ()),
    (r"[\u4e00-\u9fff]{0,12}合作区", ("合作区",)),
    (r"帮扶活动|挂职锻炼|跟岗锻炼|锻炼提升", ()),
    (r"(?<=赴)[^，,。；;]{1,6}?学习", ("学习",)),
    (r"论坛|招聘会|建设项目|义诊", ()),
)
# “组团式”帮扶 spelt as two alternatives, each opening with a literal, so that re skips ahead
# (“?组团式 would make it try every position).
_POSTING = re.compile(
    r"选派|派出|邀请|接收|驻点帮扶|驻村帮扶|支教|“组团式”?帮扶|组团式”?帮扶|赴[^，,。；;]{1,20}?帮扶"
)
# Staff of the receiving side sent to the giver: the place after 赴 gives (GUIDELINES §1).
_TO_GIVER = re.compile(r"挂职锻炼|跟岗锻炼|锻炼提升|学习")
_TO = re.compile(r"赴")
_PLANNED = re.compile(r"计划|将|拟|谋划|探索")
# A cue in a purpose clause (为进一步深化…) or a means (通过…义诊…等形式) is no action.
_PURPOSE = re.compile(r"(?:为了?|围绕|推动|为进一步|通过)")
_ATTENDED = re.compile(r"参加")  # an event someone attended (参加完…论坛) is not one held
_LEVELS = re.compile(r"中央(?:、(?:省|市|州|县))+")
_NATIONAL = re.compile(r"按照[^，,。；;]{0,8}部署|三级选派|国家乡村振兴")
_DIRECTION = re.compile(
    r"赴|对口|结对|帮扶|支援|援助|选派|派出|协作(?=的)|"
    r"对(?=[^，,。]{0,12}(?:帮扶|协作|支援))"
)
_REVERSING = re.compile(r"邀请|接收|来自")  # 邀请/接收/来自 X: X gives
_GIVER_BODY = re.compile(
    r"[^\s，,。；;：:、与和对赴在的了是等及]{0,10}?"
    r"(?:人社局|人力资源和社会保障局|工作组|人民医院|中医院|医院|职校|学校|大学|学院|公司)"
)
_SEGMENT = re.compile(r"，同时|,同时|；|;|——")  # literal openings: re skips ahead
_CLAUSE_BREAK = re.compile(r"[，,：:；;]")
_THROUGH_LAST_BREAK = re.compile(r"(?s:.*)[，,：:；;]")
_NAME_START = re.compile(r"开展了?|举办了?|举行|进行|召开|组织|的|在")
_NAME_TAIL = re.compile(
    r"(?:暨[^，,。；;]{0,24}?(?:招聘会|论坛)”?|[^，,。；;暨]{0,8}?(?:招聘会|培训班))?"
    r"(?:活动|工作|项目)?"
)
_BARE_VERBS = frozenset({"选派", "派出", "邀请", "接收"})
_LEADING_DATE = re.compile(r"(?:\d{4}年|今年|去年)?(?:\d{1,2}月(?:\d{1,2}日)?)?")
_AFTER_DOING = re.compile(r"(?:开展|进行)(?:了|为期[^的，,]{1,8}的)?")
_BACK_REFERENCE = re.compile(r"此次|本次|这次|该(?:活动|项目)")
_EVENT_OPENING = re.compile(r"^(?:论坛|活动|会议|招聘会)")
_COLON = re.compile(r"[:：]")
_QUOTED = re.compile(r"“([^”]{1,8})”")
_HEADING_COUNTS = re.compile(r"^[\d一二三四五六七八九十两]+[批名个人项]?(?:共\d+[名人个])?")


@dataclass(slots=True)
class Initiative:
    """An initiative found in the text; offsets index the text."""

    name: tuple[int, int]
    sentence: tuple[int, int]
    paragraph: int
    donors: list[Mention]
    recipients: list[Mention]
    levels: list[str]  # 中央、省、州 as givers, as written
    core: str  # the action word, for I1 merging
    national: bool  # under a national assignment: no partnership, no parent
    mentions: list[tuple[int, int]] = field(default_factory=list)  # (offset, paragraph)


class Sentence(NamedTuple):  # ~60 per document: built 3x faster than a frozen dataclass
    start: int
    end: int
    paragraph: int
    heading: tuple[int, int] | None  # the section heading above it (a short line), if any


_Tiers = Sequence[tuple[str, Callable[[int, int], re.Pattern[str] | None]]]


def _cue_tiers(norm: str) -> _Tiers:
    """The cue tiers in order of precedence, each with its pattern for a window of ``norm``."""
    return (
        ("named", _NAMED.in_text(norm)),
        ("action", _ACTION.in_text(norm)),
        ("posting", lambda start, end: _POSTING),
    )


# A cut word or a cue of the tiers whose patterns do not change by window: where a sentence
# holds none (and no anchor of the others), one search of it settles what would take three.
_CUT_OR_CUE = re.compile(
    "|".join(rx.pattern for rx in (_SEGMENT, _NAMED.base, _ACTION.base, _POSTING) if rx)
)


def _quiet(norm: str, start: int, end: int, tiers: _Tiers) -> bool:
    """Whether ``norm[start:end]`` holds no cut and no cue: no segment of it has an initiative."""
    (_, named), (_, action), _ = tiers
    return (
        named(start, end) is _NAMED.base
        and action(start, end) is _ACTION.base
        and _CUT_OR_CUE.search(norm, start, end) is None
    )


def _first_cue(norm: str, start: int, end: int, tiers: _Tiers) -> tuple[re.Match[str], str] | None:
    for tier, pattern_within in tiers:
        rx = pattern_within(start, end)
        if rx is None:
            continue
        # search from the last match's end is finditer's walk (no cue matches empty), without
        # the cost of making an iterator for the many windows with no cue at all
        m = rx.search(norm, start, end)
        while m is not None:
            if not _skipped(norm, m, start):
                return m, tier
            m = rx.search(norm, m.end(), end)
    return None


def _skipped(norm: str, cue: re.Match[str], start: int) -> bool:
    clause = _clause_start(norm, start, cue.start())
    if _PLANNED.search(norm, clause, cue.start()) or _PURPOSE.match(norm, clause):
        return True
    if _ATTENDED.search(norm, clause, cue.start()):
        return True
    return norm.startswith("方面", cue.end())


def find_initiatives(
    text: str,
    norm: str,
    sentences: Sequence[Sentence],
    mentions: Sequence[Mention],
    pairings: Sequence[Pairing],
) -> list[Initiative]:
    """Initiatives in reading order, repeated mentions merged (I1)."""
    found: list[Initiative] = []
    tiers = _cue_tiers(norm)
    places = MentionIndex(mentions)
    partnerships = [_BareSides.of(p) for p in pairings]
    for sent in sentences:
        if _quiet(norm, sent.start, sent.end, tiers):
            continue
        for start, end in _segments(norm, sent.start, sent.end):
            hit = _first_cue(norm, start, end, tiers)
            if hit is None:
                continue
            cue, tier = hit
            here = places.inside(start, end)
            here += resolve_pronouns(norm, mentions, start, end)
            here.sort(key=lambda m: m.start)
            levels = _levels(norm, text, start, cue.start())
            if not here and not levels:
                continue
            donors, recipients = _sides(text, norm, cue, here, start, end, partnerships)
            subject = _subject(text, norm, places.first_from(sent.start), start, recipients)
            if not donors and not levels:
                donors = subject
            elif subject and subject[0].body and [m.code for m in donors] == [subject[0].code]:
                donors = subject  # 惠阳区人社局 … 展开与贞丰县劳务协作: the department gives
            if tier == "posting" and not donors and not levels:
                continue  # a posting with no giver named is context (人才“组团式”帮扶 as a theme)
            core = cue.group("team") or cue.group("activity") if tier == "named" else cue.group()
            item = Initiative(
                name=_name(norm, sent, cue, tier, start, end),
                sentence=(sent.start, sent.end),
                paragraph=sent.paragraph,
                donors=[] if levels else donors,
                recipients=recipients,
                levels=levels,
                core=_core(core, tier),
                national=bool(levels) or bool(_NATIONAL.search(norm, sent.start, sent.end)),
                mentions=[(_clause_start(norm, start, cue.start()), sent.paragraph)],
            )
            same = _same_as(norm, found, item, tier, start, end)
            if same is None:
                found.append(item)
            else:
                same.mentions.append((_clause_start(norm, start, cue.start()), sent.paragraph))
                same.donors = same.donors or item.donors
    return found


def _segments(norm: str, start: int, end: int) -> list[tuple[int, int]]:
    """A sentence, cut where a second action joins it (…，同时接收…; …；…)."""
    if _SEGMENT.search(norm, start, end) is None:  # most sentences: no cut to look at
        return [(start, end)] if end > start else []
    cuts = [start]
    for m in _SEGMENT.finditer(norm, start, end):
        if norm.count("“", start, m.start()) > norm.count("”", start, m.start()):
            continue  # inside a quoted name (“荔湾——南海…”)
        cuts.append(m.start() + 1 if m.group()[0] in "，," else m.end())
    cuts.append(end)
    return [(a, b) for a, b in pairwise(cuts) if b > a]


def _levels(norm: str, text: str, start: int, end: int) -> list[str]:
    m = _LEVELS.search(norm, start, end)
    if m is None:
        return []
    return [text[m.start() + i] if i else text[m.start() : m.start() + 2] for i in _level_at(m)]


def _level_at(m: re.Match[str]) -> list[int]:
    """Offsets, inside a 中央、省、州 match, of each level (0 stands for 中央)."""
    return [0, *(i + 1 for i, ch in enumerate(m.group()) if ch == "、")]


def _core(word: str, tier: str) -> str:
    if tier == "posting":
        return "posting"
    for core in ("东西部劳务协作", "劳务协作", "智力帮扶", "医疗帮扶", "合作区", "论坛"):
        if core in word:
            return core
    return word


def _sides(
    text: str,
    norm: str,
    cue: re.Match[str],
    here: list[Mention],
    start: int,
    end: int,
    partnerships: Sequence[_BareSides],
) -> tuple[list[Mention], list[Mention]]:
    """Donors and recipients named in a segment (empty lists where the text names none)."""
    if _TO_GIVER.search(cue.group()):
        to = _TO.search(norm, start, cue.start())
        giver = [m for m in here if to and m.start >= to.end()][:1]
        if giver:
            return giver, []
    clause = _clause_start(norm, start, cue.start())
    stop = _CLAUSE_BREAK.search(norm, cue.end(), end)
    own = [m for m in here if clause <= m.start and (stop is None or m.end <= stop.start())]
    if len({m.code for m in own}) >= 2:
        here = own  # the cue's own clause names both sides
    reverse = _REVERSING.search(norm, start, end)
    giver = [m for m in here if reverse is not None and m.start >= reverse.end()][:1]
    if reverse is not None and giver:  # the places before 邀请 receive
        receivers = _distinct(m for m in here if m.end <= reverse.start())
        return [with_body(text, norm, giver[0], end, _GIVER_BODY)], receivers[:3]
    first = here[0].end if here else start
    pivot = _DIRECTION.search(norm, first, end)
    if pivot is not None:
        # a giver sits in the pivot's own clause (贵州册亨：人才“组团式”帮扶 names none)
        pivot_clause = _clause_start(norm, start, pivot.start())
        before = _distinct(m for m in here if pivot_clause <= m.start < pivot.start())
        after = _distinct(m for m in here if m.start >= pivot.end())
        if before:  # a giver named; a receiver not named is carried over
            givers = [with_body(text, norm, m, end, _GIVER_BODY) for m in before[:3]]
            return givers, [m for m in after if m.code not in {g.code for g in givers}][:3]
    paired = _partnership_sides(here, partnerships)
    if paired is not None:
        return paired
    return [], _distinct(here)[:3]


def _clause_start(norm: str, start: int, pos: int) -> int:
    """Where the clause holding ``pos`` begins: after the last break in ``[start, pos)``."""
    return after_last(_THROUGH_LAST_BREAK, norm, start, pos)


@dataclass(frozen=True, slots=True)
class _BareSides:
    """A partnership's sides as places (institutions dropped), made once per text rather than
    once per segment and mention."""

    pairing: Pairing
    donors: Sequence[Mention]
    recipients: Sequence[Mention]
    # whether a side holds a place (no institution): it depends on the place's division alone
    _holds: dict[tuple[str, bool], bool] = field(default_factory=dict)

    @classmethod
    def of(cls, p: Pairing) -> _BareSides:
        return cls(p, bare(p.donors), bare(p.recipients))

    def holds(self, place: Mention, giving: bool) -> bool:
        """Whether the giving (else the receiving) side holds ``place``, a bare place."""
        key = (place.code, giving)
        if key not in self._holds:
            side = self.donors if giving else self.recipients
            self._holds[key] = side_within(gazetteer(), [place], side)
        return self._holds[key]


def _partnership_sides(
    here: Sequence[Mention], partnerships: Sequence[_BareSides]
) -> tuple[list[Mention], list[Mention]] | None:
    """The sides of the narrowest partnership whose two sides the segment names together."""
    places = bare(here)
    best: _BareSides | None = None
    for p in partnerships:
        donors = [m for m in places if p.holds(m, giving=True)]
        recipients = [m for m in places if p.holds(m, giving=False)]
        covered = {m.start for m in donors + recipients} == {m.start for m in places}
        if (
            donors
            and recipients
            and covered
            and (best is None or _depth(p.pairing) > _depth(best.pairing))
        ):
            best = p
    return None if best is None else (list(best.pairing.donors), list(best.pairing.recipients))


def _within(inner: Sequence[Mention], outer: Sequence[Mention]) -> bool:
    """Places of ``inner`` inside those of ``outer``; an empty side on either hand agrees."""
    return not inner or not outer or side_within(gazetteer(), bare(inner), bare(outer))


def _depth(p: Pairing) -> int:
    gaz = gazetteer()
    return sum(len(gaz.divisions[m.code].ancestors) for m in p.donors + p.recipients)


def _distinct(mentions: Iterable[Mention]) -> list[Mention]:
    """One mention per division, the first."""
    out: dict[str, Mention] = {}
    for m in mentions:
        out.setdefault(m.code, m)
    return list(out.values())


def _subject(
    text: str,
    norm: str,
    first: Mention | None,
    start: int,
    recipients: Sequence[Mention],
) -> list[Mention]:
    """The giver as the sentence's subject (惠阳区人社局坚持…，…展开与贞丰县劳务协作): the
    first place of the sentence (``first``), when it is not a receiving place."""
    if first is None:
        return []
    if first.code in {m.code for m in recipients} or first.start > start + 20:
        return []
    return [with_body(text, norm, first, first.end + 12, _GIVER_BODY)]


def _name(
    norm: str, sent: Sentence, cue: re.Match[str], tier: str, start: int, end: int
) -> tuple[int, int]:
    if tier == "named":
        group = "team" if cue.group("team") else "activity"
        return cue.start(group), cue.end(group)
    if tier == "posting":
        heading = _heading_name(norm, sent.heading)
        if heading is not None:
            return heading
        doing = _AFTER_DOING.search(norm, cue.end(), end)
        if doing is not None:
            stop = _CLAUSE_BREAK.search(norm, doing.end(), end)
            finish = stop.start() if stop else end
            while finish > doing.end() and not "\u4e00" <= norm[finish - 1] <= "\u9fff":
                finish -= 1
            if finish - doing.end() >= 2:
                return doing.end(), finish
        # the verb phrase that says what is done (选派…赴乙县支教 -> 支教)
        done = [
            m for m in _POSTING.finditer(norm, cue.start(), end) if m.group() not in _BARE_VERBS
        ]
        return (
            (done[-1].start(), done[-1].end())
            if done and "赴" not in done[-1].group()
            else (
                cue.start(),
                cue.end(),
            )
        )
    if cue.group().endswith("学习"):
        return cue.start() - 1, cue.end()  # 赴南京学习
    open_q = norm.rfind("“", start, cue.start() + 1)
    close_q = norm.find("”", cue.start(), end)
    if (
        0 <= open_q < cue.start()
        and close_q >= cue.end() - 1
        and norm.find("”", open_q, cue.start()) < 0
    ):
        return open_q + 1, close_q  # “荔湾——南海人才高质量发展合作区”
    clause = _clause_start(norm, start, cue.start())
    lead = [m.end() for m in _NAME_START.finditer(norm, clause, cue.start())]
    begin = lead[-1] if lead else clause
    date = _LEADING_DATE.match(norm, begin)  # always matches, maybe empty
    begin = date.end() if date else begin
    tail = _NAME_TAIL.match(norm, cue.end())
    finish = tail.end() if tail else cue.end()
    if finish - begin > 40:
        begin = cue.start()
    return begin, finish


def _heading_name(norm: str, heading: tuple[int, int] | None) -> tuple[int, int] | None:
    """A section heading that names one action: the part before its colon
    (医疗人才帮扶：让…), or the whole line less its counts and trailing place when it ends in
    帮扶 (4批共10名医疗专业技术人员帮扶贞丰 -> 医疗专业技术人员帮扶)."""
    if heading is None:
        return None
    a, b = heading
    colon = _COLON.search(norm, a, b)
    if colon is not None:
        return (a, colon.start()) if colon.start() - a >= 2 else None
    counts = _HEADING_COUNTS.match(norm[a:b])
    a += counts.end() if counts else 0
    last = norm.rfind("帮扶", a, b)
    if last < 0 or b - (last + 2) > 4 or last - a < 2:
        return None
    return a, last + 2


def _same_as(
    norm: str, found: list[Initiative], item: Initiative, tier: str, start: int, end: int
) -> Initiative | None:
    """The earlier initiative this one repeats (I1), or None."""
    if not found:
        return None
    segment = norm[start:end]
    if _EVENT_OPENING.match(segment) and found[-1].paragraph == item.paragraph:
        return found[-1]
    givers = {m.code for m in item.donors}
    for quoted in _QUOTED.findall(segment):
        for earlier in found:
            named = f"“{quoted}”" in norm[earlier.name[0] - 1 : earlier.name[1] + 1]
            if named and (not earlier.donors or givers <= {m.code for m in earlier.donors}):
                return earlier
    if tier == "posting":
        return None
    back = _BACK_REFERENCE.search(segment) is not None
    for earlier in found:
        if earlier.core != item.core:
            continue
        inside = _within(item.recipients, earlier.recipients) and _within(
            item.donors, earlier.donors
        )
        if back or inside:
            return earlier
    return None
