"""The ``cooperation`` task's hooks: how a record reads in one line, the annotation rules
beyond the schema, and the offline extractor."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from llmx.quantities import show_number

from .rules import extract_records

_QUALIFIER_MARK = {
    "exact": "",
    "more_than": ">",
    "approx": "~",
    "nearly": "<~",
    "less_than": "<",
    "at_least": ">=",
    "at_most": "<=",
    "range": "",
}


def summarize(kind: str, record: Mapping[str, Any]) -> str:
    """One line: a metric as subject, qualifier mark, amount and unit (``target`` marked); a
    programme as its kind's letter, name and who helps whom."""
    if kind == "metrics":
        amount = show_number(record.get("value"))
        if record.get("value_max") is not None:
            amount += "-" + show_number(record.get("value_max"))
        mark = _QUALIFIER_MARK.get(str(record.get("qualifier") or "exact"), "?")
        target = " (target)" if record.get("status") == "target" else ""
        return f"{record.get('subject') or '?'} {mark}{amount}{record.get('unit') or ''}{target}"
    letter = {"partnership": "[P] ", "initiative": "[I] "}.get(str(record.get("kind")), "")
    name = str(record.get("name") or record.get("evidence") or "?")
    donors, recipients = record.get("donors") or [], record.get("recipients") or []
    parties = f" {'、'.join(donors)}→{'、'.join(recipients)}" if donors or recipients else ""
    return f"{letter}{name}{parties}"


def initiative_name(
    gold: Mapping[str, Any], pred: Mapping[str, Any], rule: Any, ctx: Any
) -> tuple[bool, float]:
    """Names decide for initiatives only: a partnership is identified by its parties, and the
    text may call one pairing 东西部协作, 结对帮扶 or 对口帮扶."""
    from llmx.evaluation.comparators import text

    equal, similarity = text(gold, pred, rule, ctx)
    if gold.get("kind") == pred.get("kind") == "partnership":
        return True, max(similarity, 0.5)
    return equal, similarity


def enrich(records: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """Beside each programme's donors and recipients (as written), their normalised forms:
    ``donor_places`` / ``recipient_places``, one per party -- the division's name and code
    (黔南 / 黔南州 / 貴州黔南州 -> 黔南布依族苗族自治州, 522700), the body for a body
    (惠阳区中医院 -> 惠阳区 + 中医院), ``resolved: false`` with a note when no division is
    found. The document's other parties settle ambiguous names (白云区)."""
    from dataclasses import asdict

    from .places import normalize_parties

    programmes = records.get("programmes") or []
    context = [str(x) for p in programmes for f in ("donors", "recipients") for x in p.get(f) or []]
    # each distinct party settled and turned into a dict once per document, copied per use
    settled = {text: asdict(party) for text, party in normalize_parties(context, context).items()}
    for p in programmes:
        for field, out in (("donors", "donor_places"), ("recipients", "recipient_places")):
            p[out] = [dict(settled[str(x)]) for x in p.get(field) or []]
    return records


COMPARATORS = {"initiative_name": initiative_name}


def _party(written: Any, normalised: Any) -> str:
    """A party as the chart names it: its division (and body) when resolved, so 黔南 and 黔南州
    meet in one node; else as written."""
    if isinstance(normalised, Mapping) and normalised.get("resolved"):
        return f"{normalised.get('name') or written}{normalised.get('body') or ''}"
    return str(written)


def _parties(programme: Mapping[str, Any], field: str, places: str) -> list[str]:
    written = programme.get(field) or []
    normalised = programme.get(places) or []
    if len(normalised) != len(written):  # a run made before enrich: resolve here
        from dataclasses import asdict

        from .places import normalize_parties

        names = [str(x) for x in written]
        settled = normalize_parties(names, names)  # the context converted once, not per party
        normalised = [asdict(settled[x]) for x in names]
    return list(dict.fromkeys(_party(w, n) for w, n in zip(written, normalised, strict=True)))


def edges(records: Mapping[str, list[dict[str, Any]]]) -> list[tuple[str, str, dict[str, float]]]:
    """Who helps whom: donor → recipient, programmes and their metrics summed by unit.

    One item per programme and donor-recipient pair: ``programmes`` 1, plus each metric linked
    to that programme (``programme`` link) added under its unit (``人次``; targets under
    ``人次 (target)``). A programme with two donors counts for both pairs.
    """
    metrics: dict[str, dict[str, float]] = {}
    for m in records.get("metrics") or []:
        value, unit = m.get("value"), str(m.get("unit") or "")
        if m.get("programme") is None or not isinstance(value, int | float):
            continue
        name = f"{unit} (target)" if m.get("status") == "target" else unit
        sums = metrics.setdefault(str(m["programme"]), {})
        sums[name] = sums.get(name, 0.0) + float(value)
    out: list[tuple[str, str, dict[str, float]]] = []
    for p in records.get("programmes") or []:
        linked = metrics.get(str(p.get("id")), {})
        for donor in _parties(p, "donors", "donor_places"):
            for recipient in _parties(p, "recipients", "recipient_places"):
                out.append((donor, recipient, {"programmes": 1.0, **linked}))
    return out


def extract_offline(text: str) -> dict[str, list[dict[str, Any]]]:
    """The rules extractor (``rules.py``): the baseline and the backend with no server."""
    return extract_records(text)


# --- annotation rules (GUIDELINES.md): checked by `llmx task annotate cooperation` ---------

# Markers that decide the qualifier; checked against what the annotator wrote.
_QUALIFIER_MARKS: list[tuple[str, str]] = [
    (r"将近|近", "nearly"),
    (r"不到|不足", "less_than"),
    (r"至少|不少于", "at_least"),
    (r"最多|不超过|不超過", "at_most"),
    (r"约|約|左右", "approx"),
    (r"余|餘|多|逾|超过|超過|以上", "more_than"),
]
_HAN_NUMERAL = "〇零一二两兩三四五六七八九十百千万萬亿億"
_PINYIN = re.compile(r"(?<=[\u3400-\u9fff])\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹḿ]{1,8}\)")


def expected_qualifier(value_text: str) -> str:
    """The qualifier the markers in a quantity expression call for (``exact`` if none)."""
    if re.search(r"\d\s*(?:至|到|-|—|~|～)\s*\d", value_text):
        return "range"
    for pattern, qualifier in _QUALIFIER_MARKS:
        if re.search(pattern, value_text):
            return qualifier
    return "exact"


def leading_number(value_text: str, unit: str) -> float | None:
    """The first number in a quantity expression, scaled by 万/亿 unless the unit keeps it.

    Returns None when the number is written in a way this check does not parse.
    """
    m = re.search(r"\d+(?:\.\d+)?", value_text)
    if m:
        number = float(m.group())
        after = value_text[m.end() : m.end() + 1]
    else:
        m = re.search(f"[{_HAN_NUMERAL}]+", value_text)
        if not m:
            return None
        import cn2an  # only needed for numbers written in characters

        try:
            number = float(cn2an.cn2an(m.group().replace("兩", "两"), "smart"))
        except (ValueError, KeyError):
            return None
        after = ""
    if unit[:1] not in "万萬亿億":  # money keeps its written unit: 500万元 -> 500 万元
        number *= {"万": 1e4, "萬": 1e4, "亿": 1e8, "億": 1e8}.get(after, 1)
    return number


def check_gold(kind: str, record: Mapping[str, Any]) -> list[str]:
    """Annotation rules of GUIDELINES.md that the schema cannot express."""
    if kind != "metrics":
        return []
    problems = []
    value_text, unit = str(record["value_text"]), str(record.get("unit") or "")
    qualifier = record.get("qualifier", "exact")
    if qualifier != (want := expected_qualifier(value_text)):
        problems.append(f"qualifier {qualifier!r}, its markers say {want!r}")
    if (qualifier == "range") != (record.get("value_max") is not None):
        problems.append("value_max is set exactly when qualifier is range")
    number = leading_number(value_text, unit)
    if number is not None and number != record.get("value"):
        problems.append(f"value {record.get('value')} but the text says {number:g}")
    if unit and _PINYIN.sub("", unit) not in _PINYIN.sub("", value_text):
        problems.append(f"unit {unit!r} is not in the quantity expression")
    return problems
