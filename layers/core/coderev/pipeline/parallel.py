"""Analysing many files on every core, without letting one bad file take the run down.

Shards go to a process pool (`forkserver`: the parent may run a progress thread, and fork with
threads is unsafe). If a worker dies (a file that kills the interpreter, the OOM killer), the
files of the unfinished shards are re-run one process per file, and a file that kills its
process again becomes a finding instead of a crash.

Workers die with the process that made the pool (`_die_with`): their parent is the
forkserver, and each holds the pipes that would tell the forkserver and the resource tracker
that their client is gone, so after a `kill -9` of `coderev serve` all of them lingered. A
worker watches the pool owner's pid (a pidfd on Linux: no polling, no pid reuse) and exits
when it ends; the forkserver and the resource tracker then see their pipes close and exit.
A step stopped at its timeout (see `coderev.runtime.invoker.threads`) cancels its queued
shards, so the shared pool does not go on with the work of an invocation that has ended.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import select
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from typing import Any

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
    *,
    shared_pool: bool = False,
) -> list[FileAnalysis]:
    """FileAnalysis for every Python file, in path order.

    `figures`, when given, receives `workers` and `worker_peak_rss_mb`. `shared_pool` keeps
    one pool per process for every call (see `_shared`), for a process that serves many
    invocations, some at once: a warm Lambda sandbox, or the local platform running a Map's
    AnalyzeShard iterations on threads, which share the cores through it instead of the GIL.
    """
    figures = figures if figures is not None else {}
    python = [f for f in files if f.language == "python"]
    workers = worker_count(jobs)
    pool = None
    shared_pool = shared_pool or workers in _pools  # warmed up for this run: see warm_up
    if workers > 1 and len(python) >= IN_PROCESS_BELOW:
        pool = _shared(workers) if shared_pool else _new_pool(workers)
    results: list[FileAnalysis] | None = None
    if pool is not None:
        shards = plan_shards(python, workers * SHARDS_PER_WORKER)
        try:
            results = _run_pool(pool, shards, thresholds, budget_seconds, progress, figures)
        except _PoolUnavailableError:
            results = None  # no worker could start here: analyse in this process
        finally:
            if not shared_pool:
                pool.shutdown(cancel_futures=True)
    if results is None:
        results = []
        for f in python:
            results.extend(analyze_shard([f], thresholds, budget_seconds))
            progress.advance(1)
        workers = 1
    figures["workers"] = float(workers)
    return sorted(results, key=lambda a: a.path)


class _PoolUnavailableError(Exception):
    """The pool's first worker could not start (e.g. the forkserver's socket path under a long
    TMPDIR exceeds AF_UNIX's limit): this process analyses in-process from now on."""


def _no_more_pools() -> None:
    global _no_pools
    _no_pools = True


_pools: dict[int, ProcessPoolExecutor] = {}
_pools_lock = threading.Lock()
_no_pools = False  # set when this process cannot make one (AWS Lambda has no /dev/shm)
_preload: list[str] = []  # modules the forkserver imports beside coderev.pipeline.shards


def _new_pool(workers: int) -> ProcessPoolExecutor | None:
    """A pool, or None where processes cannot share semaphores (then files run in-process)."""
    global _no_pools
    if _no_pools:
        return None
    try:
        return ProcessPoolExecutor(
            max_workers=workers,
            mp_context=_context(),
            initializer=_die_with,
            initargs=(os.getpid(),),
        )
    except OSError:  # e.g. "[Errno 38] Function not implemented" for SemLock on Lambda
        _no_pools = True
        return None


def _shared(workers: int) -> ProcessPoolExecutor | None:
    """This process's pool of `workers` workers, made on first use and kept; a broken one
    (a worker died) is replaced on the next call."""
    with _pools_lock:
        pool = _pools.get(workers)
        if pool is not None and getattr(pool, "_broken", False):
            pool.shutdown(wait=False)
            pool = None
        if pool is None:
            pool = _new_pool(workers)
            if pool is not None:
                _pools[workers] = pool
        return pool


def submit_to_shared_pool[**P, T](
    jobs: int, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs
) -> Future[T] | None:
    """`fn(*args)` on this process's shared pool of `jobs` workers (0: one per CPU); None when
    there is no pool (one job, or a sandbox without process support): run it here then."""
    workers = worker_count(jobs)
    pool = _shared(workers) if workers > 1 else None
    if pool is None:
        return None
    try:
        return pool.submit(fn, *args, **kwargs)
    except BrokenProcessPool:  # broken by another call: the next call gets a new pool
        return None
    except OSError:  # no worker can start here (see _PoolUnavailableError): run in-process
        _no_more_pools()
        return None


def running_pool(jobs: int) -> Callable[..., Future[Any] | None] | None:
    """`submit(fn, *args)` on this process's shared pool of `jobs` workers (0: one per CPU) if
    it has that pool running (warm_up started it, or an earlier call), else None: none is
    started here, for work that takes less than starting a pool would (a review's reports, see
    coderev.reports.writer). The submit returns None if the pool broke since: run it here."""
    with _pools_lock:
        pool = _pools.get(worker_count(jobs))
    if pool is None or getattr(pool, "_broken", False):
        return None

    def submit[**P, T](fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> Future[T] | None:
        try:
            return pool.submit(fn, *args, **kwargs)
        except (BrokenProcessPool, OSError, RuntimeError):  # broken (or shut down) meanwhile
            return None

    return submit


def warm_up(jobs: int, preload: Sequence[str] = ()) -> None:
    """Start this process's shared pool of `jobs` workers (0: one per CPU) now, in the
    background, for a run about to analyse many files: the forkserver imports the analysis
    (and the `preload` modules the workers will run, e.g. the platform's steps) and each
    worker starts while this process is still reading the archive, or starting the platform,
    on one core, instead of after it. Later analyze_files calls (and the platform's
    AnalyzeShard steps) use that pool; it is shut down at exit. Nothing for one job.

    The workers are started from a thread: starting one waits until the forkserver has
    imported what it preloads and forked it (about 0.5 s with the platform's steps, 0.6 s
    more with the report renderer's coderev.reports.html_warm), which this process would
    otherwise spend waiting instead of reading the archive."""
    _preload.extend(m for m in preload if m not in _preload)
    workers = worker_count(jobs)
    pool = _shared(workers) if workers > 1 else None
    if pool is None:
        return
    threading.Thread(target=_start_workers, args=(pool, workers), name="pool-warm-up",
                     daemon=True).start()  # fmt: skip


def _start_workers(pool: ProcessPoolExecutor, workers: int) -> None:
    try:
        for _ in range(workers):  # one task per worker: a pool starts its workers on demand
            pool.submit(_ready)
    except (BrokenProcessPool, OSError, RuntimeError):  # no worker can start here (files run
        pass  # in-process), or the pool was shut down meanwhile


def _ready() -> None:
    """A worker's first task, which only makes it start (see warm_up)."""


@atexit.register
def _close_pools() -> None:
    """Shut the shared pools down, then the forkserver: left alone, it (and the workers it
    forked) would linger for a while after the command returned, reparented to init."""
    with _pools_lock:
        for pool in _pools.values():
            pool.shutdown(wait=True, cancel_futures=True)
        _pools.clear()
    stop_forkserver()


def stop_forkserver() -> None:
    """Stop this process's forkserver and resource tracker, if it started them, and reap them.

    The standard library leaves both to notice the interpreter's exit (their pipe closing), so
    they outlive the command for a while, and end as zombies where init does not reap. Their
    `_stop` methods (what CPython's own tests use) close that pipe and wait for the process.
    """
    from multiprocessing import forkserver, resource_tracker

    for server in (getattr(forkserver, "_forkserver", None),
                   getattr(resource_tracker, "_resource_tracker", None)):  # fmt: skip
        stop = getattr(server, "_stop", None)
        if callable(stop):
            stop()


def _die_with(owner: int) -> None:
    """A worker's initializer: exit as soon as process `owner` (the pool's maker) has ended."""
    threading.Thread(target=_exit_when_gone, args=(owner,), name="owner-watch",
                     daemon=True).start()  # fmt: skip


def _exit_when_gone(owner: int) -> None:
    try:
        handle = os.pidfd_open(owner)
    except (AttributeError, OSError):  # not Linux 5.3+: look every second instead
        while _alive(owner):
            time.sleep(1.0)
    else:
        select.select([handle], [], [])  # readable once the process has exited
    os._exit(1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _context() -> multiprocessing.context.BaseContext:
    ctx = multiprocessing.get_context("forkserver")
    # the forkserver imports what the workers run once; each worker is forked with it
    ctx.set_forkserver_preload(["coderev.pipeline.shards", *_preload])
    return ctx


def _run_pool(
    pool: ProcessPoolExecutor,
    shards: list[Shard],
    thresholds: Thresholds,
    budget_seconds: float,
    progress: ProgressSink,
    figures: dict[str, float],
) -> list[FileAnalysis]:
    results: list[FileAnalysis] = []
    peak = 0.0
    unfinished: list[Shard] = []
    futures: dict[Future[tuple[list[FileAnalysis], float]], Shard] = {}
    for shard in shards:
        try:
            future = pool.submit(_analyze_shard_measured, shard.files, thresholds, budget_seconds)
        except BrokenProcessPool:  # a shared pool another call broke: isolate what is left
            unfinished.append(shard)
            continue
        except OSError as exc:
            if futures:
                raise
            _no_more_pools()
            raise _PoolUnavailableError(str(exc)) from exc
        futures[future] = shard
    try:
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
    except BaseException:  # stopped (a timeout, Ctrl-C): the queued shards are nobody's now
        for future in futures:
            future.cancel()
        raise
    figures["worker_peak_rss_mb"] = round(peak, 1)
    for shard in unfinished:
        for f in shard.files:
            results.append(_isolated(f, thresholds, budget_seconds))
            progress.advance(1)
    return results


def _isolated(f: SourceFile, thresholds: Thresholds, budget_seconds: float) -> FileAnalysis:
    """Analyse one file in a process of its own; a crash becomes a finding on that file."""
    try:
        with ProcessPoolExecutor(
            max_workers=1, mp_context=_context(), initializer=_die_with, initargs=(os.getpid(),)
        ) as pool:
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
