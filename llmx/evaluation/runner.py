"""Run an eval: load gold and its documents, get predictions, score, gate.

Predictions come either from a saved JSONL of ``DocResult`` lines (no model is called) or from
the Python API (:func:`call_backend`, passed in as ``extractor`` so tests can swap it).
Everything that makes an eval untrustworthy -- no gold, unreadable files, a gold file whose
text hash no longer matches its document, nothing scored -- raises :class:`HarnessError`.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from llmx._version import __version__
from llmx.annotation import SECOND
from llmx.config import ConfigError, load_settings
from llmx.core.documents import Document
from llmx.core.results import DocResult
from llmx.evaluation.gold import GoldDoc, read_gold, text_sha256
from llmx.evaluation.labels import PRF, DocScore, KindScores
from llmx.evaluation.report import (
    Agreement,
    EvalReport,
    Gate,
    Hashes,
    Provenance,
    ScoredDoc,
    build_report,
    public_settings,
    sha256_file,
    sha256_json,
    sha256_tree,
)
from llmx.evaluation.scoring import Scorer, is_grounded, scorer_for
from llmx.evaluation.significance import Comparison, compare, intervals
from llmx.output import read_results, write_results
from llmx.tasks import Task, TaskError, load_task


class HarnessError(Exception):
    """The eval itself cannot be trusted or run (exit code 1)."""


# --------------------------------------------------------------------------- dataset


@dataclass(frozen=True, slots=True)
class GoldEntry:
    """A gold file, its annotations and the document they annotate (id set to the gold's)."""

    path: Path
    gold: GoldDoc
    document: Document


@dataclass(slots=True)
class Dataset:
    """An eval dataset: ``<dir>/gold/*.json`` and the documents they point at."""

    directory: Path
    root: Path  # repository root the gold ``source`` paths are relative to
    entries: list[GoldEntry]
    task: Task
    warnings: list[str] = field(default_factory=list)


def find_root(start: Path) -> Path:
    """The nearest ancestor of ``start`` holding ``pyproject.toml`` or ``.git`` (else cwd)."""
    for folder in [start, *start.parents]:
        if (folder / "pyproject.toml").is_file() or (folder / ".git").exists():
            return folder
    return Path.cwd()


def _resolve_source(source: str, dataset: Path, root: Path, task_root: Path) -> Path:
    for base in (root, task_root, dataset, Path.cwd()):
        candidate = base / source
        if candidate.is_file():
            return candidate
    raise HarnessError(f"gold source {source!r} not found under {root} or {dataset}")


def _load_text(path: Path) -> Document:
    from llmx.text.loading import load_documents

    found = list(load_documents([path]))
    docs = [d for d in found if isinstance(d, Document)]
    problems = [p for p in found if not isinstance(p, Document)]
    if problems or len(docs) != 1:
        why = "; ".join(getattr(p, "message", str(p)) for p in problems) or f"{len(docs)} docs"
        raise HarnessError(f"cannot read gold source {path}: {why}")
    return docs[0]


def load_dataset(directory: str | Path, task: Task | str | None = None) -> Dataset:
    """Load and check every gold file of a task (validated against the task's gold model);
    raise :class:`HarnessError` on any problem."""
    try:
        task = task if isinstance(task, Task) else load_task(task)
    except TaskError as exc:
        raise HarnessError(str(exc)) from exc
    folder = Path(directory)
    gold_dir = folder / "gold"
    files = sorted(gold_dir.glob("*.json"))
    if not files:
        raise HarnessError(f"no gold files: {gold_dir}/*.json matched nothing")
    root = find_root(folder.resolve())
    entries: list[GoldEntry] = []
    warnings: list[str] = []
    seen: dict[str, Path] = {}
    for path in files:
        try:
            gold = read_gold(path, task)
        except (OSError, ValueError, ValidationError) as exc:
            first = str(exc).strip().splitlines()[0]
            raise HarnessError(f"bad gold file {path}: {first}") from exc
        if gold.doc_id in seen:
            raise HarnessError(f"doc_id {gold.doc_id!r} in both {seen[gold.doc_id]} and {path}")
        seen[gold.doc_id] = path
        doc = _load_text(_resolve_source(gold.source, folder, root, task.root))
        if text_sha256(doc.text) != gold.text_sha256:
            raise HarnessError(
                f"{path}: text_sha256 does not match {gold.source} as read now; "
                "the gold spans may be stale"
            )
        for kind, spec in task.records.items():
            for i, rec in enumerate(gold.records(kind)):
                if not is_grounded(rec, doc.text, spec):
                    warnings.append(
                        f"{path.name}: gold {kind}[{i}] spans do not slice to its quotes"
                    )
        entries.append(GoldEntry(path, gold, dataclasses.replace(doc, id=gold.doc_id)))
    return Dataset(folder, root, entries, task, warnings)


# --------------------------------------------------------------------------- predictions


def read_predictions(path: str | Path) -> list[DocResult]:
    """Read a JSONL file of ``DocResult`` lines (as ``llmx extract`` writes them)."""
    try:
        return list(read_results(path))
    except (OSError, UnicodeDecodeError) as exc:
        raise HarnessError(f"cannot read predictions {path}: {exc}") from exc
    except ValueError as exc:
        raise HarnessError(str(exc)) from exc


write_predictions = write_results


Extractor = Callable[[list[Document], str, str, dict[str, Any]], list[DocResult]]
"""(documents, task, backend, settings) -> one DocResult per document."""


def call_backend(
    documents: list[Document], task: str, backend: str, settings: dict[str, Any]
) -> list[DocResult]:
    """Extract through the Python API (``llmx.api.aextract``)."""
    from llmx.api import aextract

    return asyncio.run(aextract(documents, task=task, backend=backend, **settings))


# --------------------------------------------------------------------------- provenance


def _task_hashes(task: Task) -> tuple[str | None, str | None]:
    """Digests of the task's prompts folder and its schema module (the whole package when
    the task is one)."""
    schema = task.schema_path
    digest = sha256_tree(schema.parent) if schema.name == "__init__.py" else sha256_file(schema)
    return sha256_tree(task.prompt_dir), digest


def public_run_settings(task: str, backend: str, settings: dict[str, Any]) -> dict[str, Any]:
    """The effective, secret-free settings a backend run uses (as ``llmx.config`` resolves
    them); the given settings alone if the config layer cannot load them."""
    given = {k: v for k, v in settings.items() if v is not None}
    try:
        from llmx.config import load_settings

        resolved = load_settings({"task": task, "backend": backend, **given}).public()
    except Exception:  # config problems surface when the backend runs; record what we know
        resolved = {"task": task, "backend": backend, **given}
    return public_settings(resolved)


def _prediction_meta(results: Sequence[DocResult]) -> list[dict[str, Any]]:
    keys = ("backend", "model", "mode", "prompt_version", "schema_version", "llmx_version")
    seen: list[dict[str, Any]] = []
    for r in results:
        meta = {k: getattr(r.meta, k, None) for k in keys}
        if meta not in seen:
            seen.append(meta)
    return seen


# --------------------------------------------------------------------------- gates


@dataclass(frozen=True, slots=True)
class Floor:
    """A ``--min-f1`` floor: ``kind`` [``.strict``|``.partial``] ``=value``."""

    kind: str
    mode: str
    value: float


def parse_floor(text: str, kinds: Sequence[str]) -> Floor:
    """``KIND=0.8`` (strict F1) or ``KIND.partial=0.9``, KIND one of the task's ``kinds``."""
    name, sep, number = text.partition("=")
    kind, _, mode = name.strip().partition(".")
    mode = mode or "strict"
    try:
        value = float(number)
    except ValueError:
        value = -1.0
    if not sep or kind not in kinds or mode not in ("strict", "partial") or not 0 <= value <= 1:
        raise HarnessError(
            f"bad --min-f1 {text!r}: want KIND[.strict|.partial]=F1 with KIND in "
            f"{', '.join(kinds)} and 0 <= F1 <= 1"
        )
    return Floor(kind, mode, value)


def _figure(scores: KindScores, mode: str) -> PRF:
    return scores.strict if mode == "strict" else scores.partial


def check_gates(
    summary: dict[str, KindScores],
    *,
    floors: Sequence[Floor] = (),
    baseline: dict[str, KindScores] | None = None,
    tolerance: float = 0.02,
) -> list[Gate]:
    """``--min-f1`` floors and, against a baseline, no P/R/F1 (strict or partial, per kind)
    may drop by more than ``tolerance``."""
    gates: list[Gate] = []
    for f in floors:
        value = _figure(summary[f.kind], f.mode).f1
        gates.append(
            Gate(
                name="min-f1",
                kind=f.kind,
                mode=f.mode,
                figure="f1",
                value=value,
                threshold=f.value,
                passed=value >= f.value - 1e-12,
            )
        )
    for kind, old_scores in (baseline or {}).items():
        if kind not in summary:
            continue
        for mode in ("strict", "partial"):
            new, old = _figure(summary[kind], mode), _figure(old_scores, mode)
            for figure in ("precision", "recall", "f1"):
                value, before = getattr(new, figure), getattr(old, figure)
                gates.append(
                    Gate(
                        name="baseline",
                        kind=kind,
                        mode=mode,
                        figure=figure,
                        value=value,
                        threshold=before - tolerance,
                        baseline=before,
                        passed=value >= before - tolerance - 1e-12,
                    )
                )
    return gates


# --------------------------------------------------------------------------- the run


@dataclass(slots=True)
class EvalOptions:
    """What ``llmx eval`` was asked to do."""

    dataset: Path | None = None  # default: the task's evals/<task>/
    task: str | None = None
    backend: str = "auto"
    predictions: Path | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    floors: list[Floor] = field(default_factory=list)
    baseline: EvalReport | None = None
    tolerance: float = 0.02
    save_predictions: Path | None = None
    alpha: float | None = None  # gate on significant drops (paired test) instead of tolerance
    max_drop: float | None = None  # with alpha: any F1 drop beyond this fails regardless
    resamples: int = 2000  # bootstrap replicates (intervals, paired difference)
    level: float = 0.95  # interval coverage
    seed: int = 0
    docs: list[str] | None = None  # score only these gold documents (doc_id)


def select_docs(dataset: Dataset, docs: Sequence[str] | None) -> Dataset:
    """The dataset narrowed to ``docs`` (every id must be a gold document)."""
    if not docs:
        return dataset
    known = {e.gold.doc_id for e in dataset.entries}
    unknown = [d for d in docs if d not in known]
    if unknown:
        raise HarnessError(f"no gold document {', '.join(unknown)} in {dataset.directory}/gold")
    entries = [e for e in dataset.entries if e.gold.doc_id in set(docs)]
    return dataclasses.replace(dataset, entries=entries)


def significance_gates(
    comparisons: Sequence[Comparison], *, alpha: float, max_drop: float | None
) -> list[Gate]:
    """A per-kind F1 fails when its drop is significant at ``alpha`` (paired test over
    documents) or larger than ``max_drop``; a drop within the noise passes."""
    gates = []
    for c in comparisons:
        kind, figure = c.figure.split(" ", 1)
        significant = c.delta < -1e-12 and c.p_drop < alpha
        too_far = max_drop is not None and c.delta < -max_drop - 1e-12
        gates.append(
            Gate(
                name="significance",
                kind=kind,
                mode=figure.split(".")[0],
                figure="f1",
                value=c.new,
                threshold=c.old - (max_drop if max_drop is not None else 0.0),
                baseline=c.old,
                passed=not (significant or too_far),
                p_value=c.p_drop,
            )
        )
    return gates


def _match_results(
    entries: Sequence[GoldEntry], results: Sequence[DocResult]
) -> tuple[dict[str, DocResult], list[str]]:
    """Pair results with gold docs by doc_id, else by source file name."""
    by_id = {r.doc_id: r for r in results}
    by_name: dict[str, DocResult] = {}
    for r in results:
        by_name.setdefault(Path(r.source.split(":")[0]).name, r)
    out: dict[str, DocResult] = {}
    for e in entries:
        hit = by_id.get(e.gold.doc_id) or by_name.get(Path(e.gold.source).name)
        if hit is not None:
            out[e.gold.doc_id] = hit
    extra = len(results) - len({id(r) for r in out.values()})
    notes = [f"{extra} prediction(s) for documents without gold were ignored"] if extra else []
    return out, notes


def score_dataset(
    dataset: Dataset,
    results: Sequence[DocResult],
    scorer: Scorer | None = None,
    *,
    recorded_failures: bool = False,
) -> tuple[list[ScoredDoc], list[str]]:
    """Score every gold document; a missing or failed prediction scores as empty.

    ``recorded_failures``: a replayed cassette whose model failed on every document is a
    score (zero), not a broken eval -- the failures were recorded, not caused here."""
    scorer = scorer or Scorer(dataset.task)
    kinds = dataset.task.kinds
    matched, warnings = _match_results(dataset.entries, results)
    failed_all = not any(r.status == "ok" for r in matched.values())
    if failed_all and recorded_failures and len(matched) == len(dataset.entries):
        types = Counter(r.error.type for r in matched.values() if r.error is not None)
        warnings.append(
            "every document failed in the recorded replies ("
            + ", ".join(f"{t} ×{n}" for t, n in sorted(types.items()))
            + "): scored as empty"
        )
    elif failed_all:
        raise HarnessError(
            "nothing scored: no gold document has a successful prediction "
            f"({len(results)} result(s) read, {len(matched)} matched a gold doc_id or source)"
        )
    scored: list[ScoredDoc] = []
    warnings += missing_split_fields(dataset.task, list(matched.values()))
    for e in dataset.entries:
        result = matched.get(e.gold.doc_id)
        error = None
        pred: dict[str, list[dict[str, Any]]] = {k: [] for k in kinds}
        if result is None:
            error = "no prediction for this document"
        elif result.status != "ok":
            error = f"extraction failed: {result.error.message if result.error else 'unknown'}"
        else:
            pred = {k: result.records(k) for k in kinds}
        if error:
            warnings.append(f"{e.gold.doc_id}: {error} (scored as empty)")
        gold = {k: e.gold.records(k) for k in kinds}
        score: DocScore = scorer.score_document(
            e.gold.doc_id, gold, pred, e.document.text, error=error
        )
        scored.append(ScoredDoc(score, e.gold.source, pred))
    return scored, warnings


def replay_misses(results: Sequence[DocResult], replay: Any) -> None:
    """A replayed eval that asked for a request its cassette lacks is not a score: stop,
    saying which document and chunk, and what differs from the nearest recorded request."""
    missed = [r for r in results if r.error is not None and r.error.type == "cassette_miss"]
    if replay is None or not missed:
        return
    raise HarnessError(
        f"{len(missed)} of {len(results)} document(s) asked for replies {replay} does not "
        f"hold; first: {missed[0].error.message if missed[0].error else ''} -- record again "
        "(--record) or undo the change"
    )


def missing_split_fields(task: Task, results: Sequence[DocResult]) -> list[str]:
    """One line per kind whose ``split_by`` field some records lack -- results written before
    the task's schema gained it still load, scored under "unknown"."""
    out = []
    for kind, ks in task.scoring.items():
        if not ks.split_by:
            continue
        missing = sum(1 for r in results for rec in r.records(kind) if rec.get(ks.split_by) is None)
        if missing:
            out.append(
                f"{missing} {kind} record(s) without `{ks.split_by}` (written before the task "
                f"schema had it, e.g. by an older llmx): counted as {ks.split_by} 'unknown'"
            )
    return out


def run_eval(options: EvalOptions, extractor: Extractor = call_backend) -> EvalReport:
    """Load, predict (or read predictions), score and gate; the report says it all."""
    try:
        task = load_task(options.task or load_settings({}).task)
        scorer = scorer_for(task.name)
    except (TaskError, ConfigError) as exc:
        raise HarnessError(str(exc)) from exc
    dataset = select_docs(load_dataset(options.dataset or task.eval_dir, task), options.docs)
    warnings = list(dataset.warnings)
    hashes = Hashes(
        gold_files={e.path.name: sha256_file(e.path) for e in dataset.entries},
        documents={e.gold.doc_id: e.gold.text_sha256 for e in dataset.entries},
    )
    hashes.gold = sha256_json(hashes.gold_files)
    hashes.prompts, hashes.schema_file = _task_hashes(task)
    if options.predictions is not None:
        results = read_predictions(options.predictions)
        pred = Path(options.predictions)  # a folder (--engine ray): its manifest hashes shards
        hashes.predictions = sha256_file(pred / "manifest.jsonl" if pred.is_dir() else pred)
        settings: dict[str, Any] = {}
        backend = None
    else:
        documents = [e.document for e in dataset.entries]
        try:
            results = extractor(documents, task.name, options.backend, options.settings)
        except (ConfigError, TaskError) as exc:
            raise HarnessError(f"backend {options.backend!r} cannot run: {exc}") from exc
        settings = public_run_settings(task.name, options.backend, options.settings)
        backend = options.backend
    replay_misses(results, options.settings.get("replay"))
    if options.save_predictions is not None:
        write_predictions(results, options.save_predictions)
    hashes.settings = sha256_json(settings)

    replayed = options.predictions is None and options.settings.get("replay") is not None
    scored, notes = score_dataset(dataset, results, scorer, recorded_failures=replayed)
    warnings += notes
    summary = scorer.summarize([d.score for d in scored])
    agreement = annotator_agreement(dataset, scorer)
    baseline = options.baseline.summary if options.baseline else None
    if options.baseline and options.baseline.provenance.hashes.gold != hashes.gold:
        warnings.append("baseline was scored on different gold files; compare with care")
    docs = [d.score for d in scored]
    spread: dict[str, Any] = {
        "resamples": options.resamples,
        "level": options.level,
        "seed": options.seed,
    }
    cis = intervals(docs, task.kinds, **spread)
    comparisons = []
    if options.baseline is not None:
        old_docs = [d.score for d in options.baseline.documents]
        comparisons = compare(docs, old_docs, task.kinds, **spread)
    if options.alpha is not None and options.baseline is not None:
        gates = check_gates(summary, floors=options.floors)
        gates += significance_gates(comparisons, alpha=options.alpha, max_drop=options.max_drop)
    else:
        gates = check_gates(
            summary, floors=options.floors, baseline=baseline, tolerance=options.tolerance
        )
    provenance = Provenance(
        llmx_version=__version__,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        task=task.name,
        dataset=str(options.dataset or task.eval_dir),
        backend=backend,
        predictions=str(options.predictions) if options.predictions else None,
        settings=settings,
        prediction_meta=_prediction_meta(results),
        hashes=hashes,
    )
    report = build_report(
        provenance=provenance, summary=summary, docs=scored, gates=gates, warnings=warnings
    )
    report.agreement = agreement
    report.intervals, report.comparisons = cis, comparisons
    return report


def annotator_agreement(dataset: Dataset, scorer: Scorer) -> Agreement | None:
    """A second annotator's gold (``<dataset>/second/gold/``) scored against the gold with
    the same scorer: how far two people following the guidelines agree -- the ceiling any
    extractor's figures should be read against. None when there is no second annotation."""
    folder = dataset.directory / SECOND / "gold"
    files = sorted(folder.glob("*.json"))
    if not files:
        return None
    by_id = {e.gold.doc_id: e for e in dataset.entries}
    docs: list[DocScore] = []
    for path in files:
        try:
            second = read_gold(path, dataset.task)
        except (OSError, ValueError, ValidationError) as exc:
            first = str(exc).strip().splitlines()[0]
            raise HarnessError(f"bad second-annotation file {path}: {first}") from exc
        entry = by_id.get(second.doc_id)
        if entry is None:
            continue
        kinds = dataset.task.kinds
        docs.append(
            scorer.score_document(
                second.doc_id,
                {k: entry.gold.records(k) for k in kinds},
                {k: second.records(k) for k in kinds},
                entry.document.text,
            )
        )
    if not docs:
        return None
    annotators = sorted({read_gold(p, dataset.task).annotator for p in files})
    return Agreement(
        annotators=[dataset.entries[0].gold.annotator, *annotators],
        documents=[d.doc_id for d in docs],
        summary=scorer.summarize(docs),
    )
