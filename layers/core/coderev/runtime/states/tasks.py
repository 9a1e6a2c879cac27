"""What the interpreter needs from outside: a TaskInvoker for Task states, a clock, a sleeper.

The runtime plugs Lambda handlers in behind TaskInvoker by resource ARN; tests plug fakes.
The clock and sleeper are injected so Wait states and Retry back-off never really wait in
tests.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol, runtime_checkable


@dataclass(frozen=True, slots=True)
class TaskContext:
    """What a task may want to know about where it runs (the Lambda context analogue)."""

    execution_arn: str
    state_name: str
    retry_count: int
    timeout_seconds: int | None
    context_object: Mapping[str, Any] = field(default_factory=dict)


@runtime_checkable
class TaskInvoker(Protocol):
    """Runs the work behind a Task state; raises TaskFailedError(error, cause) on failure."""

    def invoke(self, resource: str, payload: Any, context: TaskContext) -> Any: ...


@runtime_checkable
class Clock(Protocol):
    def now(self) -> datetime: ...


@runtime_checkable
class Sleeper(Protocol):
    def __call__(self, seconds: float) -> None: ...


class SystemClock:
    """Wall-clock time in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


def system_sleep(seconds: float) -> None:
    if seconds > 0:
        time.sleep(seconds)


class NoTaskInvoker:
    """The invoker for machines without Task states: any Task fails with States.TaskFailed."""

    def invoke(self, resource: str, payload: Any, context: TaskContext) -> Any:
        from coderev.runtime.states.errors import TaskFailedError

        raise TaskFailedError("States.TaskFailed", f"No task invoker for resource {resource}")
