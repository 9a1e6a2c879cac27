"""The review pipeline as the analysis state machine's steps: one use case per task state.

    Index → Parallel(Map(AnalyzeShard), Ruff) → Architecture → Review
          → [an AI review: Map(ReviewChunk) → MergeReview] → Finalize   (Catch → MarkFailed)

Each step takes ports (ObjectStore, AnalysisRepository, EventBus) and small JSON-ready
arguments, and returns a small JSON-ready dict: the contents travel through the object store
as work files (see steps_work), never through the state machine's 256 KB payload. The stages
are the very functions `run_review` runs, so the report is the one the direct engine writes
for the same archive (only `generated_at` and the timings differ).

Every step is idempotent: run twice with the same input, it rewrites the same work files and
returns the same output. The review steps live in steps_review, Finalize and MarkFailed in
steps_finalize.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from coderev.adapters.background_graph import in_background
from coderev.analyses.errors import AnalysisNotFoundError
from coderev.analyses.model import AnalysisRecord, AnalysisStatus
from coderev.analyses.repository import AnalysisRepository
from coderev.analysis.archive import read_archive_bytes
from coderev.analysis.collector import collector_paused
from coderev.analysis.limits import ArchiveLimits
from coderev.analysis.ruff_project import RuffRun, lint_python
from coderev.analysis.skipping import exclude_from_tree
from coderev.architecture.config import load_project_config
from coderev.domain.code import FileAnalysis
from coderev.domain.config import Thresholds
from coderev.domain.errors import InputError
from coderev.pipeline.parallel import IN_PROCESS_BELOW, analyze_files, submit_to_shared_pool
from coderev.pipeline.progress import SilentProgress
from coderev.pipeline.request import RequestError, ReviewRequest
from coderev.pipeline.run import (
    architecture_stage,
    combine_findings,
    file_infos,
    listed_files,
)
from coderev.pipeline.shards import plan_shards
from coderev.pipeline.steps_finalize import finalize, mark_failed
from coderev.pipeline.steps_review import merge_review, review, review_chunk
from coderev.pipeline.steps_work import (
    ArchitectureDocument,
    CorruptWorkFileError,
    IndexDocument,
    ReviewInputDocument,
    RuffDocument,
    ShardInput,
    ShardResult,
    WorkKeys,
    hand_over,
    holds_in_memory,
    read_document,
    read_unchanged,
    write_document,
)
from coderev.ports import GraphStore, ObjectInfo, ObjectStore

__all__ = [
    "MAX_SHARDS",
    "SHARD_TARGET_BYTES",
    "ArchiveChangedError",
    "analyze_shard",
    "architecture",
    "finalize",
    "index",
    "mark_failed",
    "merge_review",
    "review",
    "review_chunk",
    "ruff",
    "shard_count",
]

MAX_SHARDS = 40  # Map iterations per analysis: Lambda concurrency is shared by every tenant
SHARD_TARGET_BYTES = 1 << 20  # about one Lambda-second of analysis per 100 KB of Python


class ArchiveChangedError(InputError):
    """The recorded upload is gone, or its key now holds other bytes (another etag)."""


def shard_count(python_bytes: int, max_shards: int = MAX_SHARDS, workers: int = 1) -> int:
    """How many shards for this much Python: one per SHARD_TARGET_BYTES, 1..max_shards.

    With `workers` > 1 (the AnalyzeShard steps share one pool of that many worker processes:
    the local platform) a count of at least `workers` is rounded up to a multiple of it, as
    far as max_shards allows: the shards are of about equal size, so with 17 on 2 workers the
    last ran alone while the other worker idled (0.8 s of Django's review on one core).
    """
    count = max(1, min(max_shards, math.ceil(python_bytes / SHARD_TARGET_BYTES)))
    if workers > 1 and count >= workers and count % workers:
        rounded = count + workers - count % workers
        count = rounded if rounded <= max_shards else count - count % workers
    return count


def index(
    store: ObjectStore,
    records: AnalysisRepository,
    analysis_id: str,
    *,
    shards: int | None = None,
    budget_seconds: float = 10.0,
    limits: ArchiveLimits | None = None,
    workers: int = 1,
) -> dict[str, Any]:
    """Read the recorded upload, plan the shards and write their inputs; the record RUNNING.

    `shards` fixes the shard count (else shard_count of the Python bytes, for `workers`
    processes sharing the shards). Raises
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
    tree = exclude_from_tree(tree, config.exclude)  # the repository's own exclusions
    config_seconds = time.perf_counter() - start
    python = tree.python_files()
    count = shards or shard_count(sum(len(f.data) for f in python), workers=workers)
    planned = plan_shards(python, count)
    # gzip'd on S3 (70% fewer bytes moved); plain on a local disk, where it would cost 0.2 s
    # of Django's Index and save nothing (read_document reads either)
    compress = not getattr(store, "local", False)
    for shard in planned:
        bundle = ShardInput(analysis_id, shard.index, shard.files)
        write_document(store, keys.shard_input(shard.index), bundle, compress=compress)
    document = IndexDocument(
        analysis_id=analysis_id,
        source=tree.name,
        archive_key=record.object_key,
        archive_etag=record.etag,
        config=config,
        files=listed_files(tree, config),
        skipped=tree.skipped,
        shards=len(planned),
        budget_seconds=budget_seconds,
        config_seconds=round(config_seconds, 4),
        baseline_key=request.baseline_key,
        fail_on=request.fail_on,
        allow_unsupported_contracts=request.allow_unsupported_contracts,
        lint_config=request.lint_config,
        toml_files=tree.toml_files,
        reviewer=request.reviewer,
    )
    write_document(store, keys.index, document)
    return {
        "analysis_id": analysis_id,
        "source": tree.name,
        "files": len(tree.files),
        "python_files": len(python),
        "skipped": len(tree.skipped),
        "shards": [
            {"analysis_id": analysis_id, "shard": s.index, "files": len(s.files)} for s in planned
        ],
    }


def analyze_shard(
    store: ObjectStore, analysis_id: str, shard: int, *, jobs: int = 1, files: int | None = None
) -> dict[str, Any]:
    """Analyse one shard's files into `shard-<i>.json` (ruff runs once, in the Ruff step).

    With `jobs` other than 1 (0: one per CPU) and a store another process can open
    (`store.reopener()`), the whole step — read the shard, analyse it, write its result —
    runs in a worker of this process's shared pool, as its own Lambda sandbox would: the
    Map's iterations, running here on threads, then share the cores instead of the GIL, and
    none of the shard's data crosses the process boundary but its result, handed over to this
    process's next step on a local store (see steps_work). A store holding its work in this
    process's memory sends the worker the shard's files and takes its result back, neither
    written. Otherwise the shard's files are analysed on the pool (or here) and the result
    written from this process. `files` (the Map item's count, when Index gave it): a shard
    too small to be worth a worker runs here.
    """
    reopener = getattr(store, "reopener", None)
    if jobs != 1 and (files is None or files >= IN_PROCESS_BELOW):  # worth a worker
        response = None
        if holds_in_memory(store):
            response = _sent_to_a_worker(store, analysis_id, shard, jobs)
        elif callable(reopener) and (reopen := reopener()) is not None:
            response = _read_in_a_worker(reopen, analysis_id, shard, jobs)
        if response is not None:
            return response
    return _analyze_shard_here(store, analysis_id, shard, jobs)[0]


def _worker_outcome[T](future: Future[T] | None) -> T | None:
    """What a task on the shared pool returned; None when there is no pool, or when a worker
    died (a file that kills it): the caller then isolates the files here."""
    if future is None:
        return None
    try:
        return future.result()
    except BrokenProcessPool:
        return None


def _read_in_a_worker(
    reopen: Callable[[], ObjectStore], analysis_id: str, shard: int, jobs: int
) -> dict[str, Any] | None:
    """The step in a worker that reads the shard and writes its result (None: no worker)."""
    outcome = _worker_outcome(
        submit_to_shared_pool(jobs, _analyze_shard_in_worker, reopen, analysis_id, shard)
    )
    if outcome is None:
        return None
    response, written = outcome
    if written is not None:  # for Architecture, in this process (steps_work)
        hand_over(*written)
    return response


def _sent_to_a_worker(
    store: ObjectStore, analysis_id: str, shard: int, jobs: int
) -> dict[str, Any] | None:
    """The shard this process holds analysed in a worker, its result held here (None: no
    worker)."""
    keys = WorkKeys(analysis_id)
    indexed = read_unchanged(store, keys.index, IndexDocument, analysis_id)
    bundle = _shard_input(store, keys, shard)
    result = _worker_outcome(submit_to_shared_pool(
        jobs, _shard_result, bundle, indexed.config.thresholds, indexed.budget_seconds
    ))  # fmt: skip
    if result is None:
        return None
    write_document(store, keys.shard_result(shard), result)
    return _shard_response(result)


def _analyze_shard_in_worker(
    reopen: Callable[[], ObjectStore], analysis_id: str, shard: int
) -> tuple[dict[str, Any], tuple[str, ObjectInfo, ShardResult] | None]:
    store = reopen()
    local = bool(getattr(store, "local", False))
    return _analyze_shard_here(store, analysis_id, shard, jobs=1, handing_over=local)


def _analyze_shard_here(
    store: ObjectStore, analysis_id: str, shard: int, jobs: int, *, handing_over: bool = False
) -> tuple[dict[str, Any], tuple[str, ObjectInfo, ShardResult] | None]:
    """The step; with `handing_over` (a worker whose parent reads the result next) the
    result document is also returned, with where it was written, instead of kept here."""
    keys = WorkKeys(analysis_id)
    indexed = read_unchanged(store, keys.index, IndexDocument, analysis_id)
    bundle = _shard_input(store, keys, shard)
    result = _shard_result(bundle, indexed.config.thresholds, indexed.budget_seconds, jobs)
    key = keys.shard_result(shard)
    info = write_document(store, key, result, keep=not handing_over)
    written = (key, info, result) if handing_over and info is not None else None
    return _shard_response(result), written


def _shard_result(
    bundle: ShardInput, thresholds: Thresholds, budget_seconds: float, jobs: int = 1
) -> ShardResult:
    """A shard's analyses, on the shared pool of `jobs` (or here, for 1)."""
    analyses, analysis_seconds = _measured(
        analyze_files,
        bundle.files,
        thresholds,
        budget_seconds,
        jobs,
        SilentProgress(),
        shared_pool=True,
    )
    return ShardResult(
        analysis_id=bundle.analysis_id,
        shard=bundle.shard,
        analyses=tuple(sorted(analyses, key=lambda a: a.path)),
        analysis_seconds=analysis_seconds,
    )


def _shard_response(result: ShardResult) -> dict[str, Any]:
    return {
        "analysis_id": result.analysis_id,
        "shard": result.shard,
        "files": len(result.analyses),
        "findings": sum(len(a.findings) for a in result.analyses),
    }


def ruff(store: ObjectStore, analysis_id: str) -> dict[str, Any]:
    """ruff over every Python file of the tree in one run, into `ruff.json`.

    The other branch of the Parallel beside the AnalyzeShards Map. One run over the whole
    tree, as the direct engine's: ruff judges first-party imports (isort's sections) and
    namespace packages (INP001) by which other files exist, so splitting it by shard would
    need every shard to see the whole tree's files; and one ruff process is cheaper than
    one per shard.
    """
    keys = WorkKeys(analysis_id)
    indexed = read_unchanged(store, keys.index, IndexDocument, analysis_id)
    sources: dict[str, bytes] = {}
    for shard in range(indexed.shards):
        bundle = _shard_input(store, keys, shard)
        sources.update((f.path, f.data) for f in bundle.files if f.language == "python")
    run, seconds = _measured(_ruff_tree, sources, indexed)
    document = RuffDocument(analysis_id, run.findings, seconds, run.configuration)
    write_document(store, keys.ruff, document)
    return {"analysis_id": analysis_id, "files": len(sources), "findings": len(run.findings)}


def architecture(
    store: ObjectStore,
    analysis_id: str,
    *,
    graph_store: GraphStore | None = None,
    jobs: int = 1,
) -> dict[str, Any]:
    """The architecture of every shard's files into `architecture.json` (and the code graph
    into `graph_store` under the analysis id, when given: built and written in a worker of the
    shared pool of `jobs` when it can be, see coderev.pipeline.graph_writes), and what Review
    needs of the shards and ruff into `review-input.json`: the shards are decoded here only."""
    keys = WorkKeys(analysis_id)
    indexed = read_unchanged(store, keys.index, IndexDocument, analysis_id)
    analyses, ruff, analysis_seconds = _shard_results(store, keys, indexed)
    # the code graph is written beside this step's documents; the step ends once it is
    graph_writes = in_background(graph_store)
    try:
        start = time.perf_counter()
        with collector_paused():  # as the direct engine's stage: a large graph, no cycles
            result, findings = architecture_stage(
                analyses, indexed.config, graph_writes or graph_store, analysis_id, jobs=jobs
            )
        seconds = round(time.perf_counter() - start, 4)
        document = ArchitectureDocument(analysis_id, result, tuple(findings), seconds)
        write_document(store, keys.architecture, document)
        review_input = ReviewInputDocument(
            analysis_id=analysis_id,
            files=file_infos(indexed.files, analyses, indexed.config.roles),
            findings=tuple(combine_findings(analyses, ruff.findings, findings)),
            analysis_seconds=analysis_seconds,
            ruff_seconds=ruff.seconds,
            lint_config=ruff.configuration,
        )
        write_document(store, keys.review_input, review_input)
    finally:
        if graph_writes is not None:
            graph_writes.close()
    return {
        "analysis_id": analysis_id,
        "modules": len(result.modules),
        "cycles": len(result.cycles),
        "violations": len(result.violations),
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
    if request.config_key is not None:
        try:
            request = request.with_config_loaded(store.get(request.config_key))
        except KeyError:
            raise RequestError(f"the configuration {request.config_key} does not exist") from None
    try:
        return store.get(record.object_key), request
    except KeyError:
        raise ArchiveChangedError(f"the upload {record.object_key} no longer exists") from None


def _measured[**P, T](fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> tuple[T, float]:
    start = time.perf_counter()
    value = fn(*args, **kwargs)
    return value, round(time.perf_counter() - start, 4)


def _ruff_tree(sources: dict[str, bytes], indexed: IndexDocument) -> RuffRun:
    """ruff on the tree's Python files, in a private copy, with the configuration the request
    asked for (as the direct engine's ruff_stage does for an archive)."""
    tomls = {f.path: f.data for f in indexed.toml_files}
    return lint_python(sources, tomls, indexed.lint_config, indexed.config.ruff_select)


def _shard_input(store: ObjectStore, keys: WorkKeys, shard: int) -> ShardInput:
    bundle = read_document(
        store, keys.shard_input(shard), ShardInput, keys.analysis_id, compressed=True
    )
    if bundle.shard != shard:
        raise CorruptWorkFileError(keys.shard_input(shard), f"holds shard {bundle.shard}")
    return bundle


def _shard_results(
    store: ObjectStore, keys: WorkKeys, indexed: IndexDocument
) -> tuple[list[FileAnalysis], RuffDocument, float]:
    """Every shard's analyses (path order), ruff's document, and the summed analysis seconds."""
    analyses: list[FileAnalysis] = []
    seconds = 0.0
    for shard in range(indexed.shards):
        result = read_document(store, keys.shard_result(shard), ShardResult, keys.analysis_id)
        analyses.extend(result.analyses)
        seconds += result.analysis_seconds
    analyses.sort(key=lambda a: a.path)
    ruff = read_document(store, keys.ruff, RuffDocument, keys.analysis_id)
    return analyses, ruff, round(seconds, 4)
