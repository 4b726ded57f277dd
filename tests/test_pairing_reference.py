"""The partnership finder's faster code (issue 13) against the code it replaced, kept here as
the reference: mentions, pronouns and pairings must come out the same for any text, and for
mention lists in any order (rules.py and initiatives.py call these with their own lists)."""

from __future__ import annotations

import copy
import importlib
import itertools
import random
import re
from dataclasses import dataclass
from functools import cache
from typing import Any
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llmx.tasks import load_task
from llmx.text.script import normalize_for_matching

# Oracle tests of the issue-13 speed round (new code against a copy of the old): with the
# slow suite, which CI runs; the modules' own tests stay in the default run.
pytestmark = pytest.mark.slow


TASK = load_task("cooperation")
pairing: Any = importlib.import_module(f"{TASK.module.__name__}.pairing")  # type: ignore[union-attr]
places: Any = importlib.import_module(f"{TASK.module.__name__}.places")  # type: ignore[union-attr]
gazetteer: Any = importlib.import_module(f"{TASK.module.__name__}.gazetteer").gazetteer  # type: ignore[union-attr]


# --- the reference: pairing.py as of main d19499e (only what the speed work changed) -------


@dataclass(frozen=True, slots=True)
class OldMention:
    start: int
    end: int
    written: str
    code: str
    body: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return self.code, self.body or ""


OLD_CUE = re.compile(
    r"东西部协作|对口帮扶|对口支援|对口协作|结对帮扶|结对协作|结对关系|结对|协作关系|帮扶关系|"
    r"合作框架协议|框架协议|合作计划|人才协作|共建|(?<=[\u4e00-\u9fff]{2})合作(?=向|关系|机制)"
)


@dataclass(frozen=True, slots=True)
class _OldName:
    codes: tuple[str, ...]
    official: bool
    by_suffix: dict[str, tuple[str, ...]]


@cache
def _old_names() -> tuple[Any, list[_OldName]]:
    import ahocorasick_rs

    gaz = gazetteer()
    words: list[str] = []
    names: list[_OldName] = []
    for name, codes in gaz.by_name.items():
        if name in pairing._GENERIC or len(name) < 2:
            continue
        by_suffix: dict[str, list[str]] = {}
        for c in codes:
            official_name = gaz.divisions[c].name
            if official_name != name:
                by_suffix.setdefault(official_name[-1], []).append(c)
        words.append(name)
        names.append(
            _OldName(
                tuple(codes),
                any(gaz.divisions[c].name == name for c in codes),
                {k: tuple(v) for k, v in by_suffix.items()},
            )
        )
    return ahocorasick_rs.AhoCorasick(words), names


def _old_all_names(norm: str) -> dict[int, list[Any]]:
    automaton, names = _old_names()
    by_start: dict[int, list[tuple[int, _OldName]]] = {}
    for index, start, end in automaton.find_matches_as_indexes(norm, overlapping=True):
        by_start.setdefault(start, []).append((end, names[index]))
    found: dict[int, list[Any]] = {}
    for i, ends in by_start.items():
        hits: list[Any] = []
        for end, name in sorted(ends, key=lambda e: -e[0]):
            suffixed = name.by_suffix.get(norm[end : end + 1])
            if suffixed:
                hits.append((end + 1, suffixed, True))
            hits.append((end, name.codes, name.official))
        found[i] = hits
    return found


def _old_chain_at(gaz: Any, names: Any, i: int, confirmed: frozenset[str] | None) -> Any:
    def admitted(codes: tuple[str, ...], strong: bool) -> bool:
        if strong:
            return True
        if confirmed is None:
            return False
        return any(gaz.divisions[c].level != "county" or c in confirmed for c in codes)

    best: Any = None
    for end, codes, strong in names(i):
        if not admitted(codes, strong):
            continue
        outer = codes
        stop = end
        while True:
            inner = next(
                (
                    (e, kept)
                    for e, cs, s in names(stop)
                    if admitted(cs, s)
                    and (kept := tuple(c for c in cs if any(gaz.contains(o, c) for o in outer)))
                ),
                None,
            )
            if inner is None:
                break
            stop, outer = inner
        if best is None or stop > best[0]:
            best = (stop, outer)
    return best


def _old_starts_ok(norm: str, i: int) -> bool:
    return i == 0 or not norm[i - 1].isascii() or not norm[i - 1].isalnum()


def old_find_mentions(text: str, norm: str) -> list[OldMention]:
    gaz = gazetteer()
    table = _old_all_names(norm)
    starts = sorted(i for i in table if _old_starts_ok(norm, i))

    def names(i: int) -> list[Any]:
        return table.get(i, [])

    def scan(confirmed: frozenset[str] | None) -> list[tuple[int, int, tuple[str, ...]]]:
        found: list[tuple[int, int, tuple[str, ...]]] = []
        covered = 0
        for i in starts:
            if i < covered:
                continue
            chain = _old_chain_at(gaz, names, i, confirmed)
            if chain is None or norm[chain[0] : chain[0] + 1] in pairing._SUFFIXES:
                continue
            found.append((i, chain[0], chain[1]))
            covered = chain[0]
        return found

    confirmed = frozenset(c for _, _, codes in scan(None) for c in codes)
    spans = [(a, b) for a, b, _ in scan(confirmed)]
    context = tuple(dict.fromkeys(text[a:b] for a, b in spans))
    mentions: list[OldMention] = []
    for a, b in spans:
        party = places.normalize_party(text[a:b], context)
        if party.code is None or party.body is not None:
            continue
        mentions.append(OldMention(a, b, text[a:b], party.code))
    return mentions


def old_resolve_pronouns(norm: str, mentions: Any, start: int, end: int) -> list[OldMention]:
    gaz = gazetteer()
    out: list[OldMention] = []
    for m in pairing._PRONOUN.finditer(norm, start, end):
        suffix = m.group(1)
        before = [
            x
            for x in mentions
            if x.end <= m.start() and gaz.divisions[x.code].name.endswith(suffix)
        ]
        if before:
            ref = before[-1]
            out.append(OldMention(m.start(), m.end(), ref.written, ref.code))
    return out


def _old_set_parents(pairings: list[Any]) -> None:
    gaz = gazetteer()
    for i, p in enumerate(pairings):
        wider = [
            j
            for j, q in enumerate(pairings)
            if j != i
            and q.key != p.key
            and pairing.side_within(gaz, p.donors, q.donors)
            and pairing.side_within(gaz, p.recipients, q.recipients)
        ]
        if wider:
            p.parent = max(
                wider,
                key=lambda j: pairing._depth(gaz, pairings[j].donors + pairings[j].recipients),
            )


def old_find_pairings(text: str, norm: str, sentences: Any, mentions: Any) -> list[Any]:
    found: dict[Any, Any] = {}
    for s_start, s_end in sentences:
        for cue in OLD_CUE.finditer(norm, s_start, s_end):
            if pairing._NOT_PAIRING.search(
                norm, max(s_start, cue.start() - 2), min(s_end, cue.end() + 3)
            ):
                continue
            sides = None
            clause = pairing._clause_of(norm, cue.start(), s_start, s_end)
            for start, end in (clause, (s_start, s_end)):
                here = [
                    pairing.with_body(text, norm, m, end)
                    for m in mentions
                    if start <= m.start and m.end <= end
                ]
                here += old_resolve_pronouns(norm, mentions, start, end)
                here.sort(key=lambda m: m.start)
                sides = pairing._sides(norm, here, cue, end)
                if sides:
                    break
            if not sides:
                pairing._both_places(norm, found, cue, s_start, s_end)
                continue
            p = pairing.Pairing(sides[0], sides[1], (cue.start(), cue.end()), (s_start, s_end))
            known = found.get(p.key)
            if known is None:
                p.mentions.append(cue.start())
                found[p.key] = p
            else:
                known.mentions.append(cue.start())
                if pairing._strength(norm, p) > pairing._strength(norm, known):
                    known.donors, known.recipients = p.donors, p.recipients
                    known.cue, known.sentence = p.cue, p.sentence
    pairings = list(found.values())
    _old_set_parents(pairings)
    return pairings


# --- the comparison ---------------------------------------------------------------------------


def _m(m: Any) -> tuple[Any, ...]:
    return (
        type(m).__name__ in {"Mention", "OldMention"},
        m.start,
        m.end,
        m.written,
        m.code,
        m.body,
    )


def _p(p: Any) -> tuple[Any, ...]:
    return (
        [_m(m) for m in p.donors],
        [_m(m) for m in p.recipients],
        p.cue,
        p.sentence,
        p.mentions,
        p.parent,
    )


# Words that make mentions, chains, bodies, pronouns and cues (ambiguous, bare and suffixed
# names, names glued to ASCII, traditional script), joined with punctuation.
WORDS = (  # noqa: SIM905 (a list literal of 70 words is harder to read)
    "贵州省 黔南州 黔南 黔西南州 册亨县 册亨 贞丰县 惠州市 惠阳区 惠阳 "
    "和平 和平县 紫金 东方 白云区 广州 贵阳 南京 大通 大通县 临夏 临夏州 "
    "西安 湟中区 西堡镇 厦门市 廈門市 臨夏州 广东省 佛山市 南海区 荔湾区 "
    "北京市 海淀区 该区 我市 本县 该州 本市 两地 双方 中医院 第三人民医院 "
    "人社局 对口帮扶 对口支援 结对帮扶 结对 师徒结对 东西部协作 协作关系 "
    "合作关系 共建 框架协议 帮扶 支援 援建 与 和 对 在 G20 的 开展 "
    "签订 携手 合作 机制 向 "
).split()
PUNCT = ["，", "。", "；", "\n", "、", "：", " "]

PLACES = [
    w for w in WORDS if w[-1] in "省州县区市" or w in {"黔南", "广州", "贵阳", "南京", "临夏"}
]
CUES = ["对口帮扶", "结对", "东西部协作", "与", "共建", "帮扶"]
# single words, and place + cue + place (the shape of a pairing, so that most texts have one)
tokens = st.lists(
    st.one_of(
        st.sampled_from(WORDS + PUNCT + ["区", "县", "a"]),
        st.builds(lambda a, c, b: a + c + b, *map(st.sampled_from, (PLACES, CUES, PLACES))),
    ),
    max_size=30,
)


def _sentences(norm: str, rnd: random.Random | None = None) -> list[tuple[int, int]]:
    """Sentence spans ending after their 。, or (at random) before it, so that a place can end
    a sentence."""
    cuts = [0] + [m.end() for m in re.finditer(r"[。\n]", norm)] + [len(norm)]
    spans = [(a, b) for a, b in itertools.pairwise(cuts) if b > a]
    if rnd is not None:
        spans = [(a, b - 1 if b - 1 > a and rnd.random() < 0.5 else b) for a, b in spans]
    return spans


@settings(max_examples=125, deadline=None)
@given(tokens, st.randoms(use_true_random=False))
def test_mentions_pronouns_and_pairings_match_the_replaced_code(
    words: list[str], rnd: random.Random
) -> None:
    text = "".join(words)
    norm = normalize_for_matching(text)
    mentions = pairing.find_mentions(text, norm)
    assert [_m(m) for m in mentions] == [_m(m) for m in old_find_mentions(text, norm)]
    sentences = _sentences(norm, rnd)
    # any order of the mentions (callers pass their own lists), and the finder's own order
    shuffled = list(mentions)
    rnd.shuffle(shuffled)
    for given_mentions in (mentions, shuffled):
        a, b = sorted(rnd.randrange(len(norm) + 1) for _ in range(2))
        assert [_m(m) for m in pairing.resolve_pronouns(norm, given_mentions, a, b)] == [
            _m(m) for m in old_resolve_pronouns(norm, given_mentions, a, b)
        ]
        new = pairing.find_pairings(text, norm, sentences, given_mentions)
        old = old_find_pairings(text, norm, sentences, given_mentions)
        assert [_p(p) for p in new] == [_p(p) for p in old]


@settings(max_examples=50, deadline=None)
@given(tokens, st.randoms(use_true_random=False))
def test_nesting_with_repeated_pairs_matches_the_replaced_code(
    words: list[str], rnd: random.Random
) -> None:
    # nest() sees implied pairings too, which may repeat a stated pair's key
    text = "".join(words)
    norm = normalize_for_matching(text)
    sentences = _sentences(norm, rnd)
    found = pairing.find_pairings(text, norm, sentences, pairing.find_mentions(text, norm))
    pairings = found + [rnd.choice(found) for _ in range(rnd.randint(0, 2))] if found else []
    pairings = [copy.copy(p) for p in pairings]
    rnd.shuffle(pairings)
    reference = [copy.copy(p) for p in pairings]
    pairing.nest(pairings)
    for p in reference:
        p.parent = None
    _old_set_parents(reference)
    assert [p.parent for p in pairings] == [p.parent for p in reference]


def test_the_reference_finds_pairings_so_the_comparison_means_something() -> None:
    text = (
        "贵州省黔南州与广州市结对帮扶。"
        "惠阳区中医院对口帮扶册亨县人民医院，该县与惠阳区合作关系紧密。"
    )
    norm = normalize_for_matching(text)
    mentions = pairing.find_mentions(text, norm)
    assert len(mentions) >= 4
    new = pairing.find_pairings(text, norm, _sentences(norm), mentions)
    assert new and [_p(p) for p in new] == [
        _p(p) for p in old_find_pairings(text, norm, _sentences(norm), mentions)
    ]


def test_the_cue_pattern_matches_as_before() -> None:
    rng = random.Random(7)
    alphabet = "东西部协作对口帮扶支援结关系框架协议计划人才共建合向机制a，"
    for _ in range(20000):
        s = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        a = rng.randint(0, len(s))
        b = rng.randint(a, len(s))
        assert [m.span() for m in pairing.PAIRING_CUE.finditer(s, a, b)] == [
            m.span() for m in OLD_CUE.finditer(s, a, b)
        ]


def test_a_mention_equals_only_a_mention_and_cannot_change() -> None:
    m = pairing.Mention(1, 3, "惠阳", "441303")
    assert m == pairing.Mention(1, 3, "惠阳", "441303") and m.key == ("441303", "")
    plain = (1, 3, "惠阳", "441303", None)
    assert m != plain and plain != m  # both sides' __ne__ are asked
    assert hash(m) == hash(pairing.Mention(1, 3, "惠阳", "441303"))
    assert m == mock.ANY and m != OldMention(1, 3, "惠阳", "441303")  # others are asked too
    try:
        m.start = 2  # type: ignore[misc]
    except AttributeError:
        pass
    else:
        raise AssertionError("a Mention changed")


def _old_inside(gaz: Any, inner: Any, outer: Any) -> bool:
    if outer.body and inner.body != outer.body:
        return False
    return bool(inner.code == outer.code or gaz.contains(outer.code, inner.code))


def old_side_within(gaz: Any, inner: Any, outer: Any) -> bool:
    return bool(inner) and all(any(_old_inside(gaz, i, o) for o in outer) for i in inner)


# codes of one province at every level, another province, and an unknown code
CODES = ["520000", "522700", "522701", "522300", "522327", "440000", "441300", "441303", "999999"]
mention = st.builds(
    pairing.Mention,
    st.just(0),
    st.just(1),
    st.just("x"),
    st.sampled_from(CODES),
    st.sampled_from([None, "", "中医院", "人民医院"]),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(mention, max_size=4), st.lists(mention, max_size=4))
def test_side_within_matches_the_replaced_code(inner: list[Any], outer: list[Any]) -> None:
    gaz = gazetteer()
    assert pairing.side_within(gaz, inner, outer) == old_side_within(gaz, inner, outer)


def test_ancestors_are_what_the_property_computed() -> None:
    for d in gazetteer().divisions.values():
        if d.level == "province":
            old: tuple[str, ...] = ()
        elif d.prefecture is None or d.prefecture == d.code:
            old = (d.province,)
        else:
            old = (d.province, d.prefecture)
        assert d.ancestors == old
    d = gazetteer().divisions["522701"]
    assert "ancestors" not in repr(d) and d == copy.copy(d) and d.ancestors == ("520000", "522700")
