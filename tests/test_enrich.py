"""The cooperation task's ``enrich`` hook: each party beside its normalised form."""

from __future__ import annotations

import copy
from dataclasses import asdict
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from llmx.tasks import load_task

TASK = load_task("cooperation")
SEEDS = sorted((Path(__file__).resolve().parent.parent / "seeds").glob("*.txt"))
PARTIES = [
    "黔南",
    "黔南州",
    "貴州黔南州",
    "广州市",
    "惠阳区中医院",
    "白云区",
    "贵州省",
    "和平",
    "某地",
    "",
]


def _reference(records: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """The hook as first written: every party settled and converted on its own."""
    normalize_party = TASK.module.places.normalize_party  # type: ignore[union-attr]
    programmes = records.get("programmes") or []
    context = [str(x) for p in programmes for f in ("donors", "recipients") for x in p.get(f) or []]
    for p in programmes:
        for field, out in (("donors", "donor_places"), ("recipients", "recipient_places")):
            p[out] = [asdict(normalize_party(str(x), context)) for x in p.get(field) or []]
    return records


def _enrich(records: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    hook = TASK.hook("enrich")
    assert hook is not None
    return hook(records)


def test_enrich_matches_the_reference_on_the_seeds() -> None:
    for path in SEEDS:
        records = TASK.offline_extractor(path.read_text(encoding="utf-8"))  # type: ignore[misc]
        assert _enrich(copy.deepcopy(records)) == _reference(copy.deepcopy(records))


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "donors": st.lists(st.sampled_from(PARTIES), max_size=3),
                "recipients": st.lists(st.sampled_from(PARTIES), max_size=3),
            }
        ),
        max_size=4,
    )
)
def test_enrich_matches_the_reference(programmes: list[dict[str, Any]]) -> None:
    records = {"programmes": programmes, "metrics": []}
    out = _enrich(copy.deepcopy(records))
    assert out == _reference(copy.deepcopy(records))
    # a copy per use: changing one party's dict leaves the others alone
    places = [d for p in out["programmes"] for d in p["donor_places"] + p["recipient_places"]]
    assert len({id(d) for d in places}) == len(places)
