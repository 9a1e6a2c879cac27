"""An Amazon States Language interpreter: runs the template's state machines in-process.

Written here rather than taken as a dependency: PyPI has no maintained, embeddable
pure-Python ASL interpreter. The candidates found (November 2026) were pyaslengine 0.8.0
(last release 2024-01), local-workflow-engine 1.0.4 (2022-05), state-machine-amz-py 0.0.1
and aws-stepfunctions-toolkit 0.1.1 (single early releases); moto's interpreter (a port of
LocalStack's) is bound to moto's mocked AWS backends and its ANTLR parser, so it serves as
the reference in the differential tests instead (tests/differential).

Supported (JSONPath query language): Task, Pass, Choice (every comparison operator, their
*Path forms, StringMatches, the Is* tests, And/Or/Not, Default), Wait (Seconds,
SecondsPath, Timestamp, TimestampPath, through an injected clock and sleeper), Succeed,
Fail (Error/ErrorPath, Cause/CausePath), inline Map (ItemsPath, ItemSelector or legacy
Parameters, Iterator or ItemProcessor, MaxConcurrency/MaxConcurrencyPath) and Parallel;
InputPath, Parameters (`.$` keys, `$$` context object, every intrinsic function),
ResultSelector, ResultPath (null, nested, array index), OutputPath; Retry (IntervalSeconds,
BackoffRate, MaxAttempts, MaxDelaySeconds, JitterStrategy) and Catch; Task TimeoutSeconds
and TimeoutSecondsPath; execution TimeoutSeconds; the 256 KiB payload quota.

Not supported: HeartbeatSeconds (accepted and ignored: tasks run in-process and cannot
send heartbeats), `.waitForTaskToken` callbacks and `.sync` jobs (the TaskInvoker decides
what a resource means), JSONata, variables (Assign), distributed Map (ItemReader,
ItemBatcher, ResultWriter, tolerated failures) and Activities. Definitions using the
unsupported features are rejected with UNSUPPORTED_FEATURE rather than run differently.
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
