"""The JSON eval report: scores, per-document verdicts and what produced them. Data only.

A report names everything a score depends on -- sha256 of each gold file, of the prompt
templates, of the schema and of the (secret-free) model settings, plus the llmx version -- so
two reports can be compared honestly, and it embeds the predicted records each pair indexes,
so a score can be recomputed (or reviewed) without rerunning a model.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from llmx.evaluation.labels import PRF, DocScore, KindScores
from llmx.evaluation.significance import Comparison, Interval

REPORT_FORMAT = 2  # 2: tasks name their kinds; Gate.figure; agreement; groups and links
_SECRET_WORDS = ("key", "token", "secret", "password", "authorization")


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: str | Path) -> str:
    """sha256 of a file's bytes."""
    return sha256_bytes(Path(path).read_bytes())


def sha256_tree(directory: str | Path) -> str | None:
    """sha256 over every file under ``directory`` (relative paths and bytes, sorted); None if
    the directory does not exist."""
    root = Path(directory)
    if not root.is_dir():
        return None
    h = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        if "__pycache__" in path.parts:
            continue
        h.update(path.relative_to(root).as_posix().encode("utf-8") + b"\0")
        h.update(sha256_file(path).encode("ascii") + b"\0")
    return h.hexdigest()


def sha256_json(value: Any) -> str:
    """sha256 of a value's canonical JSON (sorted keys)."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return sha256_bytes(text.encode("utf-8"))


def public_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """Settings with anything secret-looking (api_key, tokens, passwords) removed.

    ``api_key_env`` names a variable, not a secret, so it stays.
    """
    return {
        k: v
        for k, v in settings.items()
        if k == "api_key_env" or not any(w in k.lower() for w in _SECRET_WORDS)
    }


class Hashes(BaseModel):
    """sha256 digests of the inputs a score depends on (None: not found)."""

    gold_files: dict[str, str] = Field(default_factory=dict)  # file name -> digest
    gold: str = ""  # over all gold file digests
    documents: dict[str, str] = Field(default_factory=dict)  # doc_id -> text digest
    prompts: str | None = None  # the prompts/<task>/ directory
    schema_file: str | None = None  # schemas/<task>.py
    settings: str = ""  # the public settings below
    predictions: str | None = None  # the --predictions file, when scoring one


class Provenance(BaseModel):
    """What was evaluated, how and when."""

    llmx_version: str
    created_at: str  # ISO 8601, UTC
    task: str
    dataset: str
    backend: str | None = None  # None when scoring a predictions file
    predictions: str | None = None
    settings: dict[str, Any] = Field(default_factory=dict)  # public only, never an API key
    prediction_meta: list[dict[str, Any]] = Field(default_factory=list)  # distinct DocMeta bits
    hashes: Hashes = Field(default_factory=Hashes)


class KindPRF(BaseModel):
    """Per-document figures of one kind (derived from ``DocScore.counts``)."""

    strict: PRF
    partial: PRF


class DocReport(BaseModel):
    """One document: its scores, its pairs and the predicted records the pairs index."""

    score: DocScore
    source: str = ""
    scores: dict[str, KindPRF] = Field(default_factory=dict)
    predictions: dict[str, list[dict[str, Any]]] = Field(default_factory=dict)


class Gate(BaseModel):
    """One quality gate and whether it held.

    ``kind``/``mode``/``figure`` name what is gated (a record kind / ``strict`` / ``f1``);
    ``threshold`` is a ``--min-f1`` floor, or the baseline value minus the tolerance.
    """

    name: str  # "min-f1", "baseline" (tolerance) or "significance" (paired test)
    kind: str
    mode: str
    figure: str  # precision, recall or f1
    value: float
    threshold: float
    baseline: float | None = None
    passed: bool
    p_value: float | None = None  # "significance" gates: the paired test's one-sided p


class Agreement(BaseModel):
    """Inter-annotator agreement: a second annotation scored against the gold.

    Attributes:
        annotators: The gold's annotator, then the second annotation's.
        documents: Documents both annotated.
        summary: The scorer's figures for the second annotation (the gold as reference).
    """

    annotators: list[str]
    documents: list[str]
    summary: dict[str, KindScores]


class EvalReport(BaseModel):
    """Everything ``llmx eval`` found; ``model_dump_json`` / ``read_report`` round-trip."""

    format: int = REPORT_FORMAT
    provenance: Provenance
    summary: dict[str, KindScores]
    documents: list[DocReport]
    gates: list[Gate] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    agreement: Agreement | None = None  # a second annotator vs the gold, when there is one
    intervals: dict[str, Interval] = Field(default_factory=dict)  # "<kind> strict.f1" -> CI
    comparisons: list[Comparison] = Field(default_factory=list)  # paired tests vs baseline

    @property
    def passed(self) -> bool:
        """All gates held (an eval without documents never passes)."""
        return bool(self.documents) and all(g.passed for g in self.gates)


@dataclass(frozen=True, slots=True)
class ScoredDoc:
    """Input to :func:`build_report` for one document."""

    score: DocScore
    source: str
    predictions: dict[str, list[dict[str, Any]]]


def doc_report(doc: ScoredDoc) -> DocReport:
    """A document's entry, with its per-kind strict/partial P/R/F1 spelled out."""
    scores = {k: KindPRF(strict=c.strict, partial=c.partial) for k, c in doc.score.counts.items()}
    return DocReport(score=doc.score, source=doc.source, scores=scores, predictions=doc.predictions)


def build_report(
    *,
    provenance: Provenance,
    summary: dict[str, KindScores],
    docs: list[ScoredDoc],
    gates: list[Gate] | None = None,
    warnings: list[str] | None = None,
) -> EvalReport:
    """Assemble the report (no computing beyond restating counts as P/R/F1)."""
    return EvalReport(
        provenance=provenance,
        summary=summary,
        documents=[doc_report(d) for d in docs],
        gates=list(gates or []),
        warnings=list(warnings or []),
    )


def write_report(report: EvalReport, path: str | Path) -> None:
    """Write the report as indented UTF-8 JSON (parents created)."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report.model_dump_json(indent=2) + "\n", encoding="utf-8")


def read_report(path: str | Path) -> EvalReport:
    """Read a report written by :func:`write_report` (raises ``ValueError`` if malformed)."""
    return EvalReport.model_validate_json(Path(path).read_text(encoding="utf-8"))
