"""The review pipeline as the analysis state machine's steps: one use case per task state.

    Index → Map(AnalyzeShard) → Architecture → Review → Finalize   (Catch → MarkFailed)

Each step takes ports (ObjectStore, AnalysisRepository, EventBus) and small JSON-ready
arguments, and returns a small JSON-ready dict: the contents travel through the object store
as work files (see steps_work), never through the state machine's 256 KB payload. The stages
are the very functions `run_review` runs, so the report is the one the direct engine writes
for the same archive (only `generated_at` and the timings differ).

Every step is idempotent: run twice with the same input, it rewrites the same work files and
returns the same output. Finalize and MarkFailed live in steps_finalize.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from coderev.analyses.errors import AnalysisNotFoundError
from coderev.analyses.model import AnalysisRecord, AnalysisStatus
from coderev.analyses.repository import AnalysisRepository
from coderev.analysis.archive import read_archive_bytes
from coderev.analysis.limits import ArchiveLimits
from coderev.analysis.ruff_findings import run_ruff, write_private_copy
from coderev.architecture.code_graph import build_code_graph
from coderev.architecture.config import load_project_config
from coderev.domain.code import FileAnalysis
from coderev.domain.config import ProjectConfig
from coderev.domain.errors import InputError
from coderev.domain.findings import Finding
from coderev.domain.metrics import SourceFileInfo
from coderev.domain.report import ReviewResult
from coderev.domain.source import SourceFile
from coderev.pipeline.parallel import analyze_files
from coderev.pipeline.progress import SilentProgress
from coderev.pipeline.request import ReviewRequest
from coderev.pipeline.run import (
    architecture_stage,
    combine_findings,
    file_infos,
    review_stage,
    tool_versions,
)
from coderev.pipeline.shards import plan_shards
from coderev.pipeline.steps_baseline import read_baseline
from coderev.pipeline.steps_finalize import finalize, mark_failed
from coderev.pipeline.steps_work import (
    ArchitectureDocument,
    CorruptWorkFileError,
    IndexDocument,
    ResultDocument,
    ShardInput,
    ShardResult,
    WorkKeys,
    read_document,
    write_document,
)
from coderev.ports import GraphStore, ObjectStore
from coderev.review.gate import evaluate_gate, parse_gate

__all__ = [
    "MAX_SHARDS",
    "SHARD_TARGET_BYTES",
    "ArchiveChangedError",
    "analyze_shard",
    "architecture",
    "finalize",
    "index",
    "mark_failed",
    "review",
    "shard_count",
]

MAX_SHARDS = 40  # Map iterations per analysis: Lambda concurrency is shared by every tenant
SHARD_TARGET_BYTES = 1 << 20  # about one Lambda-second of analysis per 100 KB of Python


class ArchiveChangedError(InputError):
    """The recorded upload is gone, or its key now holds other bytes (another etag)."""


def shard_count(python_bytes: int, max_shards: int = MAX_SHARDS) -> int:
    """How many shards for this much Python: one per SHARD_TARGET_BYTES, 1..max_shards."""
    return max(1, min(max_shards, math.ceil(python_bytes / SHARD_TARGET_BYTES)))


def index(
    store: ObjectStore,
    records: AnalysisRepository,
    analysis_id: str,
    *,
    shards: int | None = None,
    budget_seconds: float = 10.0,
    limits: ArchiveLimits | None = None,
) -> dict[str, Any]:
    """Read the recorded upload, plan the shards and write their inputs; the record RUNNING.

    `shards` fixes the shard count (else shard_count of the Python bytes). Raises
    AnalysisNotFoundError, ArchiveChangedError, and the archive's own InputErrors.
    """
    keys = WorkKeys(analysis_id)
    record = _record(records, analysis_id)
    records.update_status(analysis_id, AnalysisStatus.RUNNING)
    start = time.perf_counter()
    data, request = _archive(store, record)
    exclude = request.exclude + (request.config.exclude if request.config else ())
    tree = read_archive_bytes(record.source_name, data, limits, exclude)
    config = request.config or load_project_config({f.path: f.data for f in tree.config_files})
    config_seconds = time.perf_counter() - start
    python = tree.python_files()
    count = shards or shard_count(sum(len(f.data) for f in python))
    planned = plan_shards(python, count)
    for shard in planned:
        bundle = ShardInput(analysis_id, shard.index, shard.files)
        write_document(store, keys.shard_input(shard.index), bundle, compress=True)
    document = IndexDocument(
        analysis_id=analysis_id,
        source=tree.name,
        archive_key=record.object_key,
        archive_etag=record.etag,
        config=config,
        files=tuple(SourceFileInfo(f.path, f.language, len(f.data), None) for f in tree.files),
        skipped=tree.skipped,
        shards=len(planned),
        budget_seconds=budget_seconds,
        config_seconds=round(config_seconds, 4),
        baseline_key=request.baseline_key,
        fail_on=request.fail_on,
    )
    write_document(store, keys.index, document)
    return {
        "analysis_id": analysis_id,
        "source": tree.name,
        "files": len(tree.files),
        "python_files": len(python),
        "skipped": len(tree.skipped),
        "shards": [{"analysis_id": analysis_id, "shard": s.index} for s in planned],
    }


def analyze_shard(
    store: ObjectStore, analysis_id: str, shard: int, *, jobs: int = 1
) -> dict[str, Any]:
    """Analyse one shard's files, with ruff beside it, into `shard-<i>.json`.

    `jobs` worker processes (0: one per CPU) from this process's shared pool, so concurrent
    iterations of the Map in one process share the cores; 1 analyses in this process.
    """
    keys = WorkKeys(analysis_id)
    indexed = read_document(store, keys.index, IndexDocument, analysis_id)
    bundle = read_document(store, keys.shard_input(shard), ShardInput, analysis_id, compressed=True)
    if bundle.shard != shard:
        raise CorruptWorkFileError(keys.shard_input(shard), f"holds shard {bundle.shard}")
    with ThreadPoolExecutor(max_workers=1) as side:
        ruff_future = side.submit(
            _measured, _ruff_shard, bundle.files, indexed.python_paths, indexed.config
        )
        analyses, analysis_seconds = _measured(
            analyze_files,
            bundle.files,
            indexed.config.thresholds,
            indexed.budget_seconds,
            jobs,
            SilentProgress(),
            shared_pool=True,
        )
        ruff, ruff_seconds = ruff_future.result()
    result = ShardResult(
        analysis_id=analysis_id,
        shard=shard,
        analyses=tuple(sorted(analyses, key=lambda a: a.path)),
        ruff=tuple(ruff),
        analysis_seconds=analysis_seconds,
        ruff_seconds=ruff_seconds,
    )
    write_document(store, keys.shard_result(shard), result)
    findings = sum(len(a.findings) for a in analyses) + len(ruff)
    return {
        "analysis_id": analysis_id,
        "shard": shard,
        "files": len(analyses),
        "findings": findings,
    }


def architecture(
    store: ObjectStore, analysis_id: str, *, graph_store: GraphStore | None = None
) -> dict[str, Any]:
    """The architecture of every shard's files into `architecture.json` (and the code graph
    into `graph_store` under the analysis id, when given)."""
    keys = WorkKeys(analysis_id)
    indexed = read_document(store, keys.index, IndexDocument, analysis_id)
    analyses, _ruff, _seconds = _shard_results(store, keys, indexed)
    start = time.perf_counter()
    result, findings = architecture_stage(analyses, indexed.config)
    if graph_store is not None:
        nodes, edges = build_code_graph(analyses, result)
        graph_store.write(analysis_id, nodes, edges)
    seconds = round(time.perf_counter() - start, 4)
    document = ArchitectureDocument(analysis_id, result, tuple(findings), seconds)
    write_document(store, keys.architecture, document)
    return {
        "analysis_id": analysis_id,
        "modules": len(result.modules),
        "cycles": len(result.cycles),
        "violations": len(result.violations),
    }


def review(
    store: ObjectStore,
    analysis_id: str,
    baseline_key: str | None = None,
    *,
    reviewer: str = "offline",
) -> dict[str, Any]:
    """Combine, baseline-mark and sort the findings, review them, judge them by the request's
    gate: `result.json`.

    `baseline_key` is the object key of an earlier report.json (BaselineError when it is
    absent or not a valid report); without one, the upload's request may name one.
    """
    keys = WorkKeys(analysis_id)
    indexed = read_document(store, keys.index, IndexDocument, analysis_id)
    baseline_key = baseline_key or indexed.baseline_key
    analyses, ruff, (analysis_seconds, ruff_seconds) = _shard_results(store, keys, indexed)
    arch = read_document(store, keys.architecture, ArchitectureDocument, analysis_id)
    start = time.perf_counter()
    baseline = read_baseline(store, baseline_key) if baseline_key else None
    reviewed = review_stage(
        indexed.source,
        file_infos(indexed.files, analyses),
        combine_findings(analyses, ruff, arch.findings),
        arch.architecture,
        baseline,
        reviewer,
    )
    timings = {
        "config": indexed.config_seconds,
        "files": analysis_seconds,
        "ruff": ruff_seconds,
        "architecture": arch.seconds,
        "review": round(time.perf_counter() - start, 4),
    }
    result = ReviewResult(
        source=indexed.source,
        files=reviewed.files,
        findings=reviewed.findings,
        skipped=indexed.skipped,
        architecture=arch.architecture,
        review=reviewed.review,
        findings_drift=reviewed.findings_drift,
        architecture_drift=reviewed.architecture_drift,
        tool_versions=tool_versions(),
        timings=timings,
        figures={"shards": float(indexed.shards)},
    )
    spec = parse_gate(indexed.fail_on)
    gate = evaluate_gate(spec, result.findings) if spec.enabled else None
    write_document(store, keys.result, ResultDocument(analysis_id, result, gate))
    return {
        "analysis_id": analysis_id,
        "findings": len(result.findings),
        "comments": len(result.review.comments),
        "baseline": baseline_key,
        "gate": None if gate is None else {"spec": gate.spec, "passed": gate.passed},
    }


# --- internals ------------------------------------------------------------------------------


def _record(records: AnalysisRepository, analysis_id: str) -> AnalysisRecord:
    record = records.get(analysis_id)
    if record is None:
        raise AnalysisNotFoundError(analysis_id)
    return record


def _archive(store: ObjectStore, record: AnalysisRecord) -> tuple[bytes, ReviewRequest]:
    """The recorded upload's bytes and the request it carries, refusing other bytes than the
    ones recorded."""
    info = store.head(record.object_key)
    if info is None:
        raise ArchiveChangedError(f"the upload {record.object_key} no longer exists")
    if info.etag.strip('"') != record.etag.strip('"'):
        raise ArchiveChangedError(
            f"the upload {record.object_key} was replaced after analysis {record.id} recorded "
            f"it (etag {info.etag.strip(chr(34))}, recorded {record.etag.strip(chr(34))})"
        )
    request = ReviewRequest.from_metadata(info.metadata)
    try:
        return store.get(record.object_key), request
    except KeyError:
        raise ArchiveChangedError(f"the upload {record.object_key} no longer exists") from None


def _measured[**P, T](fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> tuple[T, float]:
    start = time.perf_counter()
    value = fn(*args, **kwargs)
    return value, round(time.perf_counter() - start, 4)


def _ruff_shard(
    files: tuple[SourceFile, ...], python_paths: tuple[str, ...], config: ProjectConfig
) -> list[Finding]:
    """ruff on the shard's files, in a private copy that also holds an empty file for every
    other Python file of the tree: ruff tells first-party imports (isort's sections) and
    namespace packages (INP001) by which files exist, so each file is judged as in the whole
    tree, and ruff's findings are the ones a run over the whole tree gives."""
    sources = {f.path: f.data for f in files if f.language == "python"}
    if not sources:
        return []
    tree = dict.fromkeys(_placeholders(python_paths), b"") | sources
    with write_private_copy(tree) as root:
        return run_ruff(root, sorted(sources), config.ruff_select, sources)


def _placeholders(python_paths: tuple[str, ...]) -> list[str]:
    """The other files whose mere existence changes ruff's verdicts: every `__init__.py`
    (INP001, and which folders are packages), and one file under each top-level name at the
    root and under `src/` (ruff's default `src`, where isort looks a first-party module up).
    Writing only these, not every Python file, keeps a shard's copy small."""
    chosen: dict[str, str] = {}
    for path in python_paths:
        parts = path.split("/")
        if parts[-1] == "__init__.py":
            chosen[path] = path
        for depth in (1, 2) if parts[0] == "src" else (1,):
            if len(parts) > depth - 1:
                chosen.setdefault("/".join(parts[:depth]) + "/", path)
    return list(dict.fromkeys(chosen.values()))


def _shard_results(
    store: ObjectStore, keys: WorkKeys, indexed: IndexDocument
) -> tuple[list[FileAnalysis], list[Finding], tuple[float, float]]:
    """Every shard's analyses (path order) and ruff findings (path, line, column order, as
    one ruff run over the tree sorts them), and the summed analysis and ruff seconds."""
    analyses: list[FileAnalysis] = []
    ruff: list[Finding] = []
    seconds = [0.0, 0.0]
    for shard in range(indexed.shards):
        result = read_document(store, keys.shard_result(shard), ShardResult, keys.analysis_id)
        analyses.extend(result.analyses)
        ruff.extend(result.ruff)
        seconds[0] += result.analysis_seconds
        seconds[1] += result.ruff_seconds
    analyses.sort(key=lambda a: a.path)
    ruff.sort(key=lambda f: (f.path, f.line, f.column))  # stable: one file is in one shard
    return analyses, ruff, (round(seconds[0], 4), round(seconds[1], 4))
