"""Executions end to end: history contents, the store queries, Wait with an injected clock,
Choice, Map/Parallel ordering and MaxConcurrency, Fail, abort and execution timeouts."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from coderev.runtime.states import (
    Execution,
    ExecutionAlreadyExistsError,
    ExecutionNotFoundError,
    ExecutionStatus,
    InMemoryExecutionStore,
    Interpreter,
    StateMachine,
    TaskContext,
)


class FakeClock:
    def __init__(self) -> None:
        self.moment = datetime(2026, 1, 1, tzinfo=UTC)
        self.sleeps: list[float] = []

    def now(self) -> datetime:
        return self.moment

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.moment += timedelta(seconds=seconds)


class Doubler:
    def __init__(self) -> None:
        self.active = 0
        self.peak = 0
        self.lock = threading.Lock()

    def invoke(self, resource: str, payload: Any, context: TaskContext) -> Any:
        with self.lock:
            self.active += 1
            self.peak = max(self.peak, self.active)
        time.sleep(0.02)
        with self.lock:
            self.active -= 1
        return payload * 2


def build(states: dict[str, Any], start: str | None = None, **top: Any) -> StateMachine:
    return StateMachine.from_definition({"StartAt": start or next(iter(states)), "States": states,
                                        **top})  # fmt: skip


TASK = {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:double", "End": True}


def test_history_of_a_task_execution() -> None:
    clock = FakeClock()
    machine = build({"A": {"Type": "Pass", "Next": "T"}, "T": TASK})
    execution = Interpreter(Doubler(), clock=clock, sleeper=clock.sleep).start(machine, 4, "h1")
    assert execution.status == ExecutionStatus.SUCCEEDED and execution.output == 8
    assert [e.type for e in execution.history] == [
        "ExecutionStarted",
        "PassStateEntered",
        "PassStateExited",
        "TaskStateEntered",
        "TaskScheduled",
        "TaskStarted",
        "TaskSucceeded",
        "TaskStateExited",
        "ExecutionSucceeded",
    ]
    first, last = execution.history[0], execution.history[-1]
    assert first.details == {"input": 4} and last.details == {"output": 8}
    assert [e.id for e in execution.history] == list(range(1, 10))
    assert all(e.previous_event_id == e.id - 1 for e in execution.history)
    assert all(e.timestamp == clock.moment for e in execution.history)
    scheduled = execution.events("TaskScheduled")[0]
    assert scheduled.details["resource"] == TASK["Resource"]
    assert scheduled.details["parameters"] == 4
    entered = execution.events("TaskStateEntered")[0]
    assert entered.details == {"name": "T", "input": 4}
    assert execution.stop_date == clock.moment and execution.start_date == clock.moment


def test_failed_execution_records_error_and_cause() -> None:
    machine = build({"F": {"Type": "Fail", "ErrorPath": "$.e", "CausePath": "$.c"}})
    execution = Interpreter().start(machine, {"e": "Bad.Thing", "c": "why"})
    assert (execution.status, execution.error, execution.cause) == (
        ExecutionStatus.FAILED,
        "Bad.Thing",
        "why",
    )
    assert execution.history[-1].type == "ExecutionFailed"
    assert execution.history[-1].details == {"error": "Bad.Thing", "cause": "why"}
    assert execution.output is None and execution.output_json is None


def test_fail_path_must_select_a_string() -> None:
    machine = build({"F": {"Type": "Fail", "ErrorPath": "$.e"}})
    assert Interpreter().start(machine, {"e": 1}).error == "States.Runtime"


def test_store_describe_history_list_and_unique_names() -> None:
    store = InMemoryExecutionStore()
    interpreter = Interpreter(store=store)
    ok = build({"P": {"Type": "Pass", "End": True}})
    bad = build({"F": {"Type": "Fail", "Error": "E"}})
    first = interpreter.start(ok, {"a": 1}, name="one", machine_name="ok")
    interpreter.start(bad, {}, name="two", machine_name="bad")
    assert interpreter.describe(first.execution_arn) is first
    assert first.execution_arn == "arn:aws:states:us-east-1:123456789012:execution:ok:one"
    assert [e.type for e in interpreter.history(first.execution_arn, "PassStateExited")] == [
        "PassStateExited"
    ]
    assert [e.name for e in interpreter.list_executions()] == ["one", "two"]
    assert [e.name for e in interpreter.list_executions(status=ExecutionStatus.FAILED)] == ["two"]
    assert [e.name for e in interpreter.list_executions(first.state_machine_arn)] == ["one"]
    with pytest.raises(ExecutionAlreadyExistsError):
        interpreter.start(ok, {}, name="one", machine_name="ok")
    with pytest.raises(ExecutionNotFoundError):
        interpreter.describe("arn:nope")


@pytest.mark.parametrize(
    ("wait", "data", "expected"),
    [
        ({"Seconds": 7}, {}, [7.0]),
        ({"SecondsPath": "$.s"}, {"s": 3}, [3.0]),
        ({"Timestamp": "2026-01-01T00:01:00Z"}, {}, [60.0]),
        ({"TimestampPath": "$.t"}, {"t": "2026-01-01T00:00:30+00:00"}, [30.0]),
        ({"Timestamp": "2020-01-01T00:00:00Z"}, {}, [0.0]),
    ],
)
def test_wait_uses_the_injected_clock_and_sleeper(wait: dict[str, Any], data: Any,
                                                  expected: list[float]) -> None:  # fmt: skip
    clock = FakeClock()
    machine = build({"W": {"Type": "Wait", "End": True, **wait}})
    execution = Interpreter(clock=clock, sleeper=clock.sleep).start(machine, data)
    assert execution.status == ExecutionStatus.SUCCEEDED and execution.output == data
    assert clock.sleeps == expected


@pytest.mark.parametrize("data", [{"s": -1}, {"s": "3"}, {"t": "yesterday"}, {}])
def test_wait_with_a_bad_path_value_is_runtime(data: Any) -> None:
    path = "SecondsPath" if "s" in data or not data else "TimestampPath"
    machine = build({"W": {"Type": "Wait", path: "$.s" if path == "SecondsPath" else "$.t",
                           "End": True}})  # fmt: skip
    assert Interpreter(sleeper=lambda s: None).start(machine, data).error == "States.Runtime"


def test_choice_default_and_no_match() -> None:
    states: dict[str, Any] = {"C": {"Type": "Choice", "Choices": [
        {"Variable": "$.n", "NumericGreaterThan": 1, "Next": "Big"}], "Default": "Small"},
        "Big": {"Type": "Pass", "Result": "big", "End": True},
        "Small": {"Type": "Pass", "Result": "small", "End": True}}  # fmt: skip
    interpreter = Interpreter()
    assert interpreter.start(build(states), {"n": 2}).output == "big"
    assert interpreter.start(build(states), {"n": 0}).output == "small"
    del states["C"]["Default"]
    del states["Small"]
    execution = interpreter.start(build(states), {"n": 0})
    assert execution.error == "States.NoChoiceMatched"
    assert interpreter.start(build(states), {"m": 0}).error == "States.Runtime"


@pytest.mark.parametrize(("limit", "workers", "bound"), [(0, 8, 8), (2, 8, 2), (1, 8, 1),
                                                          (0, 1, 1)])  # fmt: skip
def test_map_keeps_order_and_respects_max_concurrency(limit: int, workers: int,
                                                      bound: int) -> None:  # fmt: skip
    invoker = Doubler()
    machine = build(
        {
            "M": {
                "Type": "Map",
                "MaxConcurrency": limit,
                "End": True,
                "ItemProcessor": {"StartAt": "T", "States": {"T": TASK}},
            }
        }
    )
    items = list(range(12))
    execution = Interpreter(invoker, max_workers=workers).start(machine, items)
    assert execution.output == [i * 2 for i in items]
    assert invoker.peak <= bound
    if bound > 1:
        assert invoker.peak > 1
    assert len(execution.events("MapIterationSucceeded")) == 12


def test_each_map_iteration_is_recorded_as_it_ends_not_when_the_map_does() -> None:
    release = threading.Event()

    class HoldsTheFirst:
        def invoke(self, resource: str, payload: Any, context: TaskContext) -> Any:
            if payload == 0:
                assert release.wait(30)
            return payload

    machine = build({"M": {"Type": "Map", "End": True,
                           "ItemProcessor": {"StartAt": "T", "States": {"T": TASK}}}})  # fmt: skip
    execution = Interpreter(HoldsTheFirst()).start_background(machine, [0, 1, 2])
    try:  # items 1 and 2 end while item 0 still runs: their ends are in the history already
        wait_until(execution, lambda: len(execution.events("MapIterationSucceeded")) >= 2)
        assert {e.details["index"] for e in execution.events("MapIterationSucceeded")} == {1, 2}
        assert status_of(execution) is ExecutionStatus.RUNNING
    finally:
        release.set()
    wait_until(execution, lambda: status_of(execution) is not ExecutionStatus.RUNNING)
    assert execution.output == [0, 1, 2]
    ends = [e.details["index"] for e in execution.events("MapIterationSucceeded")]
    assert ends == [1, 2, 0] or ends == [2, 1, 0]  # in the order they ended


def test_map_items_must_be_an_array() -> None:
    machine = build(
        {
            "M": {
                "Type": "Map",
                "ItemsPath": "$.x",
                "End": True,
                "Iterator": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}},
            }
        }
    )
    assert Interpreter().start(machine, {"x": {"a": 1}}).error == "States.Runtime"


def test_first_failing_branch_in_order_fails_the_parallel_state() -> None:
    def branch(error: str | None) -> dict[str, Any]:
        state = {"Type": "Fail", "Error": error} if error else {"Type": "Pass", "End": True}
        return {"StartAt": "S", "States": {"S": state}}

    machine = build(
        {
            "P": {
                "Type": "Parallel",
                "End": True,
                "Branches": [branch(None), branch("Second"), branch("Third")],
            }
        }
    )
    execution = Interpreter(max_workers=1).start(machine, {})
    assert execution.error == "Second"
    assert [e.type for e in execution.history][-2:] == ["ParallelStateFailed", "ExecutionFailed"]


def test_retry_on_a_map_state_reruns_it() -> None:
    calls: list[int] = []

    class FlakyOnce:
        def invoke(self, resource: str, payload: Any, context: TaskContext) -> Any:
            calls.append(payload)
            if len(calls) == 1:
                from coderev.runtime.states import TaskFailedError

                raise TaskFailedError("Flaky", "first call")
            return payload

    machine = build(
        {
            "M": {
                "Type": "Map",
                "End": True,
                "MaxConcurrency": 1,
                "Retry": [{"ErrorEquals": ["Flaky"], "IntervalSeconds": 1}],
                "ItemProcessor": {"StartAt": "T", "States": {"T": TASK}},
            }
        }
    )
    execution = Interpreter(FlakyOnce(), sleeper=lambda s: None).start(machine, [1, 2])
    assert execution.output == [1, 2] and calls == [1, 1, 2]


def test_execution_timeout_gives_timed_out() -> None:
    clock = FakeClock()
    machine = build(
        {"W": {"Type": "Wait", "Seconds": 10, "Next": "P"}, "P": {"Type": "Pass", "End": True}},
        TimeoutSeconds=5,
    )
    execution = Interpreter(clock=clock, sleeper=clock.sleep).start(machine, {})
    assert execution.status == ExecutionStatus.TIMED_OUT
    assert execution.error == "States.Timeout"
    assert execution.history[-1].type == "ExecutionTimedOut"


def status_of(execution: Execution) -> ExecutionStatus:
    return execution.status  # read through a call: the status changes on another thread


def wait_until(execution: Execution, done: Callable[[], bool]) -> None:
    """Follow a background execution, woken by each event, until `done` (at most 30 s)."""
    deadline = time.monotonic() + 30
    while not done():
        assert time.monotonic() < deadline, [e.type for e in execution.events()]
        execution.wait_for_events(len(execution.events()), 1)


def test_background_execution_can_be_stopped() -> None:
    gate = threading.Event()
    machine = build(
        {"W": {"Type": "Wait", "Seconds": 1, "Next": "P"}, "P": {"Type": "Pass", "End": True}}
    )

    def sleeper(seconds: float) -> None:
        gate.wait(5)

    interpreter = Interpreter(sleeper=sleeper)
    execution = interpreter.start_background(machine, {}, name="bg")
    assert execution.status == ExecutionStatus.RUNNING
    interpreter.stop(execution.execution_arn, error="User", cause="stopped by test")
    gate.set()
    wait_until(execution, lambda: status_of(execution) is not ExecutionStatus.RUNNING)
    assert status_of(execution) == ExecutionStatus.ABORTED
    assert (execution.error, execution.cause) == ("User", "stopped by test")
    assert "PassStateEntered" not in [e.type for e in execution.history]


def test_a_follower_is_woken_by_the_next_event_not_its_timeout() -> None:
    gate = threading.Event()
    machine = build(
        {"W": {"Type": "Wait", "Seconds": 1, "Next": "P"}, "P": {"Type": "Pass", "End": True}}
    )
    execution = Interpreter(sleeper=lambda _s: gate.wait(5)).start_background(machine, {})
    wait_until(execution, lambda: bool(execution.events("WaitStateEntered")))
    seen = len(execution.events())
    assert not execution.wait_for_events(seen, 0.01)  # the Wait state holds: nothing new
    assert execution.wait_for_events(seen - 1, 0)  # already there: no wait at all
    woken: list[bool] = []
    follower = threading.Thread(target=lambda: woken.append(execution.wait_for_events(seen, 60)))
    follower.start()
    gate.set()  # the Wait state ends: its exit event wakes the follower, long before 60 s
    follower.join(30)
    assert woken == [True]
    wait_until(execution, lambda: status_of(execution) is not ExecutionStatus.RUNNING)
    assert execution.events()[-1].type == "ExecutionSucceeded"


def test_context_object_fields() -> None:
    machine = build({"P": {"Type": "Pass", "Parameters": {"ctx.$": "$$"}, "End": True}})
    clock = FakeClock()
    execution = Interpreter(clock=clock).start(machine, {"x": 1}, name="c1", machine_name="m")
    ctx = execution.output["ctx"]
    assert ctx["Execution"]["Id"] == execution.execution_arn
    assert ctx["Execution"]["Input"] == {"x": 1}
    assert ctx["Execution"]["StartTime"] == "2026-01-01T00:00:00.000Z"
    assert ctx["StateMachine"] == {"Id": execution.state_machine_arn, "Name": "m"}
    assert ctx["State"] == {"Name": "P", "EnteredTime": "2026-01-01T00:00:00.000Z",
                            "RetryCount": 0}  # fmt: skip


def test_payloads_over_256_kib_are_data_limit_exceeded_and_not_caught_by_states_all() -> None:
    class Big:
        def invoke(self, resource: str, payload: Any, context: TaskContext) -> Any:
            return "x" * (256 * 1024)

    catch_all = [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}]
    caught = {"Type": "Pass", "Result": "caught", "End": True}
    machine = build({"T": {**TASK, "Catch": catch_all}, "Caught": caught})
    execution = Interpreter(Big()).start(machine, {})
    assert execution.error == "States.DataLimitExceeded"
    named = [{"ErrorEquals": ["States.DataLimitExceeded"], "Next": "Caught"}]
    machine = build({"T": {**TASK, "Catch": named}, "Caught": caught})
    assert Interpreter(Big()).start(machine, {}).output == "caught"
    just_under = build({"P": {"Type": "Pass", "Result": "y" * (256 * 1024 - 2), "End": True}})
    assert Interpreter().start(just_under, {}).status == ExecutionStatus.SUCCEEDED
    over = build({"P": {"Type": "Pass", "Result": "y" * (256 * 1024 - 1), "End": True}})
    assert Interpreter().start(over, {}).error == "States.DataLimitExceeded"
