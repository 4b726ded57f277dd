"""Reading what a review shows: predictions, gold files and document texts (the I/O side)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from llmx import output
from llmx.core.documents import Document
from llmx.core.results import DocResult
from llmx.evaluation.gold import GoldDoc, text_sha256
from llmx.evaluation.scoring import Scorer
from llmx.review import gold_edit
from llmx.review.model import DocView, build_doc
from llmx.tasks import Task, load_task
from llmx.text.loading import load_documents


def read_results(path: str | Path) -> dict[str, DocResult]:
    """Every ``DocResult`` line of a predictions JSONL file, by doc_id (a later line wins).

    Raises:
        ValueError: a line is not a valid ``DocResult`` (its line number is named).
    """
    return {r.doc_id: r for r in output.read_results(path)}


def find_gold(directory: str | Path) -> dict[str, Path]:
    """Gold files in ``directory`` by doc_id (unreadable files are skipped)."""
    out: dict[str, Path] = {}
    for path in sorted(Path(directory).glob("*.json")):
        try:
            doc_id = json.loads(path.read_text(encoding="utf-8"))["doc_id"]
        except (OSError, ValueError, KeyError, TypeError):
            continue
        out[str(doc_id)] = path
    return out


def load_text(source: str, doc_id: str, bases: list[Path]) -> Document | None:
    """The document behind ``source`` (a path, or ``path:line`` for a JSONL row), or None.

    Relative paths are tried against each of ``bases`` in turn.
    """
    candidates = [source]
    head, _, tail = source.rpartition(":")
    if head and tail.isdigit():
        candidates.append(head)
    for cand in candidates:
        for base in bases:
            path = Path(cand) if Path(cand).is_absolute() else base / cand
            if not path.is_file():
                continue
            docs = [d for d in load_documents([path]) if isinstance(d, Document)]
            if len(docs) == 1 and path.suffix.lower() != ".jsonl":
                return docs[0]
            for d in docs:
                if d.id == doc_id:
                    return d
    return None


@dataclass(slots=True)
class Review:
    """The documents of one review session and where they came from."""

    docs: list[DocView]
    scorer: Scorer
    run_a: Path
    run_b: Path | None = None
    gold_dir: Path | None = None
    gold_paths: dict[str, Path] = field(default_factory=dict)
    gold_docs: dict[str, GoldDoc] = field(default_factory=dict)  # what is shown (proposals too)
    warnings: list[str] = field(default_factory=list)
    results_a: dict[str, DocResult] = field(default_factory=dict)
    results_b: dict[str, DocResult] | None = None
    bases: list[Path] = field(default_factory=list)  # where relative sources are looked up

    @property
    def task(self) -> Task:
        return self.scorer.task

    @property
    def has_gold(self) -> bool:
        return bool(self.gold_docs)

    def rebuild(self, doc_id: str) -> DocView:
        """Re-score one document (after its gold changed) and put it back in ``docs``."""
        view = make_doc(self, doc_id)
        self.docs = [view if d.doc_id == doc_id else d for d in self.docs]
        return view


def load_review(
    pred: str | Path,
    against: str | Path | None = None,
    gold_dir: str | Path | None = None,
    *,
    task: Task | None = None,
    root: str | Path = ".",
) -> Review:
    """Read the runs, the gold (a reviewer's earlier proposals included) and the texts.

    With gold, only documents that have a gold file are reviewed (the others are named in
    ``warnings``); without gold, every document of run A.
    """
    run_a = read_results(pred)
    run_b = read_results(against) if against is not None else None
    if task is None:
        named = {r.task for r in [*run_a.values(), *(run_b or {}).values()]}
        if len(named) > 1:
            raise ValueError(f"the runs are of different tasks: {', '.join(sorted(named))}")
        task = load_task(named.pop() if named else None)
    review = Review([], Scorer(task), Path(pred), Path(against) if against else None)
    review.results_a, review.results_b = run_a, run_b
    # gold files name their texts relative to the task root (seeds/...), runs to where they ran
    bases = [Path(root), task.root, Path(pred).resolve().parent]
    if gold_dir is not None:
        bases.append(Path(gold_dir).resolve().parent)
    review.bases = list(dict.fromkeys(bases))
    if gold_dir is not None and Path(gold_dir).is_dir():
        review.gold_dir = Path(gold_dir)
        review.gold_paths = find_gold(gold_dir)
        for doc_id, path in review.gold_paths.items():
            review.gold_docs[doc_id] = gold_edit.load_working(path, task)
        if not review.gold_paths:
            review.warnings.append(f"no gold files in {gold_dir}: reviewing without gold")
    elif gold_dir is not None:
        review.warnings.append(f"no gold folder {gold_dir}: reviewing without gold")

    from llmx.evaluation.runner import missing_split_fields

    review.warnings += missing_split_fields(task, [*run_a.values(), *(run_b or {}).values()])
    ids = sorted(set(run_a) | set(run_b or {}))
    if review.has_gold:
        skipped = [i for i in ids if i not in review.gold_docs]
        if skipped:
            review.warnings.append(f"{len(skipped)} document(s) without gold not shown")
        ids = sorted(review.gold_docs)
    review.docs = [make_doc(review, doc_id) for doc_id in ids]
    return review


def make_doc(review: Review, doc_id: str) -> DocView:
    """Build (or rebuild, after a gold edit) one document's view."""
    run_b = review.results_b
    ra, rb = review.results_a.get(doc_id), (run_b or {}).get(doc_id)
    gold = review.gold_docs.get(doc_id)
    notes: list[str] = []
    kinds = review.task.kinds
    a = _records(ra, "A", notes, kinds)
    b = _records(rb, "B", notes, kinds) if run_b is not None else None
    first = ra or rb
    source = gold.source if gold else (first.source if first else "")
    document = load_text(source, doc_id, review.bases) if source else None
    text = document.text if document else None
    if text is None:
        notes.append(f"source text not found: {source or '(no source)'}")
    elif gold is not None and text_sha256(text) != gold.text_sha256:
        notes.append("document text differs from the one the gold was made on: spans may be off")
    view = build_doc(
        review.scorer,
        doc_id,
        source,
        text,
        a,
        b,
        {k: gold.records(k) for k in review.task.kinds} if gold else None,
        errors=(_error(ra), _error(rb) if run_b is not None else None),
    )
    view.notes = notes
    view.edited = gold is not None and gold_edit.proposal_path(review.gold_paths[doc_id]).exists()
    return view


def _records(
    result: DocResult | None, name: str, notes: list[str], kinds: tuple[str, ...]
) -> dict[str, list[dict]]:
    if result is None:
        notes.append(f"run {name} has no line for this document")
        return {}
    if result.status == "error":
        notes.append(f"run {name} failed here: {result.error.message if result.error else '?'}")
    return {k: result.records(k) for k in kinds}


def _error(result: DocResult | None) -> str | None:
    if result is None:
        return "no prediction"
    if result.status == "error":
        return result.error.message if result.error else "error"
    return None
