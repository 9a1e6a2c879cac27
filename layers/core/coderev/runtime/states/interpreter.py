"""The Interpreter: starts executions of validated state machines and answers queries
about them (describe, history, list) from an ExecutionStore.

Telemetry: an execution is a span `execution <machine>` whose parent is the trace context in
its input's `trace` field (`coderev.telemetry.tracing.TRACE_KEY`: what ingest puts there), so
an analysis' states join the trace of the upload that started it; every state is a span
beneath it (see `run`). Its end counts in the execution metrics by status and duration."""

from __future__ import annotations

import random
import threading
import uuid
from typing import Any

from coderev.runtime.states.definition import StateMachine
from coderev.runtime.states.errors import ExecutionStopped, StateFailure
from coderev.runtime.states.execution import Execution, ExecutionStatus, HistoryEvent
from coderev.runtime.states.run import ExecutionRun, Settings
from coderev.runtime.states.store import ExecutionStore, InMemoryExecutionStore
from coderev.runtime.states.tasks import (
    Clock,
    NoTaskInvoker,
    Sleeper,
    SystemClock,
    TaskInvoker,
    system_sleep,
)
from coderev.telemetry import metrics, tracing

REGION, ACCOUNT = "us-east-1", "123456789012"


class _NoInput:
    """Marks an omitted input (StartExecution without input: `{}`), unlike JSON null."""

    def __repr__(self) -> str:
        return "NO_INPUT"


NO_INPUT: Any = _NoInput()


class Interpreter:
    """Runs Amazon States Language machines in-process.

    `max_workers` bounds the threads a Map or Parallel state uses (MaxConcurrency bounds it
    further); 1 runs iterations and branches sequentially, in order.
    """

    def __init__(
        self,
        task_invoker: TaskInvoker | None = None,
        *,
        clock: Clock | None = None,
        sleeper: Sleeper | None = None,
        store: ExecutionStore | None = None,
        max_workers: int = 4,
        seed: int | None = None,
    ) -> None:
        self.settings = Settings(
            invoker=task_invoker or NoTaskInvoker(),
            clock=clock or SystemClock(),
            sleeper=sleeper or system_sleep,
            rng=random.Random(seed),  # noqa: S311 - jitter, not cryptography
            max_workers=max(1, max_workers),
        )
        self.store: ExecutionStore = store or InMemoryExecutionStore()
        self._runs: dict[str, ExecutionRun] = {}

    def _prepare(
        self, machine: StateMachine, input: Any, name: str | None, machine_name: str
    ) -> ExecutionRun:
        name = name or str(uuid.uuid4())
        machine_arn = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{machine_name}"
        execution = Execution(
            execution_arn=f"arn:aws:states:{REGION}:{ACCOUNT}:execution:{machine_name}:{name}",
            state_machine_arn=machine_arn,
            name=name,
            input={} if input is NO_INPUT else input,
            start_date=self.settings.clock.now(),
        )
        self.store.add(execution)
        run = ExecutionRun(self.settings, execution, machine, machine_name)
        self._runs[execution.execution_arn] = run
        return run

    def start(
        self,
        machine: StateMachine,
        input: Any = NO_INPUT,
        name: str | None = None,
        machine_name: str = "StateMachine",
    ) -> Execution:
        """Run an execution to its end and return it (status is never RUNNING)."""
        run = self._prepare(machine, input, name, machine_name)
        self._execute(run)
        return run.execution

    def start_background(
        self,
        machine: StateMachine,
        input: Any = NO_INPUT,
        name: str | None = None,
        machine_name: str = "StateMachine",
    ) -> Execution:
        """Start an execution on a thread and return it while RUNNING (see `stop`, `wait`)."""
        run = self._prepare(machine, input, name, machine_name)
        thread = threading.Thread(target=self._execute, args=(run,), daemon=True,
                                  name=f"execution-{run.execution.name}")  # fmt: skip
        thread.start()
        return run.execution

    def stop(self, execution_arn: str, error: str = "", cause: str = "") -> None:
        """Abort a running execution (StopExecution): it is ABORTED at once, as in AWS; states
        still running on their threads finish unobserved (their results and events are
        dropped) and no further state starts."""
        run = self._runs[execution_arn]
        run.abort_reason = (error, cause)
        run.abort.set()
        self._close(run, ExecutionStatus.ABORTED, error, cause)

    def _execute(self, run: ExecutionRun) -> None:
        execution = run.execution
        attributes = {"coderev.execution_arn": execution.execution_arn,
                      "coderev.state_machine": run.machine_name}
        parent = tracing.event_carrier(execution.input)
        with tracing.span(f"execution {run.machine_name}", attributes, parent=parent) as span:
            run.record("ExecutionStarted", input=execution.input)
            try:
                output = run.run(run.machine, execution.input)
            except StateFailure as failure:
                self._close(run, ExecutionStatus.FAILED, failure.error, failure.cause)
            except ExecutionStopped as stopped:
                status = ExecutionStatus(stopped.status)
                self._close(run, status, stopped.error, stopped.cause)
            else:
                self._close(run, ExecutionStatus.SUCCEEDED, None, None, output=output)
            finally:
                self._runs.pop(execution.execution_arn, None)
            if span is not None:
                span.set_attribute("coderev.status", execution.status.value)
        if execution.stop_date is not None:
            seconds = (execution.stop_date - execution.start_date).total_seconds()
            metrics.execution_ended(run.machine_name, execution.status.value, seconds)

    def _close(self, run: ExecutionRun, status: ExecutionStatus, error: str | None,
               cause: str | None, output: Any = None) -> None:  # fmt: skip
        """End the execution once: the first of the run's end and a StopExecution wins."""
        with run.closing:
            if run.closed:
                return
            execution = run.execution
            if status is ExecutionStatus.SUCCEEDED:
                execution.output = output
            self._finish(execution, status, error or None, cause or None)
            if status is ExecutionStatus.SUCCEEDED:
                run.record("ExecutionSucceeded", output=output)
            elif status is ExecutionStatus.FAILED:
                run.record("ExecutionFailed", error=error, cause=cause)
            else:
                kind = "ExecutionTimedOut" if status is ExecutionStatus.TIMED_OUT \
                    else "ExecutionAborted"  # fmt: skip
                run.record(kind, error=error or "", cause=cause or "")

    def _finish(
        self, execution: Execution, status: ExecutionStatus, error: str | None, cause: str | None
    ) -> None:
        execution.error, execution.cause = error, cause
        execution.stop_date = self.settings.clock.now()
        execution.status = status
        self.store.save(execution)

    def describe(self, execution_arn: str) -> Execution:
        return self.store.get(execution_arn)

    def history(self, execution_arn: str, type_: str | None = None) -> list[HistoryEvent]:
        return self.store.get(execution_arn).events(type_)

    def list_executions(
        self, state_machine_arn: str | None = None, status: ExecutionStatus | None = None
    ) -> list[Execution]:
        return self.store.list(state_machine_arn, status)
