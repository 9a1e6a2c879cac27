"""One execution in progress: the state loop and the single-step states (Pass, Task, Choice,
Wait, Succeed, Fail). Map and Parallel live in `branches`; Retry/Catch in `retry`.

Each state entered is a span `state <name>` (its retries and the task invocations inside it)
and counts as a state transition; a Task's worker thread runs under the state's span."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from coderev.runtime.states import branches, choice, payload, retry
from coderev.runtime.states.definition import StateMachine
from coderev.runtime.states.errors import (
    ExecutionStopped,
    NoChoiceMatchedError,
    RuntimeFailure,
    StateFailure,
    TaskFailedError,
    TaskTimeoutError,
)
from coderev.runtime.states.execution import Execution
from coderev.runtime.states.tasks import Clock, Sleeper, TaskContext, TaskInvoker
from coderev.telemetry import metrics, tracing

Spec = Mapping[str, Any]


_CLOSING_EVENTS = frozenset(
    {"ExecutionSucceeded", "ExecutionFailed", "ExecutionAborted", "ExecutionTimedOut"}
)


@dataclass
class Settings:
    invoker: TaskInvoker
    clock: Clock
    sleeper: Sleeper
    rng: random.Random
    max_workers: int


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class ExecutionRun:
    def __init__(
        self, settings: Settings, execution: Execution, machine: StateMachine, machine_name: str
    ) -> None:
        self.settings = settings
        self.execution = execution
        self.machine = machine
        self.machine_name = machine_name
        self.abort = threading.Event()
        self.abort_reason: tuple[str, str] = ("", "")
        self.closing = threading.RLock()  # held while the execution ends (see Interpreter._close)
        self.closed = False
        self._static_context = {
            "Execution": {
                "Id": execution.execution_arn,
                "Input": execution.input,
                "Name": execution.name,
                "RoleArn": "arn:aws:iam::123456789012:role/coderev-local",
                "StartTime": iso(execution.start_date),
            },
            "StateMachine": {"Id": execution.state_machine_arn, "Name": machine_name},
        }

    def record(self, type_: str, **details: Any) -> int:
        """Append an event; once the execution closed (succeeded, failed, aborted, timed out)
        nothing more is recorded, as in AWS: a Map iteration or Parallel branch still
        finishing on its thread after an abort leaves no event after ExecutionAborted."""
        with self.closing:
            if self.closed:
                return len(self.execution.history)
            self.closed = type_ in _CLOSING_EVENTS
            return self.execution.record(type_, self.settings.clock.now(), details)

    def context(
        self,
        state: str,
        entered: datetime,
        retries: int = 0,
        extra: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The context object (`$$`) for one state entry."""
        ctx: dict[str, Any] = {
            **self._static_context,
            "State": {"Name": state, "EnteredTime": iso(entered), "RetryCount": retries},
        }
        ctx.update(extra or {})
        return ctx

    def _check_running(self, cancel: threading.Event | None) -> None:
        if self.abort.is_set():
            raise ExecutionStopped("ABORTED", *self.abort_reason)
        if cancel is not None and cancel.is_set():
            raise ExecutionStopped("CANCELLED", "", "")
        limit = self.machine.timeout_seconds
        elapsed = (self.settings.clock.now() - self.execution.start_date).total_seconds()
        if limit is not None and elapsed > limit:
            raise ExecutionStopped("TIMED_OUT", "States.Timeout", "")

    def run(self, machine: StateMachine, data: Any, cancel: threading.Event | None = None) -> Any:
        """Run `machine` (the top level, a branch or an iteration) from StartAt to its end."""
        name: str | None = machine.start_at
        while name is not None:
            self._check_running(cancel)
            spec = machine.states[name]
            kind = spec["Type"]
            entered_id = self.record(f"{kind}StateEntered", name=name, input=data)
            metrics.state_transition(self.machine_name, name, kind)
            try:
                with tracing.span(f"state {name}", {"coderev.state": name,
                                                    "coderev.state_type": kind}):  # fmt: skip
                    following, data = self.step(machine, name, spec, data)
            except RuntimeFailure as failure:
                if not failure.located:  # AWS names the state and its entered event once
                    failure.cause = (
                        f"An error occurred while executing the state '{name}' "
                        f"(entered at the event id #{entered_id}). {failure.cause}"
                    )
                    failure.located = True
                raise
            payload.check_size(data, f"output of state '{name}'")
            self.record(f"{kind}StateExited", name=name, output=data)
            name = following
        return data

    def step(
        self, machine: StateMachine, name: str, spec: Spec, raw: Any
    ) -> tuple[str | None, Any]:
        entered = self.settings.clock.now()
        kind = spec["Type"]
        ctx = self.context(name, entered)
        if kind == "Choice":
            return self._choice(name, spec, raw, ctx)
        if kind == "Fail":
            error = payload.select_value(spec["ErrorPath"], raw, ctx) if "ErrorPath" in spec \
                else spec.get("Error", "")  # fmt: skip
            cause = payload.select_value(spec["CausePath"], raw, ctx) if "CausePath" in spec \
                else spec.get("Cause", "")  # fmt: skip
            if not isinstance(error, str) or not isinstance(cause, str):
                raise RuntimeFailure("The ErrorPath and CausePath of a Fail state must be strings")
            raise StateFailure(error, cause)
        if kind in ("Succeed", "Wait"):
            data = payload.select_path(spec, "InputPath", raw, ctx)
            if kind == "Wait":
                self._wait(spec, data, ctx)
            return _next(spec), payload.select_path(spec, "OutputPath", data, ctx)
        if kind == "Pass":
            data = payload.effective_input(spec, raw, ctx)
            result = spec.get("Result", data)
            return _next(spec), payload.finish(spec, raw, result, ctx)
        work: Callable[[int], Any]
        if kind == "Task":
            work = lambda retries: self._task(name, spec, raw, entered, retries)  # noqa: E731
        elif kind == "Parallel":
            work = lambda _: branches.parallel(self, machine, name, spec, raw, ctx)  # noqa: E731
        else:
            work = lambda _: branches.map_state(self, machine, name, spec, raw, ctx)  # noqa: E731
        return self._with_retry_and_catch(name, spec, raw, work)

    def _choice(self, name: str, spec: Spec, raw: Any, ctx: Any) -> tuple[str | None, Any]:
        data = payload.select_path(spec, "InputPath", raw, ctx)
        for rule in spec["Choices"]:
            if choice.matches(rule, data, ctx):
                return rule["Next"], payload.select_path(spec, "OutputPath", data, ctx)
        if "Default" in spec:
            return spec["Default"], payload.select_path(spec, "OutputPath", data, ctx)
        raise NoChoiceMatchedError(f"No Matches! at state {name}")

    def _wait(self, spec: Spec, data: Any, ctx: Any) -> None:
        # Causes are the AWS wording (as LocalStack recorded it) so callers can match them.
        if "Seconds" in spec:
            self.settings.sleeper(float(spec["Seconds"]))
            return
        if "SecondsPath" in spec:
            path = spec["SecondsPath"]
            try:
                seconds = payload.select_value(path, data, ctx)
            except RuntimeFailure:
                raise RuntimeFailure(
                    f"The SecondsPath parameter does not reference an input value: {path}"
                ) from None
            if not isinstance(seconds, int) or isinstance(seconds, bool):
                raise RuntimeFailure(f"The SecondsPath parameter cannot be parsed as a long "
                                     f"value: {path} == {seconds}")  # fmt: skip
            if seconds < 0:
                raise RuntimeFailure(f"The SecondsPath parameter references a negative value: "
                                     f"{path} == {seconds}")  # fmt: skip
            self.settings.sleeper(float(seconds))
            return
        field = "Timestamp" if "Timestamp" in spec else "TimestampPath"
        stamp = spec["Timestamp"] if field == "Timestamp" \
            else payload.select_value(spec["TimestampPath"], data, ctx)  # fmt: skip
        moment = choice.parse_timestamp(stamp)
        if moment is None:
            raise RuntimeFailure(f"The {field} parameter does not reference a valid ISO-8601 "
                                 f"extended offset date-time format string: "
                                 f"{spec[field]} == {stamp}")  # fmt: skip
        remaining = (moment - self.settings.clock.now()).total_seconds()
        self.settings.sleeper(max(0.0, remaining))

    def _with_retry_and_catch(
        self, name: str, spec: Spec, raw: Any, work: Callable[[int], Any]
    ) -> tuple[str | None, Any]:
        budget = retry.RetryBudget(spec.get("Retry", []))
        while True:
            try:
                return _next(spec), work(budget.total)
            except StateFailure as failure:
                wait = budget.next_delay(failure.error, self.settings.rng)
                if wait is not None:
                    self.settings.sleeper(wait)
                    continue
                found = retry.find(spec.get("Catch", []), failure.error)
                if found is None:
                    raise
                catcher = found[1]
                error_output = {"Error": failure.error, "Cause": failure.cause}
                output = payload.apply_result_path(catcher, raw, error_output)
                return catcher["Next"], output

    def _task(self, name: str, spec: Spec, raw: Any, entered: datetime, retries: int) -> Any:
        ctx = self.context(name, entered, retries)
        data = payload.effective_input(spec, raw, ctx)
        resource = spec["Resource"]
        timeout = spec.get("TimeoutSeconds")
        if "TimeoutSecondsPath" in spec:
            timeout = payload.select_value(spec["TimeoutSecondsPath"], raw, ctx)
        self.record("TaskScheduled", resource=resource, parameters=data, timeoutInSeconds=timeout)
        self.record("TaskStarted", resource=resource)
        task_context = TaskContext(self.execution.execution_arn, name, retries, timeout, ctx)
        try:
            result = self._invoke(resource, data, task_context, timeout)
        except TaskTimeoutError as failure:
            self.record("TaskTimedOut", resource=resource, error=failure.error, cause=failure.cause)
            raise
        except StateFailure as failure:
            self.record("TaskFailed", resource=resource, error=failure.error, cause=failure.cause)
            raise
        payload.check_size(result, "task result")
        self.record("TaskSucceeded", resource=resource, output=result)
        return payload.finish(spec, raw, result, ctx)

    def _invoke(self, resource: str, data: Any, context: TaskContext, timeout: int | None) -> Any:
        clock = self.settings.clock
        started = clock.now()
        outcome: dict[str, Any] = {}

        def call() -> None:
            try:
                outcome["result"] = self.settings.invoker.invoke(resource, data, context)
            except StateFailure as failure:
                outcome["failure"] = failure
            except Exception as exc:  # a handler's own exception is a task failure, by type
                outcome["failure"] = TaskFailedError(type(exc).__name__, str(exc))

        if timeout is None:
            call()
        else:
            worker = threading.Thread(target=tracing.carry(call), name=f"task-{context.state_name}",
                                      daemon=True)  # fmt: skip
            worker.start()
            worker.join(timeout)
            if worker.is_alive():  # the thread cannot be killed; its result is discarded
                raise TaskTimeoutError(f"The task did not finish within {timeout} seconds")
        if "failure" in outcome:
            raise outcome["failure"]
        if timeout is not None and (clock.now() - started).total_seconds() > timeout:
            raise TaskTimeoutError(f"The task did not finish within {timeout} seconds")
        return outcome.get("result")


def _next(spec: Spec) -> str | None:
    return None if spec.get("End") is True else spec.get("Next")
