"""Retry timing (with a fake sleeper), retrier selection, Catch, and task timeouts."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from coderev.runtime.states import (
    ExecutionStatus,
    Interpreter,
    StateMachine,
    TaskContext,
    TaskFailedError,
)
from coderev.runtime.states.retry import RetryBudget, delay, error_matches


class FakeClock:
    """A clock that only moves when something sleeps (or a task says it took time)."""

    def __init__(self) -> None:
        self.moment = datetime(2026, 1, 1, tzinfo=UTC)
        self.sleeps: list[float] = []

    def now(self) -> datetime:
        return self.moment

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.moment += timedelta(seconds=seconds)


class Scripted:
    """Fails with the scripted errors in order, then returns the payload."""

    def __init__(self, *errors: str, clock: FakeClock | None = None, takes: float = 0) -> None:
        self.errors = list(errors)
        self.calls: list[TaskContext] = []
        self.clock, self.takes = clock, takes

    def invoke(self, resource: str, payload: Any, context: TaskContext) -> Any:
        self.calls.append(context)
        if self.clock is not None:
            self.clock.moment += timedelta(seconds=self.takes)
        if self.errors:
            error = self.errors.pop(0)
            raise TaskFailedError(error, f"{error} happened")
        return {"done": payload}


def task_machine(**task: Any) -> StateMachine:
    states: dict[str, Any] = {
        "T": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:f", "End": True,
              **task},
        "Fallback": {"Type": "Pass", "End": True},
    }  # fmt: skip
    if "Catch" not in task:
        del states["Fallback"]
    return StateMachine.from_definition({"StartAt": "T", "States": states})


def run(machine: StateMachine, invoker: Any, clock: FakeClock) -> Any:
    return Interpreter(invoker, clock=clock, sleeper=clock.sleep).start(machine, {"in": 1})


def test_backoff_intervals_are_1_2_4_and_capped_by_max_delay() -> None:
    clock = FakeClock()
    invoker = Scripted("E", "E", "E", "E", "E")
    machine = task_machine(Retry=[{"ErrorEquals": ["E"], "IntervalSeconds": 1, "BackoffRate": 2,
                                   "MaxAttempts": 5, "MaxDelaySeconds": 5}])  # fmt: skip
    execution = run(machine, invoker, clock)
    assert execution.status == ExecutionStatus.SUCCEEDED
    assert clock.sleeps == [1, 2, 4, 5, 5]
    assert [c.retry_count for c in invoker.calls] == [0, 1, 2, 3, 4, 5]


def test_defaults_are_three_attempts_one_second_backoff_two() -> None:
    clock = FakeClock()
    execution = run(task_machine(Retry=[{"ErrorEquals": ["States.ALL"]}]),
                    Scripted("E", "E", "E", "E"), clock)  # fmt: skip
    assert execution.status == ExecutionStatus.FAILED
    assert execution.error == "E"
    assert clock.sleeps == [1, 2, 4]


def test_max_attempts_zero_never_retries() -> None:
    clock, invoker = FakeClock(), Scripted("E")
    execution = run(task_machine(Retry=[{"ErrorEquals": ["E"], "MaxAttempts": 0}]), invoker, clock)
    assert execution.status == ExecutionStatus.FAILED and len(invoker.calls) == 1
    assert clock.sleeps == []


def test_first_matching_retrier_wins_and_counts_separately() -> None:
    clock = FakeClock()
    retry = [{"ErrorEquals": ["A"], "IntervalSeconds": 10, "MaxAttempts": 1},
             {"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1, "MaxAttempts": 2}]  # fmt: skip
    execution = run(task_machine(Retry=retry), Scripted("A", "B", "A"), clock)
    # A retried by the first retrier (10 s); B by the second (1 s); A again: first exhausted.
    assert execution.status == ExecutionStatus.FAILED and execution.error == "A"
    assert clock.sleeps == [10, 1]


def test_full_jitter_stays_within_the_delay() -> None:
    rng = random.Random(1)
    retrier = {"IntervalSeconds": 4, "BackoffRate": 1, "JitterStrategy": "FULL"}
    samples = [delay(retrier, 0, rng) for _ in range(100)]
    assert all(0 <= s <= 4 for s in samples) and len(set(samples)) > 50


def test_error_matching_rules() -> None:
    assert error_matches(["States.ALL"], "Anything")
    assert not error_matches(["States.ALL"], "States.Runtime")
    assert error_matches(["States.TaskFailed"], "Lambda.Unknown")
    assert not error_matches(["States.TaskFailed"], "States.Timeout")
    assert error_matches(["States.Timeout"], "States.Timeout")
    assert not error_matches(["A"], "B")
    budget = RetryBudget([{"ErrorEquals": ["A"], "MaxAttempts": 1}])
    assert budget.next_delay("B", random.Random()) is None


def test_catch_puts_error_and_cause_at_result_path_and_goes_next() -> None:
    clock = FakeClock()
    machine = task_machine(Catch=[{"ErrorEquals": ["X"], "Next": "Fallback"},
                                  {"ErrorEquals": ["States.ALL"], "ResultPath": "$.err",
                                   "Next": "Fallback"}])  # fmt: skip
    execution = run(machine, Scripted("Boom"), clock)
    assert execution.status == ExecutionStatus.SUCCEEDED
    assert execution.output == {"in": 1, "err": {"Error": "Boom", "Cause": "Boom happened"}}


def test_catch_runs_after_retries_are_exhausted() -> None:
    clock, invoker = FakeClock(), Scripted("E", "E", "E")
    machine = task_machine(
        Retry=[{"ErrorEquals": ["E"], "MaxAttempts": 2}],
        Catch=[{"ErrorEquals": ["E"], "ResultPath": None, "Next": "Fallback"}],
    )
    execution = run(machine, invoker, clock)
    assert execution.output == {"in": 1} and len(invoker.calls) == 3


def test_python_exception_from_a_task_is_a_task_failure_named_by_type() -> None:
    class Raises:
        def invoke(self, resource: str, payload: Any, context: TaskContext) -> Any:
            raise KeyError("missing")

    machine = task_machine(Catch=[{"ErrorEquals": ["States.TaskFailed"], "Next": "Fallback"}])
    execution = Interpreter(Raises()).start(machine, {})
    assert execution.output == {"Error": "KeyError", "Cause": "'missing'"}


def test_task_longer_than_timeout_seconds_is_states_timeout() -> None:
    clock = FakeClock()
    machine = task_machine(TimeoutSeconds=5)
    execution = run(machine, Scripted(clock=clock, takes=6), clock)
    assert execution.status == ExecutionStatus.FAILED
    assert execution.error == "States.Timeout"
    types = [e.type for e in execution.history]
    assert types[-2:] == ["TaskTimedOut", "ExecutionFailed"]
    assert "TaskSucceeded" not in types


def test_timeout_is_retried_only_by_a_matching_retrier_not_task_failed() -> None:
    clock = FakeClock()
    machine = task_machine(
        TimeoutSeconds=5, Retry=[{"ErrorEquals": ["States.TaskFailed"], "MaxAttempts": 3}]
    )
    invoker = Scripted(clock=clock, takes=9)
    assert run(machine, invoker, clock).error == "States.Timeout"
    assert len(invoker.calls) == 1
    machine = task_machine(
        TimeoutSeconds=5, Retry=[{"ErrorEquals": ["States.Timeout"], "MaxAttempts": 2}]
    )
    invoker = Scripted(clock=clock, takes=9)
    assert run(machine, invoker, clock).error == "States.Timeout"
    assert len(invoker.calls) == 3


def test_a_really_hanging_task_is_abandoned_after_timeout_seconds() -> None:
    class Hangs:
        def invoke(self, resource: str, payload: Any, context: TaskContext) -> Any:
            time.sleep(3)
            return "late"

    started = time.monotonic()
    execution = Interpreter(Hangs()).start(task_machine(TimeoutSeconds=1), {})
    assert execution.error == "States.Timeout"
    assert time.monotonic() - started < 2.5


def test_timeout_seconds_path_and_task_context() -> None:
    clock = FakeClock()
    invoker = Scripted(clock=clock, takes=3)
    machine = task_machine(TimeoutSecondsPath="$.limit")
    execution = Interpreter(invoker, clock=clock, sleeper=clock.sleep).start(
        machine, {"limit": 2}, name="ctx"
    )
    assert execution.error == "States.Timeout"
    context = invoker.calls[0]
    assert (context.state_name, context.timeout_seconds) == ("T", 2)
    assert context.execution_arn.endswith(":execution:StateMachine:ctx")
    assert context.context_object["State"]["RetryCount"] == 0
