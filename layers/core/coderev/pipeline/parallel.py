"""Analysing many files on every core, without letting one bad file take the run down.

Shards go to a process pool (`forkserver`: the parent may run a progress thread, and fork with
threads is unsafe). If a worker dies (a file that kills the interpreter, the OOM killer), the
files of the unfinished shards are re-run one process per file, and a file that kills its
process again becomes a finding instead of a crash.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool

from coderev.domain.code import FileAnalysis
from coderev.domain.config import Thresholds
from coderev.domain.findings import Category, Finding, Severity, fingerprint
from coderev.domain.source import SourceFile
from coderev.pipeline.progress import ProgressSink
from coderev.pipeline.shards import Shard, analyze_shard, plan_shards

# Below this many files a pool costs more than it saves.
IN_PROCESS_BELOW = 64
SHARDS_PER_WORKER = 8


def _analyze_shard_measured(
    files: Sequence[SourceFile], thresholds: Thresholds, budget_seconds: float
) -> tuple[list[FileAnalysis], float]:
    """analyze_shard, plus this worker's peak memory so far (MB) for the run's figures."""
    import resource

    analyses = analyze_shard(files, thresholds, budget_seconds)
    return analyses, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker_count(jobs: int) -> int:
    if jobs > 0:
        return jobs
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def analyze_files(
    files: Sequence[SourceFile],
    thresholds: Thresholds,
    budget_seconds: float,
    jobs: int,
    progress: ProgressSink,
    figures: dict[str, float] | None = None,
) -> list[FileAnalysis]:
    """FileAnalysis for every Python file, in path order.

    `figures`, when given, receives `workers` and `worker_peak_rss_mb`.
    """
    figures = figures if figures is not None else {}
    python = [f for f in files if f.language == "python"]
    workers = worker_count(jobs)
    if workers == 1 or len(python) < IN_PROCESS_BELOW:
        results: list[FileAnalysis] = []
        for f in python:
            results.extend(analyze_shard([f], thresholds, budget_seconds))
            progress.advance(1)
    else:
        shards = plan_shards(python, workers * SHARDS_PER_WORKER)
        results = _run_pool(shards, thresholds, budget_seconds, workers, progress, figures)
    figures["workers"] = float(workers if len(python) >= IN_PROCESS_BELOW else 1)
    return sorted(results, key=lambda a: a.path)


def _context() -> multiprocessing.context.BaseContext:
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["coderev.pipeline.shards"])
    return ctx


def _run_pool(
    shards: list[Shard],
    thresholds: Thresholds,
    budget_seconds: float,
    workers: int,
    progress: ProgressSink,
    figures: dict[str, float],
) -> list[FileAnalysis]:
    results: list[FileAnalysis] = []
    peak = 0.0
    unfinished: list[Shard] = []
    with ProcessPoolExecutor(max_workers=workers, mp_context=_context()) as pool:
        futures: dict[Future[tuple[list[FileAnalysis], float]], Shard] = {
            pool.submit(_analyze_shard_measured, s.files, thresholds, budget_seconds): s
            for s in shards
        }
        for future in as_completed(futures):
            shard = futures[future]
            try:
                done, rss = future.result()
            except BrokenProcessPool:
                unfinished.append(shard)
                continue
            peak = max(peak, rss)
            results.extend(done)
            progress.advance(len(done))
    figures["worker_peak_rss_mb"] = round(peak, 1)
    for shard in unfinished:
        for f in shard.files:
            results.append(_isolated(f, thresholds, budget_seconds))
            progress.advance(1)
    return results


def _isolated(f: SourceFile, thresholds: Thresholds, budget_seconds: float) -> FileAnalysis:
    """Analyse one file in a process of its own; a crash becomes a finding on that file."""
    try:
        with ProcessPoolExecutor(max_workers=1, mp_context=_context()) as pool:
            return pool.submit(analyze_shard, [f], thresholds, budget_seconds).result()[0]
    except BrokenProcessPool:
        message = "analysing this file killed the analysis process (crash or out of memory)"
        finding = Finding(
            rule_id="CR-PARSE-004",
            severity=Severity.HIGH,
            category=Category.BUG_RISK,
            path=f.path,
            line=1,
            message=message,
            fix_hint="Check the file for generated or pathological content; exclude it with "
            "[tool.coderev] exclude if it is not hand-written code.",
            fingerprint=fingerprint("CR-PARSE-004", f.path, "process-crash"),
        )
        return FileAnalysis(
            path=f.path,
            language=f.language,
            size=len(f.data),
            metrics=None,
            imports=(),
            classes=(),
            findings=(finding,),
            error=message,
        )
