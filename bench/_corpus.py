"""Synthetic documents and a grounding responder for the benchmarks.

The documents are *recombined* sentences of the real seed articles (``seeds/*.txt``), so the
text looks like the genre (Chinese news with quantities) while staying one chunk long. The
responder builds a schema-valid extraction from the request text itself -- it is scripted,
never model output -- so that the bench pays for parsing, grounding and merging as a real run
would.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from llmx.core.documents import Document
from llmx.quantities import find_quantities
from llmx.testing.server import Reply, request_text
from llmx.text.cleaning import clean
from llmx.text.sentences import split_sentences

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
_HAN = re.compile(r"[\u4e00-\u9fff]")
_CLAUSE = re.compile(r"[^。！？；\n]*[。！？；]?")


def seed_sentences(seeds_dir: Path = SEEDS) -> list[str]:
    """Body sentences of the seed articles (cleaned) that hold at least one metric quantity."""
    out: list[str] = []
    for path in sorted(seeds_dir.glob("*.txt")):
        text = clean(path.read_text("utf-8")).text
        for start, end in split_sentences(text):
            sentence = text[start:end].strip()
            if not 20 <= len(sentence) <= 200 or len(_HAN.findall(sentence)) < 10:
                continue
            if not _HAN.match(sentence[0]) and sentence[0] not in "“「0123456789":
                continue  # a fragment cut mid-sentence by a line break
            if any(q.is_reported_amount for q in find_quantities(sentence)):
                out.append(sentence)
    return list(dict.fromkeys(out))  # the repeated article would otherwise weigh double


def synth_documents(
    n: int, *, seed: int = 0, max_chars: int = 1200, sentences: list[str] | None = None
) -> Iterator[Document]:
    """``n`` deterministic documents of 3-8 seed sentences, each shorter than ``max_chars``.

    ``max_chars`` stays under the default ``chunk_chars`` (1500) so each document is one chunk.
    Documents are generated lazily, so a large ``n`` costs no memory up front.
    """
    pool = sentences or seed_sentences()
    rng = random.Random(seed)
    for i in range(n):
        picked = rng.sample(pool, k=min(len(pool), rng.randint(3, 8)))
        title = picked[0][:24].rstrip("，,。") + "——综述"
        body: list[str] = []
        size = len(title) + 1
        for sentence in picked:
            if size + len(sentence) + 1 > max_chars:
                break
            body.append(sentence)
            size += len(sentence) + 1
        # Two sentences a paragraph, like the seeds' short paragraphs.
        paras = ["".join(body[k : k + 2]) for k in range(0, len(body), 2)]
        yield Document(id=f"bench{i:06d}", text="\n".join([title, *paras]), source="synthetic")


def grounding_responder(request: dict[str, Any]) -> Reply:
    """A schema-valid reply with one programme and up to two metrics quoted from the request.

    Each metric's ``value_text`` is a quantity found in the article text and its ``evidence``
    the clause around it, so llmx's grounding finds both (exact matches).
    """
    text = request_text(request)
    metrics: list[dict[str, Any]] = []
    for q in find_quantities(text):
        if not q.is_reported_amount or len(metrics) == 2:
            continue
        clause = next(
            (m.group() for m in _CLAUSE.finditer(text) if m.start() <= q.start < m.end()), q.text
        )
        metrics.append(
            {
                "subject": clause[: max(1, min(6, q.start - text.find(clause)))] or q.text,
                "value": q.value,
                "value_max": q.value_max,
                "unit": q.unit or "个",
                "qualifier": q.qualifier,
                "value_text": q.text,
                "evidence": clause,
                "programme": "P1",
            }
        )
    first_line = text.split("\n", 1)[0]
    programme = {
        "id": "P1",
        "kind": "initiative",  # required since programmes gained a kind
        "name": first_line[:12],
        "donors": [],
        "recipients": [],
        "domains": ["其他"],
        "start_date": None,
        "end_date": None,
        "evidence": first_line,
    }
    return Reply.data({"programmes": [programme], "metrics": metrics})
