"""An Amazon States Language interpreter: runs the template's state machines in-process.

Written here rather than taken as a dependency: PyPI has no maintained, embeddable
pure-Python ASL interpreter. The candidates found (November 2026) were pyaslengine 0.8.0
(last release 2024-01), local-workflow-engine 1.0.4 (2022-05), state-machine-amz-py 0.0.1
and aws-stepfunctions-toolkit 0.1.1 (single early releases); moto's interpreter (a port of
LocalStack's) is bound to moto's mocked AWS backends and its ANTLR parser, so it serves as
the reference in the differential tests instead (tests/differential).
"""

from __future__ import annotations

from coderev.runtime.states.definition import StateMachine
from coderev.runtime.states.errors import (
    ExecutionAlreadyExistsError,
    ExecutionNotFoundError,
    InvalidDefinitionError,
    StateFailure,
    StatesError,
    TaskFailedError,
    TaskTimeoutError,
)
from coderev.runtime.states.execution import Execution, ExecutionStatus, HistoryEvent
from coderev.runtime.states.interpreter import Interpreter
from coderev.runtime.states.store import ExecutionStore, InMemoryExecutionStore
from coderev.runtime.states.tasks import Clock, Sleeper, SystemClock, TaskContext, TaskInvoker

__all__ = [
    "Clock",
    "Execution",
    "ExecutionAlreadyExistsError",
    "ExecutionNotFoundError",
    "ExecutionStatus",
    "ExecutionStore",
    "HistoryEvent",
    "InMemoryExecutionStore",
    "Interpreter",
    "InvalidDefinitionError",
    "Sleeper",
    "StateFailure",
    "StateMachine",
    "StatesError",
    "SystemClock",
    "TaskContext",
    "TaskFailedError",
    "TaskInvoker",
    "TaskTimeoutError",
]
