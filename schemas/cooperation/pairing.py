"""Partnerships for the offline extractor: place pairs around cooperation cues.

Places are found with the division table (:mod:`.gazetteer`) and settled with
:func:`.places.normalize_party`, so 黔南 / 黔南州 / 貴州黔南州 are one division and a party is
written as the text writes it. The rules follow GUIDELINES.md §2:

- **Mentions.** A run of nested division names (贵州省黔西南州册亨县) is one mention, optionally
  followed by an institution (惠州市第三人民医院). Official names and short names followed by
  their division's suffix (黔南州) count anywhere; a bare short name counts when it names a
  province or prefecture (南京, 贵州) or a county the document also names in full (惠阳 after
  惠阳区): bare county names are too often ordinary words (和平, 东方).
  该区 / 该县 / 我市 … stand for the last division mentioned before them with that suffix.
- **Pairings (P1a).** A clause with a relation word (结对, 对口帮扶/支援/协作, 东西部协作,
  协作关系, 帮扶关系, 框架协议, 合作计划, 共建 …) and two sides. A directional verb (A 对口帮扶 B,
  A 帮扶 B) makes the side before it the donor; otherwise (A 与 B 结对) the eastern side of an
  east–west pair gives, two places of one province are equals (P4: both in both lists), and
  else the first named gives. Pairings of people (师徒结对, 结对联系) are not partnerships.
  National levels (中央, 省) are not divisions, so they never form one.
- **One per pair (P2)**, by division codes (and institution names).
- **Nesting (P3).** A partnership whose sides lie inside (or at the places of) another's sides
  has the narrowest such partnership as parent.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from itertools import pairwise
from operator import itemgetter
from typing import Any, NamedTuple

from .gazetteer import Gazetteer, gazetteer
from .places import normalize_parties

# Relation words that state a standing pairing. Every alternative starts with a literal (the
# lookbehind of 合作 sits after its 合) so that re skips to the first characters quickly.
PAIRING_CUE = re.compile(
    r"东西部协作|对口帮扶|对口支援|对口协作|结对帮扶|结对协作|结对关系|结对|协作关系|帮扶关系|"
    r"合作框架协议|框架协议|合作计划|人才协作|共建|合(?<=[\u4e00-\u9fff]{2}合)作(?=向|关系|机制)"
)
# Pairings of people or a way of working, not of places (GUIDELINES §3 I2).
_NOT_PAIRING = re.compile(r"师徒结对|结对联系|结对式|结对交流|结对子")
# A verb that says who gives: the side before it is the donor.
_DIRECTED = re.compile(r"结对帮扶|对口帮扶|对口支援|对口协作|帮扶|支援|援建|援助")
# Provinces whose side gives in an east–west pairing (东西部协作 donors).
_EASTERN = frozenset(
    {"110000", "120000", "310000", "320000", "330000", "350000", "370000", "440000"}
)
_BODY = re.compile(
    r"[^\s，,。；;：:、与和对赴在的了是等及]{0,10}?"
    r"(?:人民医院|中医院|医院|卫生院|保健院|职业技术学校|职校|学校|中学|小学|大学|学院|公司)"
)
_PRONOUN = re.compile(r"(?:该|我|本)([省市州县区])")
_GENERIC = frozenset({"城区", "郊区", "矿区", "市区", "新区"})
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_SUFFIXES = frozenset("省市州县区")
_NEAR = 8  # most characters between a giver and its 对口帮扶 (惠阳区中医院第二批对口帮扶)
_CLAUSE = re.compile(r"[，,；;。！？!?\n]")
_THROUGH_LAST_CLAUSE = re.compile(r"(?s:.*)[，,；;。！？!?\n]")


class Mention(NamedTuple):
    """A place (or an institution at a place) named in the text.

    A named tuple, not a frozen dataclass: the extractor makes a hundred or more per document
    and a frozen dataclass's ``__init__`` sets each field through ``object.__setattr__``
    (2-3x slower). Equality stays that of a dataclass (a Mention equals only a Mention).

    Attributes:
        start, end: Offsets in the text.
        written: The party as the text writes it (a pronoun's antecedent for 该区).
        code: Division code.
        body: The institution after the place (第三人民医院), or None.
    """

    start: int
    end: int
    written: str
    code: str
    body: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return self.code, self.body or ""

    def __eq__(self, other: object) -> bool:
        if type(other) is Mention:
            return tuple.__eq__(self, other)
        return False if isinstance(other, tuple) else NotImplemented

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    __hash__ = tuple.__hash__


@dataclass(slots=True)
class Pairing:
    """A partnership found in the text."""

    donors: list[Mention]
    recipients: list[Mention]
    cue: tuple[int, int]  # span of the relation word
    sentence: tuple[int, int]
    mentions: list[int] = field(default_factory=list)  # offsets where the pair is named
    parent: int | None = None  # index of the wider pairing

    @property
    def key(self) -> tuple[frozenset[tuple[str, str]], frozenset[tuple[str, str]]]:
        return frozenset(m.key for m in self.donors), frozenset(m.key for m in self.recipients)


# --- mentions ----------------------------------------------------------------------------


NameHit = tuple[int, tuple[str, ...], bool, bool]  # (end, codes, strong, wide)


@dataclass(frozen=True, slots=True)
class _Name:
    """A name of the division table, with what the scan needs to know of it precomputed."""

    codes: tuple[str, ...]
    official: bool  # some division is officially called exactly this
    wide: bool  # some division is a province or prefecture: a bare name counts (南京)
    by_suffix: dict[str, tuple[str, ...]]  # next character -> codes it completes (黔南 + 州)


def _wide(gaz: Gazetteer, codes: Iterable[str]) -> bool:
    return any(gaz.divisions[c].level != "county" for c in codes)


@cache
def _names() -> tuple[Any, list[_Name]]:
    """One Aho–Corasick automaton over every name (a Rust DFA: a text is scanned once, instead
    of probing every (start, length) pair in a dict, once most of the extractor's time)."""
    import ahocorasick_rs

    gaz = gazetteer()
    words: list[str] = []
    names: list[_Name] = []
    for name, codes in gaz.by_name.items():
        if name in _GENERIC or len(name) < 2:
            continue
        by_suffix: dict[str, list[str]] = {}
        for c in codes:
            official_name = gaz.divisions[c].name
            if official_name != name:
                by_suffix.setdefault(official_name[-1], []).append(c)
        words.append(name)
        names.append(
            _Name(
                tuple(codes),
                any(gaz.divisions[c].name == name for c in codes),
                _wide(gaz, codes),
                {k: tuple(v) for k, v in by_suffix.items()},
            )
        )
    # A contiguous NFA, not a DFA: the DFA is a quarter faster scanning texts back to back,
    # but inside the extractor, whose other work evicts it from the CPU caches between texts,
    # it measured 1.6-2x slower per text (0.22-0.28 vs 0.13-0.14 ms, process time).
    nfa = ahocorasick_rs.Implementation.ContiguousNFA
    return ahocorasick_rs.AhoCorasick(words, implementation=nfa), names


def _all_names(norm: str) -> dict[int, list[NameHit]]:
    """Names starting at each position of ``norm``, longest first: (end, codes, strong, wide).
    Strong: an official name, or a short name with its division's suffix (黔南州)."""
    automaton, names = _names()
    # The automaton reads UTF-8, which has no lone surrogates (a JSON "\ud800" in the input):
    # scan with U+FFFD in their place, same length, so offsets hold and no name changes.
    scanned = _LONE_SURROGATE.sub("\ufffd", norm) if _LONE_SURROGATE.search(norm) else norm
    matches = automaton.find_matches_as_indexes(scanned, overlapping=True)
    # by start, longest first: two C-keyed stable sorts, cheaper than one Python key
    matches.sort(key=_END, reverse=True)
    matches.sort(key=_START)
    found: dict[int, list[NameHit]] = {}
    hits: list[NameHit] = []
    at = -1
    for index, start, end in matches:
        if start != at:
            at, hits = start, []
            found[start] = hits
        name = names[index]
        if name.by_suffix:
            suffixed = name.by_suffix.get(norm[end : end + 1])
            if suffixed:
                hits.append((end + 1, suffixed, True, True))  # strong: wide is not asked
        hits.append((end, name.codes, name.official, name.wide))
    return found


_START, _END = itemgetter(1), itemgetter(2)


@lru_cache(maxsize=1 << 16)
def _kept(outer: tuple[str, ...], codes: tuple[str, ...]) -> tuple[str, ...]:
    """The ``codes`` inside one of ``outer`` (a per-name-pair fact, so computed once)."""
    gaz = gazetteer()
    return tuple(c for c in codes if any(gaz.contains(o, c) for o in outer))


def _chain_at(
    table: dict[int, list[NameHit]], i: int, confirmed: frozenset[str] | None
) -> tuple[int, tuple[str, ...]] | None:
    """The end and codes of the longest run of nested names at ``i``; ``confirmed`` (codes
    the text names in full) admits bare county names; None in the first pass (strong only)."""
    best: tuple[int, tuple[str, ...]] | None = None
    for end, codes, strong, wide in table[i]:
        # admitted: strong, or (second pass) a province/prefecture or a county named in full
        if not strong and (confirmed is None or not (wide or not confirmed.isdisjoint(codes))):
            continue
        outer = codes
        stop = end
        while (after := table.get(stop)) is not None:  # 贵州省 + 黔西南州 + 册亨县
            for e, cs, s, w in after:
                if (s or (confirmed is not None and (w or not confirmed.isdisjoint(cs)))) and (
                    kept := _kept(outer, cs)
                ):
                    stop, outer = e, kept
                    break
            else:
                break
        if best is None or stop > best[0]:
            best = (stop, outer)
    return best


def find_mentions(text: str, norm: str) -> list[Mention]:
    """Every place mention in the text, in order, resolved to a division code."""
    table = _all_names(norm)
    # Where a name may start (the table is in start order): 湟中区 inside 西堡镇湟中区 is fine;
    # a name glued to a preceding place name is handled by the chain, so only ASCII/digit glue
    # is refused (G20 大通 ...).
    starts = [i for i in table if i == 0 or not (c := norm[i - 1]).isascii() or not c.isalnum()]

    def scan(confirmed: frozenset[str] | None) -> list[tuple[int, int, tuple[str, ...]]]:
        found: list[tuple[int, int, tuple[str, ...]]] = []
        covered = 0
        for i in starts:
            if i < covered:
                continue
            chain = _chain_at(table, i, confirmed)
            if chain is None or norm[chain[0] : chain[0] + 1] in _SUFFIXES:
                continue  # 和县区 (和县 + 区县): not a place
            found.append((i, chain[0], chain[1]))
            covered = chain[0]
        return found

    confirmed = frozenset(c for _, _, codes in scan(None) for c in codes)
    spans = [(a, b) for a, b, _ in scan(confirmed)]
    context = tuple(dict.fromkeys(text[a:b] for a, b in spans))
    parties = normalize_parties(context, context)  # each name read once per document
    mentions: list[Mention] = []
    for a, b in spans:
        written = text[a:b]
        party = parties[written]
        if party.code is None or party.body is not None:
            continue
        mentions.append(Mention(a, b, written, party.code))
    return mentions


def with_body(
    text: str, norm: str, m: Mention, limit: int, bodies: re.Pattern[str] | None = None
) -> Mention:
    """The mention extended by the institution that follows it (惠阳区 + 中医院), if any."""
    if m.body is not None:
        return m
    body = (bodies or _BODY).match(norm, m.end, limit)
    if body is None:
        return m
    return Mention(
        m.start, body.end(), text[m.start : body.end()], m.code, norm[m.end : body.end()]
    )


def resolve_pronouns(norm: str, mentions: Sequence[Mention], start: int, end: int) -> list[Mention]:
    """Mentions standing for 该区 / 我市 / 本县 … in ``[start, end)``: the last division
    mentioned before with that suffix, written as the text wrote it there."""
    out: list[Mention] = []
    for m in _PRONOUN.finditer(norm, start, end):
        suffix, at = m.group(1), m.start()
        # the last one in list order: searched from the end instead of listing all before
        ref = next(
            (x for x in reversed(mentions) if x.end <= at and _last_char(x.code) == suffix), None
        )
        if ref is not None:
            out.append(Mention(at, m.end(), ref.written, ref.code))
    return out


@cache
def _last_char(code: str) -> str:
    return gazetteer().divisions[code].name[-1:]


class MentionIndex:
    """The text's mentions, looked up by offset: by bisection where they come in order of
    start (as find_mentions gives them), else by a scan of them all."""

    def __init__(self, mentions: Sequence[Mention]) -> None:
        self._mentions = mentions
        self._starts = [m.start for m in mentions]
        self._ordered = all(a <= b for a, b in pairwise(self._starts))

    def inside(self, start: int, end: int) -> list[Mention]:
        """The mentions within ``[start, end)``, in their order."""
        if not self._ordered:
            return [m for m in self._mentions if start <= m.start and m.end <= end]
        lo = bisect_left(self._starts, start)
        hi = bisect_right(self._starts, end)
        return [m for m in self._mentions[lo:hi] if m.end <= end]

    def first_from(self, pos: int) -> Mention | None:
        """The first mention (in their order) that starts at or after ``pos``."""
        if not self._ordered:
            return next((m for m in self._mentions if m.start >= pos), None)
        i = bisect_left(self._starts, pos)
        return self._mentions[i] if i < len(self._mentions) else None


# --- pairings ----------------------------------------------------------------------------


def _distinct(mentions: Iterable[Mention]) -> list[Mention]:
    """One mention per party, the first; a place named again inside a longer chain is one."""
    out: dict[tuple[str, str], Mention] = {}
    for m in mentions:
        out.setdefault(m.key, m)
    return list(out.values())


def _sides(
    norm: str, found: list[Mention], cue: re.Match[str], end: int
) -> tuple[list[Mention], list[Mention]] | None:
    """Donors and recipients of a pairing clause, or None when it names fewer than two
    parties (or more than two with no verb to split them)."""
    gaz = gazetteer()
    parties = _distinct(found)
    if len(parties) < 2:
        return None
    sides: tuple[list[Mention], list[Mention]] | None = None
    verb = _DIRECTED.match(norm, cue.start())  # A 对口帮扶 B: the cue itself gives direction
    if verb:
        before = _distinct(m for m in found if m.end <= cue.start())
        after = _distinct(m for m in found if m.start >= verb.end())
        named_before = {b.key for b in before}
        after = [m for m in after if m.key not in named_before]
        if before and after and cue.start() - before[-1].end <= _NEAR:
            sides = before[-1:], after[:3]
    if sides is None and len(parties) == 2:
        sides = [parties[0]], [parties[1]]
    if sides is None:
        return None
    donors, recipients = sides
    east = [m for m in donors + recipients if gaz.divisions[m.code].province in _EASTERN]
    west = [m for m in donors + recipients if gaz.divisions[m.code].province not in _EASTERN]
    if len(_distinct(east)) == 1 and west:  # the east gives in an east–west pairing
        return east[:1], _distinct(west)[:3]
    provinces = {gaz.divisions[m.code].province for m in donors + recipients}
    if verb is None and len(provinces) == 1:  # two places of one province together: P4
        both = _distinct(donors + recipients)
        return both, both
    return donors, recipients


def side_within(gaz: Gazetteer, inner: Sequence[Mention], outer: Sequence[Mention]) -> bool:
    """Every mention of ``inner`` (not empty) lies in one of ``outer``: the same place or a
    place inside it; an institution lies in its place; two institutions must be the same."""
    if not inner:
        return False
    for i in inner:  # loops, not all(any(...)): initiatives.py asks this per mention and pair
        for o in outer:
            if (not o.body or i.body == o.body) and (
                i.code == o.code or gaz.contains(o.code, i.code)
            ):
                break
        else:
            return False
    return True


def _depth(gaz: Gazetteer, side: Sequence[Mention]) -> int:
    return sum(len(gaz.divisions[m.code].ancestors) + (1 if m.body else 0) for m in side)


def _set_parents(pairings: list[Pairing]) -> None:
    gaz = gazetteer()
    keys = [p.key for p in pairings]  # built once, not once per pair
    for i, p in enumerate(pairings):
        wider = [
            j
            for j, q in enumerate(pairings)
            if j != i
            and keys[j] != keys[i]
            and side_within(gaz, p.donors, q.donors)
            and side_within(gaz, p.recipients, q.recipients)
        ]
        if wider:  # the narrowest: deepest sides
            p.parent = max(
                wider, key=lambda j: _depth(gaz, pairings[j].donors + pairings[j].recipients)
            )


def initiative_parent(
    pairings: Sequence[Pairing], donors: Sequence[Mention], recipients: Sequence[Mention]
) -> int | None:
    """The narrowest partnership that holds an initiative's parties (I3 parent), or None (a
    national scheme, an unpaired giver). Recipients are compared by place (a hospital team's
    义诊 in the county belongs to the hospitals' pairing); a giver must lie in the pairing's
    giving side, institution included. With no giver found, pairings of places come before
    pairings of institutions."""
    gaz = gazetteer()
    if not recipients and not donors:
        return None
    receiving = bare(recipients)  # once, not once per pairing
    holding = [
        i
        for i, p in enumerate(pairings)
        if (not recipients or side_within(gaz, receiving, bare(p.recipients)))
        and (not donors or side_within(gaz, donors, p.donors))
    ]
    if not holding:
        return None

    def rank(i: int) -> tuple[bool, int]:
        p = pairings[i]
        bodies = any(m.body for m in p.donors + p.recipients)
        return (not donors and not bodies), _depth(gaz, p.donors + p.recipients)

    return max(holding, key=rank)


def bare(side: Sequence[Mention]) -> Sequence[Mention]:
    """The places of ``side``, institutions dropped (a side without any is returned as is)."""
    if all(m.body is None for m in side):
        return side
    return [Mention(m.start, m.end, m.written, m.code) for m in side]


def implied_pairing(
    donors: Sequence[Mention], recipients: Sequence[Mention], sentence: tuple[int, int]
) -> Pairing | None:
    """P1(b): an initiative in which one place helps another, with no relation word, implies
    the partnership of their places (a body stands for its place: 思明区人社局 -> 思明区).
    None when the giver is the receiving side's own province or a body of it (a provincial
    university helping one of its counties counts as the provincial level)."""
    gaz = gazetteer()
    givers, takers = _distinct(map(_place_of, donors)), _distinct(map(_place_of, recipients))
    if not givers or not takers:
        return None
    provinces = {gaz.divisions[m.code].province for m in takers}
    for m in donors:
        d = gaz.divisions[m.code]
        if d.province in provinces and (m.body or d.level == "province"):
            return None
    if {m.key for m in givers} & {m.key for m in takers}:
        return None
    return Pairing(givers, takers, (sentence[0], sentence[0]), sentence)


def _place_of(m: Mention) -> Mention:
    """The place of a mention, without its institution (惠阳区人社局 -> 惠阳区)."""
    end = m.end - len(m.body or "")
    return Mention(m.start, end, m.written[: end - m.start], m.code)


def nest(pairings: list[Pairing]) -> None:
    """Set every pairing's parent (P3), after implied pairings were added."""
    for p in pairings:
        p.parent = None
    _set_parents(pairings)


def find_pairings(
    text: str, norm: str, sentences: Sequence[tuple[int, int]], mentions: Sequence[Mention]
) -> list[Pairing]:
    """Partnerships stated by relation words, one per pair, nested, in reading order."""
    found: dict[Any, Pairing] = {}
    places = MentionIndex(mentions)  # a clause's mentions by bisection, not a scan per cue
    for s_start, s_end in sentences:
        for cue in PAIRING_CUE.finditer(norm, s_start, s_end):
            if _NOT_PAIRING.search(norm, max(s_start, cue.start() - 2), min(s_end, cue.end() + 3)):
                continue
            sides = None
            for start, end in (_clause_of(norm, cue.start(), s_start, s_end), (s_start, s_end)):
                here = [with_body(text, norm, m, end) for m in places.inside(start, end)]
                here += resolve_pronouns(norm, mentions, start, end)
                here.sort(key=lambda m: m.start)
                sides = _sides(norm, here, cue, end)
                if sides:
                    break
            if not sides:
                _both_places(norm, found, cue, s_start, s_end)
                continue
            pairing = Pairing(sides[0], sides[1], (cue.start(), cue.end()), (s_start, s_end))
            key = pairing.key
            known = found.get(key)
            if known is None:
                pairing.mentions.append(cue.start())
                found[key] = pairing
            else:
                known.mentions.append(cue.start())
                if _strength(norm, pairing) > _strength(norm, known):
                    # the evidence is the most direct statement of the pairing (P5)
                    known.donors, known.recipients = pairing.donors, pairing.recipients
                    known.cue, known.sentence = pairing.cue, pairing.sentence
    pairings = list(found.values())
    _set_parents(pairings)
    return pairings


_STATED = re.compile(r"结对关系|协作关系|帮扶关系|结对协作|东西部协作|框架协议|合作计划")


def _strength(norm: str, p: Pairing) -> int:
    """How directly a mention states its pairing: A 对口帮扶 B (2), a relation word (1), a
    looser cue such as 共建 or 合作 (0)."""
    if _DIRECTED.match(norm, p.cue[0]):
        return 2
    return 1 if _STATED.match(norm, p.cue[0]) else 0


_BOTH = re.compile(r"两地|两市|两区|两县|双方")


def _both_places(
    norm: str, found: dict[Any, Pairing], cue: re.Match[str], start: int, end: int
) -> None:
    """两地 / 双方 + a relation word (两地计划再共建…) names the last pairing of places again."""
    clause = _clause_of(norm, cue.start(), start, end)
    if not _BOTH.search(norm, *clause):
        return
    places = [
        p
        for p in found.values()
        if p.mentions[0] < cue.start() and not any(m.body for m in p.donors + p.recipients)
    ]
    if places:
        max(places, key=lambda p: max(x for x in p.mentions if x < cue.start())).mentions.append(
            cue.start()
        )


def _clause_of(norm: str, pos: int, start: int, end: int) -> tuple[int, int]:
    b = _CLAUSE.search(norm, pos, end)
    return after_last(_THROUGH_LAST_CLAUSE, norm, start, pos), b.start() if b else end


def after_last(through_last: re.Pattern[str], norm: str, start: int, pos: int) -> int:
    """Where ``[start, pos)`` goes on after its last break (``start`` if none): ``through_last``
    is ``(?s:.*)`` and the break class, greedy, one match instead of one per break."""
    last = through_last.match(norm, start, pos)
    return start if last is None else last.end()
