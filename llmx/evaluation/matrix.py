"""An eval matrix: providers × prompt variants from one TOML file, every cell scored alike.

    task = "cooperation"
    variants = ["default", "no_quantity_hints"]   # every provider, unless it names its own
    docs = ["000_485f80de59385c06"]   # optional: score only these gold documents

    [gate]                 # cells that name a baseline fail on a significant F1 drop
    alpha = 0.05
    max_drop = 0.02        # ... or on any F1 drop beyond this

    [bootstrap]            # optional: document-level intervals on every F1
    resamples = 2000
    level = 0.95
    seed = 0

    [providers.rules]
    backend = "rules"

    [providers.smollm2]
    replay = "cassettes/smollm2-135m-instruct-q4_1"   # relative to this file; no network
    mode = "json_schema"
    max_tokens = 256
    baseline = "cassettes/smollm2.baseline.json"   # gate this cell on its last replay
    docs = ["001_a54c9a360dadffd8"]                # a cassette that covers only these
    price_in = 0.0        # USD per million prompt tokens
    price_out = 0.0       # USD per million completion tokens

    [providers.gpt]
    base_url = "https://api.example.com/v1"   # live; key from api_key_env
    model = "some-model"
    variants = ["default"]

    [[cells]]             # optional: exactly these cells instead of providers × variants
    provider = "smollm2"
    variant = "default"

A cell is one :func:`llmx.evaluation.runner.run_eval` with the provider's settings and the
variant's prompt; the matrix adds what a comparison needs beside the scores: tokens, cost,
latency per request (recorded latency on a replay), and failed documents. Computing only;
``render.matrix_table`` draws it.
"""

from __future__ import annotations

import asyncio
import sys
import tomllib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, Field

from llmx.core.documents import Document
from llmx.core.results import DocResult
from llmx.evaluation.report import EvalReport, read_report
from llmx.evaluation.runner import EvalOptions, HarnessError, run_eval
from llmx.evaluation.variants import apply_variant
from llmx.tasks import Task, TaskError, load_task

MATRIX_FORMAT = 1
_SETTINGS = {
    "backend", "base_url", "model", "api_key_env", "mode", "max_tokens", "temperature",
    "chunk_chars", "context_chars", "concurrency", "timeout", "max_retries", "replay", "record",
    "show_quantities", "validation_retries",
}  # fmt: skip
_PROVIDER_ONLY = {"price_in", "price_out", "variants", "docs", "baseline"}


class Provider(BaseModel):
    """One provider/model entry: the settings its cells run with, and its prices."""

    name: str
    settings: dict[str, Any] = Field(default_factory=dict)
    price_in: float = 0.0  # per million prompt tokens
    price_out: float = 0.0  # per million completion tokens
    variants: list[str] | None = None
    docs: list[str] | None = None  # score only these gold documents (a partial cassette)
    baseline: str | None = None  # a report to gate the cell against (see [gate])

    def source(self) -> str:
        """Where its answers come from, in words (no credentials)."""
        from llmx.cassettes import endpoint_host

        s = self.settings
        if s.get("backend") == "rules":
            return "rules (offline)"
        if s.get("replay"):
            return f"replay {Path(s['replay']).name}"
        host = endpoint_host(s.get("base_url")) or "the configured endpoint"
        return f"live {host}" + (f", recording to {s['record']}" if s.get("record") else "")


class Cell(BaseModel):
    provider: str
    variant: str = "default"

    @property
    def name(self) -> str:
        return f"{self.provider}/{self.variant}"


class MatrixConfig(BaseModel):
    path: str
    task: str | None = None
    dataset: str | None = None
    providers: dict[str, Provider]
    cells: list[Cell]
    resamples: int = 2000
    level: float = 0.95
    seed: int = 0
    docs: list[str] | None = None  # score only these gold documents
    alpha: float = 0.05  # [gate]: a cell with a baseline fails on a significant F1 drop...
    max_drop: float | None = None  # ... or on any drop beyond this


class CellReport(BaseModel):
    """One cell: its full eval report (None if the cell could not run) and its costs."""

    name: str
    provider: str
    variant: str
    source: str
    model: str | None = None
    report: EvalReport | None = None
    error: str | None = None  # why the cell could not be scored
    documents: int = 0
    failed: int = 0  # documents whose extraction failed (scored as empty)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    requests: int = 0
    cost: float | None = None  # USD, from the config's prices
    latency_p50: float | None = None  # seconds per chunk request
    latency_p95: float | None = None


class MatrixReport(BaseModel):
    format: int = MATRIX_FORMAT
    config: str
    created_at: str
    task: str
    cells: list[CellReport]

    @property
    def passed(self) -> bool:
        return all(c.error is None and c.report is not None and c.report.passed for c in self.cells)


def load_matrix(path: str | Path) -> MatrixConfig:
    """Read and check a matrix file (``HarnessError`` naming the problem)."""
    file = Path(path)
    try:
        data = tomllib.loads(file.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise HarnessError(f"cannot read matrix {file}: {exc}") from exc
    raw = data.get("providers")
    if not isinstance(raw, dict) or not raw:
        raise HarnessError(f"{file}: no [providers.NAME] table")
    providers: dict[str, Provider] = {}
    for name, table in raw.items():
        if not isinstance(table, dict):
            raise HarnessError(f"{file}: providers.{name} must be a table")
        unknown = set(table) - _SETTINGS - _PROVIDER_ONLY
        if unknown:
            raise HarnessError(
                f"{file}: providers.{name}: unknown key(s) {', '.join(sorted(unknown))} "
                f"(known: {', '.join(sorted(_SETTINGS | _PROVIDER_ONLY))})"
            )
        settings = {k: v for k, v in table.items() if k in _SETTINGS}
        for key in ("replay", "record"):
            if key in settings:  # cassette folders are relative to the matrix file
                settings[key] = str((file.parent / settings[key]).resolve())
        if "backend" not in settings:
            settings["backend"] = "llm"
        try:
            providers[name] = Provider(
                name=name,
                settings=settings,
                price_in=float(table.get("price_in", 0.0)),
                price_out=float(table.get("price_out", 0.0)),
                variants=table.get("variants"),
                docs=table.get("docs"),
                baseline=str((file.parent / table["baseline"]).resolve())
                if "baseline" in table
                else None,
            )
        except (TypeError, ValueError) as exc:
            raise HarnessError(f"{file}: providers.{name}: {exc}") from exc
    default_variants = data.get("variants", ["default"])
    if "cells" in data:
        cells = [Cell(**c) for c in data["cells"]]
    else:
        cells = [
            Cell(provider=name, variant=v)
            for name, p in providers.items()
            for v in (p.variants or default_variants)
        ]
    for c in cells:
        if c.provider not in providers:
            raise HarnessError(f"{file}: cell {c.name}: no provider {c.provider!r}")
    boot = data.get("bootstrap", {})
    dataset = data.get("dataset")
    return MatrixConfig(
        path=str(file),
        task=data.get("task"),
        dataset=str((file.parent / dataset).resolve()) if dataset else None,
        providers=providers,
        cells=cells,
        resamples=int(boot.get("resamples", 2000)),
        level=float(boot.get("level", 0.95)),
        seed=int(boot.get("seed", 0)),
        docs=data.get("docs"),
        alpha=float(data.get("gate", {}).get("alpha", 0.05)),
        max_drop=data.get("gate", {}).get("max_drop"),
    )


class _Collector:
    """Runs a cell's extraction through the pipeline with the variant's task, keeping what
    the report does not: the results and each request's latency."""

    def __init__(self, task: Task) -> None:
        self.task = task
        self.results: list[DocResult] = []
        self.request_seconds: list[float] = []

    def __call__(
        self, documents: list[Document], task: str, backend: str, settings: dict[str, Any]
    ) -> list[DocResult]:
        return asyncio.run(self._run(documents, task, backend, settings))

    async def _run(
        self, documents: list[Document], task: str, backend: str, settings: dict[str, Any]
    ) -> list[DocResult]:
        from llmx.config import load_settings
        from llmx.pipeline import Pipeline

        config = load_settings({**settings, "task": task, "backend": backend})
        pipeline = Pipeline(config, task=self.task)
        results: list[DocResult] = []
        try:
            await pipeline.run(documents, results.append, order="input")
        finally:
            await pipeline.aclose()
        self.request_seconds = list(getattr(pipeline.backend, "request_seconds", []))
        self.results = results
        return self.results


def _percentile(values: list[float], q: float) -> float | None:
    return float(np.percentile(values, q)) if values else None


def run_cell(
    config: MatrixConfig, cell: Cell, *, notice: Callable[[str], None] | None = None
) -> CellReport:
    """Score one cell; a cell that cannot run is reported with its error, not raised."""
    provider = config.providers[cell.provider]
    out = CellReport(
        name=cell.name, provider=cell.provider, variant=cell.variant, source=provider.source(),
        model=provider.settings.get("model"),
    )  # fmt: skip
    (notice or _stderr)(f"llmx eval: cell {cell.name}: {out.source}")
    try:
        task = load_task(config.task)
        changed, overrides = apply_variant(task, cell.variant)
    except TaskError as exc:
        out.error = str(exc)
        return out
    settings = {k: v for k, v in provider.settings.items() if k != "backend"}
    settings.update(overrides)
    collector = _Collector(changed)
    options = EvalOptions(
        dataset=Path(config.dataset) if config.dataset else None,
        task=task.name,
        backend=provider.settings.get("backend", "llm"),
        settings=settings,
        resamples=config.resamples,
        level=config.level,
        seed=config.seed,
        docs=provider.docs or config.docs,
        alpha=config.alpha,
        max_drop=config.max_drop,
    )
    try:
        if provider.baseline:
            options.baseline = read_report(provider.baseline)
        out.report = run_eval(options, collector)
    except (HarnessError, OSError, ValueError) as exc:
        out.error = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    except Exception as exc:  # one cell's crash is that cell's error; the others still run
        out.error = f"{type(exc).__name__}: {exc}"
    results = collector.results
    out.documents = len(results)
    out.failed = sum(r.status != "ok" for r in results)
    out.prompt_tokens = sum(r.meta.usage.prompt_tokens for r in results)
    out.completion_tokens = sum(r.meta.usage.completion_tokens for r in results)
    out.requests = sum(r.meta.usage.requests for r in results)
    models = {r.meta.model for r in results if r.meta.model}
    out.model = out.model or (models.pop() if len(models) == 1 else None)
    if provider.settings.get("backend") != "rules":
        out.cost = (
            out.prompt_tokens * provider.price_in + out.completion_tokens * provider.price_out
        ) / 1e6
        out.latency_p50 = _percentile(collector.request_seconds, 50)
        out.latency_p95 = _percentile(collector.request_seconds, 95)
    return out


def run_matrix(
    config: MatrixConfig, *, notice: Callable[[str], None] | None = None
) -> MatrixReport:
    cells = [run_cell(config, c, notice=notice) for c in config.cells]
    return MatrixReport(
        config=config.path,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        task=load_task(config.task).name,
        cells=cells,
    )


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
