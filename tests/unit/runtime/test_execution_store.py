"""The SQLite execution store: what another process (a second store on the same file) sees
of executions while they run and after they end, and the ExecutionStore contract."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from coderev.runtime.platform.execution_store import SqliteExecutionStore
from coderev.runtime.states import (
    ExecutionAlreadyExistsError,
    ExecutionNotFoundError,
    ExecutionStatus,
    ExecutionStore,
    Interpreter,
    StateMachine,
    TaskContext,
)

MACHINE = StateMachine.from_definition({
    "StartAt": "Add",
    "States": {
        "Add": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:add",
                "ResultPath": "$.sum", "Next": "Done"},
        "Done": {"Type": "Succeed"},
    },
})  # fmt: skip
FAILING = StateMachine.from_definition(
    {"StartAt": "Boom", "States": {"Boom": {"Type": "Fail", "Error": "Nope", "Cause": "why"}}}
)


class Adder:
    def __init__(self, gate: threading.Event | None = None) -> None:
        self.gate = gate

    def invoke(self, resource: str, payload: Any, context: TaskContext) -> Any:
        if self.gate is not None:
            self.gate.wait(5)
        return payload["a"] + payload["b"]


def test_it_is_an_execution_store(tmp_path: Path) -> None:
    assert isinstance(SqliteExecutionStore(tmp_path / "x.db"), ExecutionStore)


def test_another_process_reads_a_finished_execution_and_its_history(tmp_path: Path) -> None:
    store = SqliteExecutionStore(tmp_path / "executions.db")
    execution = Interpreter(Adder(), store=store).start(MACHINE, {"a": 2, "b": 3}, name="one",
                                                         machine_name="Sum")  # fmt: skip
    store.sync()

    other = SqliteExecutionStore(tmp_path / "executions.db")
    seen = other.get(execution.execution_arn)

    assert seen.status is ExecutionStatus.SUCCEEDED
    assert seen.input == {"a": 2, "b": 3}
    assert seen.output == {"a": 2, "b": 3, "sum": 5}
    assert seen.stop_date is not None and seen.stop_date >= seen.start_date
    types = [event.type for event in seen.history]
    assert types == [event.type for event in execution.history]
    assert types[0] == "ExecutionStarted" and types[-1] == "ExecutionSucceeded"
    entered = [e.details for e in seen.history if e.type == "TaskStateEntered"]
    assert entered and entered[0].get("name") == "Add"
    assert [e.id for e in seen.history] == list(range(1, len(types) + 1))


def test_a_running_execution_is_visible_elsewhere_after_a_sync(tmp_path: Path) -> None:
    gate = threading.Event()
    store = SqliteExecutionStore(tmp_path / "executions.db")
    interpreter = Interpreter(Adder(gate), store=store)
    execution = interpreter.start_background(MACHINE, {"a": 1, "b": 1}, name="slow")
    other = SqliteExecutionStore(tmp_path / "executions.db")
    try:
        store.sync()
        running = other.get(execution.execution_arn)
        assert running.status is ExecutionStatus.RUNNING
        assert "ExecutionStarted" in [e.type for e in running.history]
        assert [e.name for e in other.list(status=ExecutionStatus.RUNNING)] == ["slow"]
    finally:
        gate.set()
    # the run saves its status before it records the closing event: wait for that event
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        store.sync()
        done = other.get(execution.execution_arn)
        if done.history and done.history[-1].type == "ExecutionSucceeded":
            break
        threading.Event().wait(0.02)
    assert done.status is ExecutionStatus.SUCCEEDED
    assert done.history[-1].type == "ExecutionSucceeded"


def test_a_failure_keeps_error_and_cause(tmp_path: Path) -> None:
    store = SqliteExecutionStore(tmp_path / "executions.db")
    execution = Interpreter(store=store).start(FAILING, {}, name="bad")
    store.sync()
    seen = SqliteExecutionStore(tmp_path / "executions.db").get(execution.execution_arn)
    assert (seen.status, seen.error, seen.cause) == (ExecutionStatus.FAILED, "Nope", "why")
    assert seen.history[-1].type == "ExecutionFailed"
    assert seen.history[-1].details == {"error": "Nope", "cause": "why"}


def test_list_filters_by_machine_and_status_in_start_order(tmp_path: Path) -> None:
    store = SqliteExecutionStore(tmp_path / "executions.db")
    interpreter = Interpreter(Adder(), store=store)
    first = interpreter.start(MACHINE, {"a": 1, "b": 1}, name="a", machine_name="Sum")
    interpreter.start(FAILING, {}, name="b", machine_name="Fails")
    interpreter.start(MACHINE, {"a": 1, "b": 2}, name="c", machine_name="Sum")
    store.sync()
    other = SqliteExecutionStore(tmp_path / "executions.db")
    assert [e.name for e in other.list()] == ["a", "b", "c"]
    assert [e.name for e in other.list(first.state_machine_arn)] == ["a", "c"]
    assert [e.name for e in other.list(status=ExecutionStatus.FAILED)] == ["b"]


def test_a_reused_name_and_an_unknown_arn_are_refused(tmp_path: Path) -> None:
    store = SqliteExecutionStore(tmp_path / "executions.db")
    interpreter = Interpreter(Adder(), store=store)
    interpreter.start(MACHINE, {"a": 1, "b": 1}, name="same")
    with pytest.raises(ExecutionAlreadyExistsError):
        interpreter.start(MACHINE, {"a": 1, "b": 1}, name="same")
    with pytest.raises(ExecutionNotFoundError):
        SqliteExecutionStore(tmp_path / "executions.db").get("arn:aws:states:x:1:execution:n:o")
