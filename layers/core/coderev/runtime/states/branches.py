"""Map and Parallel: run sub-machines over items or branches, in order, in a thread pool
bounded by MaxConcurrency; the first failure (in item order) fails the whole state.
Each Map iteration and Parallel branch is a span under the state's, on whichever thread runs it."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Protocol

from coderev.runtime.states import payload
from coderev.runtime.states.definition import StateMachine
from coderev.runtime.states.errors import ExecutionStopped, RuntimeFailure, StateFailure
from coderev.telemetry import tracing


class _WorkerSettings(Protocol):
    max_workers: int


class ExecutionRun(Protocol):
    """What a Map or Parallel state needs of the running execution (see run.ExecutionRun).

    A Protocol rather than an import of `run`, which imports this module: no import cycle.
    """

    @property
    def settings(self) -> _WorkerSettings: ...

    def record(self, type_: str, **details: Any) -> int: ...

    def run(
        self, machine: StateMachine, data: Any, cancel: threading.Event | None = None
    ) -> Any: ...


Job = Callable[[threading.Event], Any]
Done = Callable[[int, BaseException | None], None]


def _run_all(run: ExecutionRun, jobs: list[Job], limit: int, on_done: Done) -> list[Any]:
    cancel = threading.Event()
    workers = min(len(jobs), limit or len(jobs), run.settings.max_workers)
    if workers <= 1:
        results = []
        for index, job in enumerate(jobs):
            try:
                results.append(job(cancel))
            except BaseException as exc:
                on_done(index, exc)
                raise
            on_done(index, None)
        return results

    def ended(index: int, future: Future[Any]) -> None:  # as each job ends, as AWS records it
        error = future.exception()
        if error is not None:
            cancel.set()
        if not _cancelled(error):
            on_done(index, error)

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="asl") as pool:
        futures: list[Future[Any]] = [pool.submit(tracing.carry(job), cancel) for job in jobs]
        for index, future in enumerate(futures):
            future.add_done_callback(functools.partial(ended, index))
        errors = [future.exception() for future in futures]
    real = [e for e in errors if e is not None and not _cancelled(e)]
    if real:
        raise real[0]
    results = [future.result() for future in futures]
    return results


def _cancelled(error: BaseException | None) -> bool:
    """A job stopped because another failed: it ends unrecorded."""
    return isinstance(error, ExecutionStopped) and error.status == "CANCELLED"


def parallel(
    run: ExecutionRun, machine: StateMachine, name: str, spec: Mapping[str, Any], raw: Any, ctx: Any
) -> Any:
    data = payload.effective_input(spec, raw, ctx)
    children = machine.children[name]
    run.record("ParallelStateStarted")

    def branch(index: int, child: StateMachine) -> Job:
        def go(cancel: threading.Event) -> Any:
            with tracing.span(f"branch {index}", {"coderev.state": name, "coderev.branch": index}):
                return run.run(child, data, cancel)

        return go

    jobs: list[Job] = [branch(index, child) for index, child in enumerate(children)]
    try:
        results = _run_all(run, jobs, 0, lambda i, e: None)
    except StateFailure:
        run.record("ParallelStateFailed")
        raise
    run.record("ParallelStateSucceeded")
    return payload.finish(spec, raw, results, ctx)


def map_state(
    run: ExecutionRun, machine: StateMachine, name: str, spec: Mapping[str, Any], raw: Any, ctx: Any
) -> Any:
    data = payload.select_path(spec, "InputPath", raw, ctx)
    items = payload.select_path({"ItemsPath": spec.get("ItemsPath", "$")}, "ItemsPath", data, ctx)
    if not isinstance(items, list):
        raise RuntimeFailure(f"Map state input must be an array, got {payload.dump(items)} "
                             f"at ItemsPath '{spec.get('ItemsPath', '$')}'")  # fmt: skip
    selector = spec.get("ItemSelector", spec.get("Parameters"))
    limit = spec.get("MaxConcurrency", 0)
    if "MaxConcurrencyPath" in spec:
        limit = payload.select_value(spec["MaxConcurrencyPath"], data, ctx)
    inputs = []
    for index, item in enumerate(items):
        item_ctx = {**ctx, "Map": {"Item": {"Index": index, "Value": item}}}
        inputs.append(item if selector is None else payload.render(selector, data, item_ctx))
    (processor,) = machine.children[name]
    run.record("MapStateStarted", length=len(items))

    def job(index: int, value: Any) -> Callable[[threading.Event], Any]:
        def go(cancel: threading.Event) -> Any:
            run.record("MapIterationStarted", index=index, name=name)
            with tracing.span(f"map iteration {index}", {"coderev.state": name,
                                                          "coderev.map_index": index}):  # fmt: skip
                return run.run(processor, value, cancel)

        return go

    def done(index: int, error: BaseException | None) -> None:
        kind = "MapIterationSucceeded" if error is None else "MapIterationFailed"
        run.record(kind, index=index, name=name)

    try:
        results = _run_all(run, [job(i, v) for i, v in enumerate(inputs)], int(limit), done)
    except StateFailure:
        run.record("MapStateFailed")
        raise
    run.record("MapStateSucceeded")
    return payload.finish(spec, raw, results, ctx)
