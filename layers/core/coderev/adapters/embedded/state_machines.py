"""The embedded StateMachineStarter: executions named and remembered in-process.

It behaves like StartExecution on a STANDARD state machine: the execution ARN is derived from
the machine and the name; the same name with the same input returns the same ARN and runs
nothing new; the same name with other input is refused (`ExecutionAlreadyExists`). The input's
trace context (`trace`, see coderev.telemetry.tracing) is left out of that comparison: a
retried start belongs to another span of the trace, or another trace, with the same work.

What runs an execution is the local platform's business: `coderev serve` hands its States
Language interpreter in as `runner` (see `bootstrap.use_state_machine_starter`). Without a
runner the starts are only recorded, which is what unit tests of ingest want.

`describe` asks `describer` (the interpreter's execution store) when one is given; without
one, an execution started here is RUNNING (nothing here ends it) and any other is unknown.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from coderev.domain.errors import CoderevError
from coderev.ports import ExecutionDescription
from coderev.telemetry.tracing import TRACE_KEY

__all__ = [
    "InProcessStateMachineStarter",
    "StartedExecution",
    "StateMachineDescribeError",
    "StateMachineStartError",
    "without_trace",
]

Runner = Callable[[str, str, Mapping[str, Any]], object]
Describer = Callable[[str], ExecutionDescription | None]


class StateMachineStartError(CoderevError):
    """An execution could not be started (refused name, unknown machine, backend failure)."""


class StateMachineDescribeError(CoderevError):
    """An execution could not be described (access denied, backend failure)."""


@dataclass(frozen=True, slots=True)
class StartedExecution:
    state_machine: str
    name: str
    input: Mapping[str, Any]
    execution_arn: str


class InProcessStateMachineStarter:
    """Remembers every start; hands new ones to `runner(execution_arn, state_machine, input)`."""

    def __init__(self, runner: Runner | None = None, describer: Describer | None = None) -> None:
        self._runner = runner
        self._describer = describer
        self._lock = threading.Lock()
        self._started: dict[str, StartedExecution] = {}

    @property
    def started(self) -> list[StartedExecution]:
        with self._lock:
            return list(self._started.values())

    def start(self, state_machine: str, name: str, input: Mapping[str, Any]) -> str:
        arn = _execution_arn(state_machine, name)
        body = json.loads(json.dumps(dict(input)))
        with self._lock:
            earlier = self._started.get(arn)
            if earlier is not None:
                if without_trace(earlier.input) != without_trace(body):
                    raise StateMachineStartError(
                        f"ExecutionAlreadyExists: {name} already ran on {state_machine} "
                        "with other input"
                    )
                return arn
            self._started[arn] = StartedExecution(state_machine, name, body, arn)
        if self._runner is not None:
            self._runner(arn, state_machine, body)
        return arn

    def describe(self, execution_arn: str) -> ExecutionDescription | None:
        if self._describer is not None:
            return self._describer(execution_arn)
        with self._lock:
            started = execution_arn in self._started
        return ExecutionDescription("RUNNING") if started else None


def without_trace(body: Mapping[str, Any]) -> dict[str, Any]:
    """An execution input without its trace context (what compares two starts)."""
    return {key: value for key, value in body.items() if key != TRACE_KEY}


def _execution_arn(state_machine: str, name: str) -> str:
    if state_machine.startswith("arn:") and ":stateMachine:" in state_machine:
        return state_machine.replace(":stateMachine:", ":execution:", 1) + f":{name}"
    region_account = "us-east-1:123456789012"
    return f"arn:aws:states:{region_account}:execution:{state_machine}:{name}"
