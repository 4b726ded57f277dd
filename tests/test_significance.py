"""Bootstrap intervals and the paired test: deterministic, and right on cases worked by hand."""

from __future__ import annotations

import numpy as np
import pytest

from llmx.evaluation.labels import Counts, DocScore
from llmx.evaluation.runner import significance_gates
from llmx.evaluation.significance import (
    bootstrap_interval,
    compare,
    count_matrix,
    f1_of,
    intervals,
    paired_test,
)


def docs(*counts: tuple[int, int, int], kind: str = "metrics") -> list[DocScore]:
    return [
        DocScore(doc_id=f"d{i}", counts={kind: Counts(tp, fp, fn, float(tp))})
        for i, (tp, fp, fn) in enumerate(counts)
    ]


FIVE = docs((9, 1, 1), (8, 2, 0), (0, 3, 1), (19, 1, 1), (13, 1, 1))  # the rules on the seeds


def test_micro_f1_matches_the_scorers_convention() -> None:
    m = count_matrix(FIVE, "metrics", "strict")
    assert f1_of(m) == pytest.approx(2 * 49 / (2 * 49 + 8 + 4))
    assert f1_of(np.zeros((3, 3))) == 1.0  # nothing to find, nothing found
    assert f1_of(np.array([[0.0, 0.0, 2.0]])) == 0.0


def test_interval_is_seeded_contains_the_value_and_narrows_with_more_documents() -> None:
    m = count_matrix(FIVE, "metrics", "strict")
    a, b = bootstrap_interval(m, seed=7), bootstrap_interval(m, seed=7)
    assert a == b  # same seed, same interval
    assert a.low <= a.value <= a.high and 0 < a.width < 1
    many = np.tile(m, (20, 1))  # the same documents, twenty times over: same F1, less doubt
    wide = bootstrap_interval(many, seed=7)
    assert wide.value == pytest.approx(a.value)
    assert wide.width < a.width / 3


def test_identical_runs_have_no_difference_and_p_one() -> None:
    m = count_matrix(FIVE, "metrics", "strict")
    c = paired_test(m, m.copy())
    assert c.delta == 0 and c.p_drop == 1.0 and (c.low, c.high) == (0.0, 0.0)


def test_a_drop_on_every_document_is_significant_at_the_smallest_p_five_allow() -> None:
    old = count_matrix(FIVE, "metrics", "strict")
    worse = old + np.array([-1.0, 1.0, 1.0])  # one fewer match on every document
    worse[2] = [0, 4, 2]
    c = paired_test(worse, old)
    assert c.delta < 0 and c.exact
    assert c.p_drop == pytest.approx(1 / 32)  # only the unswapped arrangement is as bad
    assert c.high < 0


def test_a_drop_on_one_document_is_not_significant() -> None:
    old = count_matrix(FIVE, "metrics", "strict")
    new = old.copy()
    new[3] = [17, 3, 3]
    c = paired_test(new, old)
    assert c.delta < -0.02
    assert c.p_drop == pytest.approx(0.5)  # swapping document 3 alone undoes it


def test_many_documents_sample_the_swaps_reproducibly() -> None:
    rng = np.random.default_rng(1)
    old = rng.integers(0, 10, size=(40, 3)).astype(float)
    new = old + np.array([-1.0, 1.0, 1.0]).clip(min=-old[:, :1])
    a, b = paired_test(new, old, seed=3), paired_test(new, old, seed=3)
    assert a == b and not a.exact and a.p_drop < 0.01


def test_gate_fails_on_a_significant_drop_or_beyond_the_floor_only() -> None:
    old = FIVE
    one_doc = docs((9, 1, 1), (8, 2, 0), (0, 3, 1), (17, 3, 3), (13, 1, 1))
    every_doc = docs((8, 2, 2), (7, 3, 1), (0, 4, 2), (18, 2, 2), (12, 2, 2))
    kinds = ["metrics"]

    def gate(new: list[DocScore], max_drop: float | None) -> bool:
        comparisons = compare(new, old, kinds)
        return all(g.passed for g in significance_gates(comparisons, alpha=0.05, max_drop=max_drop))

    assert gate(one_doc, None)  # a drop within the noise of five documents
    assert not gate(one_doc, 0.02)  # ... but beyond an absolute floor
    assert not gate(every_doc, None)  # every document worse: significant
    assert gate(FIVE, 0.0)  # no change


def test_intervals_cover_every_f1_including_sub_kinds() -> None:
    d = DocScore(
        doc_id="a",
        counts={"programmes": Counts(3, 1, 0, 3.5)},
        groups={"programmes": {"initiative": Counts(2, 1, 0), "partnership": Counts(1, 0, 0)}},
    )
    cis = intervals([d, d], ["programmes"])
    assert set(cis) == {
        "programmes strict.f1",
        "programmes partial.f1",
        "programmes strict.f1 · initiative",
        "programmes strict.f1 · partnership",
    }
